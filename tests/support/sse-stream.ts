import { waitFor } from './wait-for.js';

export interface SseEvent {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/** Reads a server-sent event stream block by block; comment-only blocks are skipped. */
export class SseStream {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  /** The raw text received so far, comments included. */
  raw = '';

  private constructor(
    private readonly abort: AbortController,
    readonly response: Response,
  ) {
    this.reader = response.body!.getReader();
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
    const abort = new AbortController();
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...headers },
      signal: abort.signal,
    });
    return new SseStream(abort, response);
  }

  /** The next event that carries data; fails after `timeoutMs`. */
  async next(timeoutMs = 10_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let end: number;
      while ((end = this.buffer.indexOf('\n\n')) >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const fields = new Map<string, string[]>();
        for (const line of block.split('\n')) {
          if (line.startsWith(':') || !line.includes(':')) continue;
          const at = line.indexOf(':');
          const value = line.slice(at + 1).replace(/^ /, '');
          fields.set(line.slice(0, at), [...(fields.get(line.slice(0, at)) ?? []), value]);
        }
        if (!fields.has('data')) continue;
        return {
          id: fields.get('id')?.[0],
          event: fields.get('event')?.[0],
          data: fields.get('data')!.join('\n'),
        };
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no event within ${timeoutMs} ms; received so far: ${JSON.stringify(this.raw)}`);
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        this.reader.read(),
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left))),
      ]).finally(() => clearTimeout(timer));
      if (chunk === 'timeout') continue;
      if (chunk.done) throw new Error(`the stream ended; received: ${JSON.stringify(this.raw)}`);
      const text = this.decoder.decode(chunk.value, { stream: true });
      this.raw += text;
      this.buffer += text;
    }
  }

  /** Waits until the server has sent its opening comment: from then on, the stream is following. */
  async ready(timeoutMs = 10_000): Promise<void> {
    await waitFor(
      'the stream to open',
      async () => {
        if (this.raw.includes('\n\n')) return true;
        const chunk = await this.reader.read();
        if (chunk.done) throw new Error('the stream ended before it opened');
        const text = this.decoder.decode(chunk.value, { stream: true });
        this.raw += text;
        this.buffer += text;
        return this.raw.includes('\n\n');
      },
      timeoutMs,
    );
  }

  close(): void {
    this.abort.abort();
  }
}
