import { boundedText } from './bounded-body.js';
import { decodeResponse, encodeCall, XmlRpcFault, type XmlRpcValue } from './xml-rpc.js';

/** A build as Koji's getBuild returns it (kojihub get_build: id, nvr, source, extra, creation_time, creation_ts, …). */
export type KojiBuild = { [field: string]: XmlRpcValue };

export interface KojiClientOptions {
  /** The hub's XML-RPC endpoint, e.g. https://koji.fedoraproject.org/kojihub. */
  url: string;
  timeoutMs: number;
  /** Builds kept at most (the oldest go first); 0 = none. */
  cacheSize: number;
  /** How long a build is reused; 0 = ask every time. */
  cacheTtlMs: number;
}

/** Koji could not answer (unreachable, timed out, an HTTP error, an answer that is not XML-RPC). */
export class KojiUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KojiUnreachableError';
  }
}

const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * Koji's hub over XML-RPC, for what gating asks of it: `getBuild(nvr)`. Builds found are kept
 * (a build's source and creation time do not change) for `cacheTtlMs`, at most `cacheSize` of
 * them; "no such build" and failures are not kept, as Greenwave's cache keeps no exception, so
 * a build imported a moment later or a hub back up is seen at the next decision. Concurrent
 * questions about one build share one request.
 */
export class KojiClient {
  private readonly cache = new Map<string, { build: KojiBuild; until: number }>();
  private readonly pending = new Map<string, Promise<KojiBuild | null>>();

  constructor(
    readonly options: KojiClientOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The build, or null when Koji has none by that NVR. Throws XmlRpcFault when the hub answers
   * with a fault, KojiUnreachableError when it does not answer usably.
   */
  getBuild(nvr: string): Promise<KojiBuild | null> {
    const hit = this.cache.get(nvr);
    if (hit && hit.until > this.now()) return Promise.resolve(hit.build);
    if (hit) this.cache.delete(nvr);
    let asked = this.pending.get(nvr);
    if (!asked) {
      asked = this.call('getBuild', [nvr]).then((value) => {
        if (value === null) return null;
        if (typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value))
          throw new KojiUnreachableError(
            `Koji's getBuild answered something that is not a build (${Array.isArray(value) ? 'an array' : typeof value})`,
          );
        this.remember(nvr, value);
        return value;
      });
      this.pending.set(nvr, asked);
      const forget = () => void this.pending.delete(nvr);
      asked.then(forget, forget);
    }
    return asked;
  }

  private remember(nvr: string, build: KojiBuild): void {
    const { cacheSize, cacheTtlMs } = this.options;
    if (cacheSize <= 0 || cacheTtlMs <= 0) return;
    this.cache.delete(nvr);
    while (this.cache.size >= cacheSize) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(nvr, { build, until: this.now() + cacheTtlMs });
  }

  private async call(method: string, params: XmlRpcValue[]): Promise<XmlRpcValue> {
    const { url, timeoutMs } = this.options;
    let res: Response;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      res = await fetch(url, {
        method: 'POST',
        signal,
        headers: { 'content-type': 'text/xml', accept: 'text/xml' },
        body: encodeCall(method, params),
      });
    } catch (err) {
      throw unreachable(err, url, timeoutMs);
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new KojiUnreachableError(`Could not reach Koji: HTTP ${res.status} from ${url}`);
    }
    const declared = Number(res.headers.get('content-length'));
    if (declared > MAX_ANSWER_BYTES) {
      await res.body?.cancel();
      throw new KojiUnreachableError(
        `Could not reach Koji: an answer of ${declared} bytes from ${url} (at most ${MAX_ANSWER_BYTES})`,
      );
    }
    let xml: string;
    try {
      xml = await boundedText(
        res,
        MAX_ANSWER_BYTES,
        () =>
          new KojiUnreachableError(`Could not reach Koji: an answer of more than ${MAX_ANSWER_BYTES} bytes`),
      );
    } catch (err) {
      throw unreachable(err, url, timeoutMs);
    }
    try {
      return decodeResponse(xml);
    } catch (err) {
      if (err instanceof XmlRpcFault) throw err;
      throw new KojiUnreachableError(
        `Could not reach Koji: the answer from ${url} is not XML-RPC: ${(err as Error).message}`,
      );
    }
  }
}

function unreachable(err: unknown, url: string, timeoutMs: number): KojiUnreachableError {
  if (err instanceof KojiUnreachableError) return err;
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError')
    return new KojiUnreachableError(`Could not reach Koji: no answer from ${url} within ${timeoutMs} ms`);
  return new KojiUnreachableError(
    `Could not reach Koji: ${url}: ${e.cause?.code ?? e.cause?.message ?? e.message}`,
  );
}
