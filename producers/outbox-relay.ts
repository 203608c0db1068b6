import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import { errorText } from '../bus/message-processor.js';
import type { CompiledConfig } from '../config/config-types.js';
import type { Outbox } from './outbox.js';

/**
 * Sends outbox messages oldest first, each under the id it was stored with, so that a send the
 * broker confirmed but we never heard about, repeated later, is dropped by idempotent consumers.
 * A batch is published concurrently (confirms pipeline); rows confirmed are removed, a row that
 * failed stays and is retried with backoff. Order across such a failure is not kept, as it is not
 * across an AMQP redelivery either: consumers must not depend on it.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private failures = 0;

  constructor(
    private readonly outbox: Outbox,
    private readonly bus: Bus,
    private readonly config: CompiledConfig['outbox'],
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Call after committing a transaction that added to the outbox. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.drain().finally(() => {
        this.running = undefined;
        const next = this.again ? 0 : this.failures ? this.backoff() : this.config.pollIntervalMs;
        this.again = false;
        this.schedule(next);
      });
    }, ms);
    this.timer.unref();
  }

  private backoff(): number {
    return Math.min(this.config.maxRetryDelayMs, this.config.retryDelayMs * 2 ** Math.min(this.failures - 1, 20));
  }

  /** Sends until the outbox has nothing due; returns early on the first failure. */
  async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const rows = this.outbox.due(this.config.batchSize);
      if (rows.length === 0) return;
      // The batch is published concurrently (confirms pipeline), then settled in order.
      const results = await Promise.allSettled(rows.map((r) => this.bus.publish(r.topic, JSON.parse(r.body), { messageId: r.message_id })));
      const firstFailure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      this.failures = firstFailure ? this.failures + 1 : 0;
      const retryAt = Date.now() + this.backoff();
      this.outbox.database.transaction(() => {
        results.forEach((res, i) => {
          if (res.status === 'fulfilled') this.outbox.sent(rows[i]!.id);
          else this.outbox.failed(rows[i]!.id, errorText(res.reason), retryAt);
        });
      })();
      if (firstFailure) {
        this.log.warn({ err: errorText(firstFailure.reason), retryInMs: this.backoff() }, 'outbox send failed; will retry');
        return;
      }
    }
  }
}
