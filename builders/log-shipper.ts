import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { errorText } from '../errors/error-text.js';
import { JOB_LOG, type JobLogPiece } from '../pipeline/job-messages.js';

type Publish = (topic: string, body: JobLogPiece) => Promise<unknown>;

/**
 * A job's output to the bus as `pipeline.job.log` pieces, each with its byte offset, sent one
 * at a time (so they arrive in order) every `flushMs` or when `chunkBytes` have gathered. A
 * multi-byte character split between two reads is kept whole. Past `maxBytes` the rest is
 * dropped with one line saying so. A publish that fails is retried with backoff, the pieces
 * behind it waiting, so the log has no holes.
 */
export class LogShipper {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private pendingBytes = 0;
  private offset = 0;
  private accepted = 0;
  private truncated = false;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly nodeId: number,
    private readonly publish: Publish,
    private readonly settings: { logFlushMs: number; logChunkBytes: number; maxLogBytes: number },
    private readonly log: Logger,
  ) {}

  /** Bytes of output taken into the log. */
  get bytes(): number {
    return this.accepted;
  }

  push(chunk: Buffer): void {
    if (this.truncated) return;
    let take = chunk;
    if (this.accepted + chunk.length > this.settings.maxLogBytes) {
      take = chunk.subarray(0, Math.max(0, this.settings.maxLogBytes - this.accepted));
      this.truncated = true;
    }
    this.accepted += take.length;
    this.add(this.decoder.write(take));
    if (this.truncated)
      this.add(
        this.decoder.end() +
          `\n[sluice: the log reached ${this.settings.maxLogBytes} bytes; the rest is not kept]\n`,
      );
    if (this.pendingBytes >= this.settings.logChunkBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.settings.logFlushMs);
  }

  /** Sends what is left and resolves when every piece is on the bus. */
  async close(): Promise<void> {
    if (!this.truncated) this.add(this.decoder.end());
    this.flush();
    await this.chain;
  }

  private add(text: string): void {
    if (!text) return;
    this.pending += text;
    this.pendingBytes += Buffer.byteLength(text);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending) return;
    const data = this.pending;
    const offset = this.offset;
    this.offset += this.pendingBytes;
    this.pending = '';
    this.pendingBytes = 0;
    this.chain = this.chain.then(() => this.send({ node_id: this.nodeId, offset, data }));
  }

  private async send(body: JobLogPiece): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.publish(JOB_LOG.name, body);
        return;
      } catch (err) {
        // A bus that is stopping takes nothing more; waiting for it would only hold the stop up.
        if (attempt >= 30 || (err as { code?: string }).code === 'BUS_STOPPED') {
          this.log.error(
            { nodeId: this.nodeId, offset: body.offset, err: errorText(err) },
            'a log piece could not be sent; the log has a hole',
          );
          return;
        }
        await sleep(Math.min(5000, 100 * 2 ** attempt));
      }
    }
  }
}
