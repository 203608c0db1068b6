/**
 * ResultsDB's prev/next links: the request's own URL (absolute, on the public base) with
 * `page` set to the neighbouring page, every other parameter kept as the client wrote it;
 * null where there is no such page. JSONP's `callback` is dropped, as ResultsDB drops it.
 */
export function pageLinks(
  base: string,
  path: string,
  rawQuery: string,
  page: number,
  hasNext: boolean,
): { prev: string | null; next: string | null } {
  const kept = rawQuery.split('&').filter((p) => p !== '' && !/^callback(=|$)/.test(p));
  const at = kept.findIndex((p) => /^page(=|$)/.test(p));
  const link = (n: number) => {
    const params = kept.filter((p, i) => i === at || !/^page(=|$)/.test(p));
    if (at >= 0) params[params.findIndex((p) => /^page(=|$)/.test(p))] = `page=${n}`;
    else params.push(`page=${n}`);
    return `${base}${path}?${params.join('&')}`;
  };
  return { prev: page > 0 ? link(page - 1) : null, next: hasNext ? link(page + 1) : null };
}
