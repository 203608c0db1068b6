export interface WaiverPageLinks {
  prev: string | null;
  next: string | null;
  first: string | null;
  last: string | null;
}

/**
 * WaiverDB's listing links (Flask-SQLAlchemy pagination): pages count from 1; `first` is page 1
 * and `last` the last page (page 0 when nothing matches); prev/next are null where there is no
 * such page. A page before the first or past the last is Flask-SQLAlchemy's 404, which WaiverDB
 * answers with an empty listing and every link null. Each link is the request's own URL with
 * `page` first and the other parameters as the client wrote them (JSONP's `callback` dropped).
 */
export function waiverPageLinks(
  url: string,
  rawQuery: string,
  page: number,
  limit: number,
  total: number,
): WaiverPageLinks | undefined {
  const pages = Math.ceil(total / limit);
  if (page < 1 || (page > 1 && page > pages)) return undefined;
  const kept = rawQuery.split('&').filter((p) => p !== '' && !/^(page|callback)(=|$)/.test(p));
  const link = (n: number) => `${url}?${[`page=${n}`, ...kept].join('&')}`;
  return {
    prev: page > 1 ? link(page - 1) : null,
    next: page < pages ? link(page + 1) : null,
    first: link(1),
    last: link(pages),
  };
}
