import { YAML_LIMITS } from './bounded-yaml.js';
import type { GatingFileFetcher } from './remote-rule.js';

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
      res = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs), headers: { accept: 'text/plain, application/x-yaml, */*' } });
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError') throw new Error(`no answer from ${url} within ${this.options.timeoutMs} ms`);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`cannot fetch ${url}: ${cause?.code ?? cause?.message ?? e.message}`);
    }
    let text: string | null;
    if (res.status === 404) {
      await res.body?.cancel();
      text = null;
    } else if (res.ok) {
      text = await boundedText(res, url, YAML_LIMITS.maxBytes);
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

/**
 * The body as text, read no further than `max` bytes: a gating.yaml larger than the YAML limit
 * would be refused anyway, and must not be held in memory (and cached) whole first.
 */
async function boundedText(res: Response, url: string, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  const tooLarge = () => new Error(`${url} is larger than ${max} bytes, the limit for a gating.yaml`);
  if (declared > max) {
    await res.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body?.getReader();
  if (!reader) return '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
