/**
 * RFC 9110 §10.2.3: `Retry-After` is either a number of seconds or an HTTP date. Returns how
 * long to wait from `now`, in milliseconds (0 for a date already past), or undefined when the
 * header is absent or neither form.
 */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d{1,10}$/.test(value)) return Number(value) * 1000;
  const at = /[a-z]/i.test(value) ? Date.parse(value) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
