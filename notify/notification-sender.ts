import type { Logger } from 'pino';
import { errorText } from '../errors/error-text.js';
import type { NotifySettings } from '../config/config-types.js';
import type { ClaimedNotification, MailOutbox } from '../db/mail-outbox.js';
import type { Db } from '../db/open-database.js';
import { DeliveryError } from '../errors/delivery-error.js';
import { DrainLoop } from '../producers/drain-loop.js';
import type { ChannelsByKind } from './notification-channel.js';

type Outcome = { ok: true; note: string | null } | { ok: false; error: DeliveryError };

/** A wait the other side asked for is honoured up to this; beyond it, it is taken as a mistake. */
const MAX_RETRY_AFTER_MS = 6 * 3600_000;

/**
 * Drains the notification outbox, whatever the channel: claims what is due, sends a batch at once (the SMTP pool
 * spreads it over its connections), and records each outcome in one transaction. A refusal of
 * the notification itself marks it failed with the reason; anything else makes it due again
 * after delayMs × 2^attempts (at most maxDelayMs), until maxAttempts. Mails keep the Message-ID
 * they were stored with, so a mail sent again after an answer was lost is recognisable.
 */
export class NotificationSender {
  private readonly loop: DrainLoop;

  constructor(
    private readonly outbox: MailOutbox,
    private readonly db: Db,
    /** Each outbox row goes to the channel of its kind. */
    private readonly channels: ChannelsByKind,
    private readonly settings: Pick<
      NotifySettings,
      'batchSize' | 'pollIntervalMs' | 'retry' | 'claimTimeoutMs'
    >,
    private readonly log: Logger,
    /** True when no other process sends from this store (the embedded bus): claims left at start are this process's own. */
    private readonly onlySender = true,
    /** Told of each outcome (metrics). */
    private readonly counted: (
      channel: ClaimedNotification['kind'],
      outcome: 'sent' | 'deferred' | 'failed',
    ) => void = () => {},
  ) {
    this.loop = new DrainLoop(
      () => this.drain(),
      () => this.untilNextDue(),
      (err) => this.log.error({ err }, 'notification sender failed; will try again'),
    );
  }

  start(): void {
    const released = this.onlySender ? this.outbox.releaseClaims() : 0;
    if (released)
      this.log.warn(
        { released },
        'notifications that were being sent when Sluice stopped are due again (same Message-IDs)',
      );
    this.loop.start();
  }

  /** Call after committing a transaction that added to the outbox. */
  kick(): void {
    this.loop.kick();
  }

  /**
   * For /readyz: the mail server as the last attempt found it. A refusal of one mail (5xx) says
   * nothing of the server; only a failure to hand a mail over at all makes it not ok.
   */
  health(): { ok: boolean; detail: string } {
    const target = this.channels.mail.target;
    const last = this.lastMail;
    if (!last) return { ok: true, detail: `${target}: no mail sent yet` };
    const when = new Date(last.at).toISOString();
    return last.error === null
      ? { ok: true, detail: `${target}: last mail handed over at ${when}` }
      : { ok: false, detail: `${target}: ${last.error} (${when})` };
  }

  private lastMail: { at: number; error: string | null } | undefined;

  /** Lets the batch in flight finish and be recorded. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** A debounced mail goes out when its window closes, not up to a poll interval later. */
  private untilNextDue(): number {
    const next = this.outbox.nextDue();
    if (next === null) return this.settings.pollIntervalMs;
    return Math.max(0, Math.min(this.settings.pollIntervalMs, next - Date.now()));
  }

  /**
   * Sends until nothing is due; what failed waits for its own retry time. Up to batchSize are in
   * flight; when half of them are done, their outcomes are recorded in one transaction and as
   * many more are claimed, so the pool never runs dry between batches.
   */
  async drain(): Promise<void> {
    const window = this.settings.batchSize;
    let inFlight = 0;
    let done: Array<[ClaimedNotification, Outcome]> = [];
    let wake: (() => void) | undefined;
    for (;;) {
      const refill = !this.loop.isStopped && inFlight <= window / 2;
      // Outcomes are recorded in groups: one transaction per mail would cost more than the mail.
      if (done.length && (refill || inFlight === 0 || done.length >= window / 4)) {
        this.record(done);
        done = [];
      }
      if (refill) {
        const now = Date.now();
        for (const n of this.outbox.claimDue(window - inFlight, now, now - this.settings.claimTimeoutMs)) {
          inFlight++;
          void this.deliver(n).then((o) => {
            done.push([n, o]);
            inFlight--;
            wake?.();
          });
        }
      }
      if (inFlight === 0 && done.length === 0) return;
      if (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
    }
  }

  private record(outcomes: Array<[ClaimedNotification, Outcome]>): void {
    const now = Date.now();
    let deferred: [ClaimedNotification['kind'], DeliveryError] | undefined;
    const counts: Array<[ClaimedNotification['kind'], 'sent' | 'deferred' | 'failed']> = [];
    this.db.transaction(() => {
      for (const [n, o] of outcomes) {
        if (o.ok) {
          this.outbox.markSent(n.id, o.note, now);
          counts.push([n.kind, 'sent']);
        } else if (o.error.permanent) {
          this.outbox.markFailed(n.id, o.error.message, now);
          counts.push([n.kind, 'failed']);
        } else if (n.attempts + 1 >= this.settings.retry.maxAttempts) {
          this.outbox.markFailed(n.id, `gave up after ${n.attempts + 1} attempts: ${o.error.message}`, now);
          counts.push([n.kind, 'failed']);
        } else {
          deferred ??= [n.kind, o.error];
          const wait = o.error.retryAfterMs;
          const delay =
            wait === undefined ? this.backoff(n.attempts) : Math.min(MAX_RETRY_AFTER_MS, Math.max(wait, 0));
          this.outbox.markRetry(n.id, o.error.message, now + delay, now);
          counts.push([n.kind, 'deferred']);
        }
        if (n.kind === 'mail')
          this.lastMail = { at: now, error: o.ok || o.error.permanent ? null : o.error.message };
      }
    })();
    for (const [kind, outcome] of counts) this.counted(kind, outcome);
    for (const [n, o] of outcomes) {
      if (!o.ok && o.error.permanent)
        this.log.warn(
          { id: n.id, kind: n.kind, err: o.error.message },
          'notification refused; marked failed',
        );
    }
    if (deferred)
      this.log.warn(
        { err: deferred[1].message, target: this.channels[deferred[0]].target },
        'notifications could not be sent; will retry',
      );
  }

  private backoff(previousAttempts: number): number {
    const { delayMs, maxDelayMs } = this.settings.retry;
    return Math.min(maxDelayMs, delayMs * 2 ** Math.min(previousAttempts, 30));
  }

  private async deliver(n: ClaimedNotification): Promise<Outcome> {
    try {
      const { note } = await this.channels[n.kind].deliver(n);
      return { ok: true, note };
    } catch (err) {
      return {
        ok: false,
        error: err instanceof DeliveryError ? err : new DeliveryError(errorText(err), false, { cause: err }),
      };
    }
  }
}
