import type { JobLogSource, LogTail } from './job-log-source.js';

/**
 * The end of a job's log from its log URL: asks for the last bytes only (`Range: bytes=-N`); a
 * server that sends the whole log anyway is read to its end keeping only the last N bytes, so a
 * huge log costs time but never memory. Any failure becomes a `problem` in the mail, never an
 * error: the mail matters more than its quote.
 */
export class HttpJobLogSource implements JobLogSource {
  /** `trusted()`: URL prefixes a log may be fetched from (this server's, and configured ones). */
  constructor(
    private readonly settings: { logTailBytes: number; logTailLines: number; httpTimeoutMs: number },
    private readonly trusted: () => string[],
  ) {}

  async tail(url: string | null): Promise<LogTail> {
    const { logTailBytes: bytes, logTailLines: lines, httpTimeoutMs } = this.settings;
    if (bytes === 0 || lines === 0)
      return { text: null, truncated: false, problem: 'quoting logs is turned off (notify.logTailLines)' };
    if (!url) return { text: null, truncated: false, problem: 'the node has no log URL' };
    // The URL comes from a message: fetching anything it names would let a publisher read
    // internal addresses into a mail.
    if (!this.trusted().some((prefix) => url.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`))) {
      return {
        text: null,
        truncated: false,
        problem: `${url} is not under this server's URL or notify.logUrlPrefixes, so it was not fetched`,
      };
    }
    try {
      const res = await fetch(url, {
        headers: { range: `bytes=-${bytes}` },
        signal: AbortSignal.timeout(httpTimeoutMs),
      });
      if (res.status === 416) return { text: '', truncated: false, problem: null }; // an empty log
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        return { text: null, truncated: false, problem: `${url} answered HTTP ${res.status}` };
      }
      let kept = Buffer.alloc(0);
      let total = 0;
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        total += chunk.length;
        kept = Buffer.concat([kept, chunk]);
        if (kept.length > bytes) kept = kept.subarray(kept.length - bytes);
      }
      const partial =
        res.status === 206 ? !/^bytes 0-/.test(res.headers.get('content-range') ?? '') : total > bytes;
      return lastLines(kept, lines, partial);
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      const why = cause ?? ((err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message);
      return { text: null, truncated: false, problem: `${url} could not be read (${why})` };
    }
  }
}

/** The last `lines` lines; a first line cut by the byte limit is dropped rather than shown half. */
export function lastLines(bytes: Buffer, lines: number, cut: boolean): LogTail {
  let text = bytes.toString('utf8').replace(/^\uFFFD+/, '');
  let truncated = cut;
  if (cut) {
    const nl = text.indexOf('\n');
    text = nl >= 0 ? text.slice(nl + 1) : text;
  }
  const all = text.replace(/\n$/, '').split('\n');
  if (all.length > lines) truncated = true;
  return { text: all.slice(-lines).join('\n'), truncated, problem: null };
}
