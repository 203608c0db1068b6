import { YAML_LIMITS } from './bounded-yaml.js';
import type { GatingFileFetcher } from './remote-rule.js';
import { boundedText } from './bounded-body.js';

const MAX_CACHED = 1000;

/**
 * Gating files over HTTP(S) with Node's fetch: 200 is the file, 404 none, anything else (or no
 * answer within the timeout) an error. Answers are kept for `cacheTtlMs`, as Greenwave caches
 * them: a file at a given revision does not change, and a decision burst should not hit dist-git
 * once per request.
 */
export class HttpGatingFileFetcher implements GatingFileFetcher {
  private readonly cache = new Map<string, { text: string | null; until: number }>();

  constructor(private readonly options: { timeoutMs: number; cacheTtlMs: number }) {}

  async fetch(url: string): Promise<string | null> {
    const now = Date.now();
    const hit = this.cache.get(url);
    if (hit && hit.until > now) return hit.text;
    let res: Response;
    try {
      res = await fetch(url, {
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: { accept: 'text/plain, application/x-yaml, */*' },
      });
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError')
        throw new Error(`no answer from ${url} within ${this.options.timeoutMs} ms`);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`cannot fetch ${url}: ${cause?.code ?? cause?.message ?? e.message}`);
    }
    let text: string | null;
    if (res.status === 404) {
      await res.body?.cancel();
      text = null;
    } else if (res.ok) {
      // A gating.yaml larger than the YAML limit would be refused anyway; it is neither held whole nor cached.
      text = await boundedText(
        res,
        YAML_LIMITS.maxBytes,
        () => new Error(`${url} is larger than ${YAML_LIMITS.maxBytes} bytes, the limit for a gating.yaml`),
      );
    } else {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status} from ${url}`);
    }
    if (this.options.cacheTtlMs > 0) {
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(url, { text, until: now + this.options.cacheTtlMs });
    }
    return text;
  }
}
