const RAW = Symbol('html');

/** Markup that is already safe; anything else put into `html` is escaped. */
export interface Html {
  readonly [RAW]: string;
}

export type HtmlValue = string | number | boolean | null | undefined | Html | HtmlValue[];

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/**
 * A template tag that escapes every value (text from messages, logs and configs ends up in
 * these mails, so escaping is the rule, not something each template remembers to do).
 * null, undefined and false render as nothing; arrays are joined.
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return { [RAW]: out };
}

export function htmlText(h: Html): string {
  return h[RAW];
}

/** A link whose address is checked to be http(s), so that a message cannot smuggle in a javascript: URL. */
export function link(url: string | null | undefined, label?: string): Html {
  if (!url) return html`${label ?? ''}`;
  if (!/^https?:\/\//i.test(url)) return html`${label ?? url}`;
  return html`<a href="${url}">${label ?? url}</a>`;
}

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return '';
  if (Array.isArray(v)) return v.map(render).join('');
  if (typeof v === 'object') return v[RAW];
  return escapeHtml(String(v));
}
