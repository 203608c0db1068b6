import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import { errorText } from '../bus/message-processor.js';
import type { CompiledConfig } from '../config/config-types.js';
import { DrainLoop } from './drain-loop.js';
import type { Outbox } from './outbox.js';

/**
 * Sends outbox messages oldest first, each under the id it was stored with, so that a send the
 * broker confirmed but we never heard about, repeated later, is dropped by idempotent consumers.
 * A batch is published concurrently (confirms pipeline); rows confirmed are removed, a row that
 * failed stays and is retried with backoff. Order across such a failure is not kept, as it is not
 * across an AMQP redelivery either: consumers must not depend on it.
 */
export class OutboxRelay {
  private readonly loop: DrainLoop;
  private failures = 0;

  constructor(
    private readonly outbox: Outbox,
    private readonly bus: Bus,
    private readonly config: CompiledConfig['outbox'],
    private readonly log: Logger,
    /**
     * Processes sharing one store would each send every row (subscribers would get every
     * message as often as there are processes); with a lease, only its holder sends.
     */
    private readonly lease?: { tryAcquire(): boolean; release(): void },
  ) {
    this.loop = new DrainLoop(
      () => this.drain(),
      () => (this.failures ? this.backoff() : this.config.pollIntervalMs),
      (err) => this.log.error({ err: errorText(err) }, 'outbox relay failed; will retry'),
    );
  }

  start(): void {
    this.loop.start();
  }

  /** Call after committing a transaction that added to the outbox. */
  kick(): void {
    this.loop.kick();
  }

  /**
   * Stops sending; with `flush`, first sends once more what is due (a process about to exit
   * whose last work added messages), while the bus is still open.
   */
  async stop({ flush = false }: { flush?: boolean } = {}): Promise<void> {
    await this.loop.stop();
    if (flush) await this.drain(true).catch((err: unknown) => this.log.warn({ err: errorText(err) }, 'outbox not flushed; what is left goes at the next start'));
    try {
      this.lease?.release();
    } catch (err) {
      this.log.warn({ err: errorText(err) }, 'could not release the outbox lease; another process takes it when it expires');
    }
  }

  private holdsLease(): boolean {
    if (!this.lease) return true;
    try {
      return this.lease.tryAcquire();
    } catch (err) {
      // A busy store: try again at the next poll rather than send without knowing.
      this.log.warn({ err: errorText(err) }, 'could not check the outbox lease');
      return false;
    }
  }

  private backoff(): number {
    return Math.min(this.config.maxRetryDelayMs, this.config.retryDelayMs * 2 ** Math.min(this.failures - 1, 20));
  }

  /** Sends until the outbox has nothing due; returns early on the first failure. */
  private async drain(final = false): Promise<void> {
    for (;;) {
      if ((this.loop.isStopped && !final) || !this.holdsLease()) return;
      const rows = this.outbox.due(this.config.batchSize);
      if (rows.length === 0) return;
      // The batch is published concurrently (confirms pipeline), then settled in order.
      const results = await Promise.allSettled(rows.map((r) => this.bus.publishSerialized(r.topic, r.body, { messageId: r.message_id })));
      const firstFailure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      this.failures = firstFailure ? this.failures + 1 : 0;
      const retryAt = Date.now() + this.backoff();
      this.outbox.database.transaction(() => {
        this.outbox.sent(rows.filter((_, i) => results[i]!.status === 'fulfilled').map((r) => r.id));
        results.forEach((res, i) => {
          if (res.status === 'rejected') this.outbox.failed(rows[i]!.id, errorText(res.reason), retryAt);
        });
      })();
      if (firstFailure) {
        this.log.warn({ err: errorText(firstFailure.reason), retryInMs: this.backoff() }, 'outbox send failed; will retry');
        return;
      }
    }
  }
}
