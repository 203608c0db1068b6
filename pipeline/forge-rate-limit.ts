/** Header names arrive lower-cased. */
type Headers = { get(name: string): string | null };

/** Longer than this is not waited for in one go: the row is tried again then and waits anew. */
const MAX_WAIT_MS = 6 * 3600_000;

/**
 * When a forge's "not now" answer says to try again: 429, or 403 that carries a rate limit
 * (GitHub's secondary limits send Retry-After; its primary limit X-RateLimit-Remaining: 0 and
 * X-RateLimit-Reset in epoch seconds; GitLab RateLimit-Reset in epoch seconds and Retry-After).
 * Undefined when the answer is not a rate limit (a 403 for a token without rights is refused
 * for good). `RateLimit-Reset` of the IETF draft is a delay in seconds: a small number is read so.
 */
export function rateLimitRetryAt(status: number, headers: Headers, now: number): number | undefined {
  if (status !== 429 && status !== 403) return undefined;
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null) {
    const secs = Number(retryAfter);
    const at = Number.isFinite(secs) ? now + secs * 1000 : Date.parse(retryAfter);
    if (Number.isFinite(at)) return clamp(at, now);
  }
  const remaining = headers.get('x-ratelimit-remaining') ?? headers.get('ratelimit-remaining');
  const limited = status === 429 || remaining === '0';
  if (!limited) return undefined;
  for (const name of ['x-ratelimit-reset', 'ratelimit-reset']) {
    const v = Number(headers.get(name) ?? Number.NaN);
    if (Number.isFinite(v) && v >= 0) return clamp(v > 1e9 ? v * 1000 : now + v * 1000, now);
  }
  return undefined;
}

function clamp(at: number, now: number): number {
  return Math.min(Math.max(at, now), now + MAX_WAIT_MS);
}
