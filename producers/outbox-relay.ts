import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import { errorText } from '../errors/error-text.js';
import type { CompiledConfig } from '../config/config-types.js';
import { DrainLoop } from './drain-loop.js';
import type { Outbox, OutboxRow } from '../db/outbox.js';

/** Batches published and not yet confirmed, at most: bounds what a slow broker leaves in memory. */
const MAX_BATCHES_IN_FLIGHT = 4;

/**
 * Sends outbox messages oldest first, each under the id it was stored with, so that a send the
 * broker confirmed but we never heard about, repeated later, is dropped by idempotent consumers.
 * Rows confirmed are removed, a row that failed stays and is retried with backoff. Order across
 * such a failure is not kept, as it is not across an AMQP redelivery either: consumers must not
 * depend on it.
 *
 * Batches are pipelined: a batch is published without waiting for the confirms of the one before
 * (the broker confirms persistent messages only once they are on disk, which under load takes
 * tens of milliseconds), so a message added meanwhile goes out at once instead of waiting for
 * them. Rows in flight are remembered, so a rescan never sends one twice. Once a send has failed
 * the relay goes back to one batch at a time, each a probe of whether the broker is back.
 */
export class OutboxRelay {
  private readonly loop: DrainLoop;
  private failures = 0;
  /** The newest row handed to the bus: new rows are read after it. */
  private cursor = 0;
  private lastRescan = 0;
  private readonly inFlight = new Set<number>();
  private readonly sending = new Set<Promise<void>>();

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
    await this.settled();
    if (flush)
      await this.drain(true).catch((err: unknown) =>
        this.log.warn({ err: errorText(err) }, 'outbox not flushed; what is left goes at the next start'),
      );
    await this.settled();
    try {
      this.lease?.release();
    } catch (err) {
      this.log.warn(
        { err: errorText(err) },
        'could not release the outbox lease; another process takes it when it expires',
      );
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
    return Math.min(
      this.config.maxRetryDelayMs,
      this.config.retryDelayMs * 2 ** Math.min(this.failures - 1, 20),
    );
  }

  private async settled(): Promise<void> {
    while (this.sending.size > 0) await Promise.allSettled([...this.sending]);
  }

  /**
   * Hands what is due to the bus; returns once it is all handed over (not confirmed), or on the
   * first failure. New rows are read after the cursor; once per poll interval the outbox is read
   * from the start, for rows whose retry has come and rows another process added out of order.
   */
  private async drain(final = false): Promise<void> {
    if (final || this.failures > 0 || Date.now() - this.lastRescan >= this.config.pollIntervalMs) {
      this.cursor = 0;
      this.lastRescan = Date.now();
    }
    for (;;) {
      if ((this.loop.isStopped && !final) || !this.holdsLease()) return;
      const read = this.outbox.due(this.config.batchSize + this.inFlight.size, this.cursor);
      if (read.length === 0) return;
      const rows = read.filter((r) => !this.inFlight.has(r.id)).slice(0, this.config.batchSize);
      // Past what this batch takes, or past rows all in flight already.
      this.cursor = (rows.length > 0 ? rows : read).at(-1)!.id;
      if (rows.length === 0) continue;
      const send = this.send(rows);
      this.sending.add(send);
      void send.then(() => this.sending.delete(send));
      // After a failure (or when flushing on the way out), one batch at a time.
      if (final || this.failures > 0) {
        await send;
        if (this.failures > 0) return;
      } else if (this.sending.size >= MAX_BATCHES_IN_FLIGHT) {
        await Promise.race(this.sending);
      }
    }
  }

  /**
   * Publishes a batch (concurrently: confirms pipeline), then settles it in the store. Never
   * rejects: a store that cannot record the outcome leaves the rows to be sent again, which
   * idempotent consumers drop.
   */
  private async send(rows: OutboxRow[]): Promise<void> {
    for (const r of rows) this.inFlight.add(r.id);
    try {
      const results = await Promise.allSettled(
        rows.map((r) =>
          this.bus.publishSerialized(r.topic, r.body, {
            messageId: r.message_id,
            handledBy: r.handled_by ?? undefined,
          }),
        ),
      );
      const firstFailure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      this.failures = firstFailure ? this.failures + 1 : 0;
      const retryAt = Date.now() + this.backoff();
      this.outbox.database.transaction(() => {
        this.outbox.sent(rows.filter((_, i) => results[i]!.status === 'fulfilled').map((r) => r.id));
        results.forEach((res, i) => {
          if (res.status === 'rejected') this.outbox.failed(rows[i]!.id, errorText(res.reason), retryAt);
        });
      })();
      if (firstFailure)
        this.log.warn(
          { err: errorText(firstFailure.reason), retryInMs: this.backoff() },
          'outbox send failed; will retry',
        );
    } catch (err) {
      this.failures++;
      this.log.error(
        { err: errorText(err) },
        'outbox relay could not record what it sent; those rows go again',
      );
    } finally {
      for (const r of rows) this.inFlight.delete(r.id);
    }
  }
}
