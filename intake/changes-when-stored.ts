import type { Logger } from 'pino';
import { errorText } from '../errors/error-text.js';
import type { Db } from '../db/open-database.js';
import { ProcessedMessages } from '../db/processed-messages.js';
import type { GatingEvent } from '../gating/gating-event.js';
import type { Outbox } from '../db/outbox.js';
import { GATING_CHANGES_CONSUMER, type GatingEffects, type GatingPlan } from './gating-effects.js';

/**
 * The gating effects of a result or waiver this process stores, worked out inside the transaction
 * that stores it (gating.changesWhenStored) instead of when its announcement comes back from the
 * broker: the decision-change message goes out one broker round trip sooner. The announcement's id
 * is recorded as handled by the gating-changes consumer in the same transaction, and the
 * announcement is marked in the outbox as handled by it, so the bus does not deliver it there
 * (were it delivered, the ledger would drop it). One whose decisions need a gating file fetched
 * first is left to the consumer (it fetches outside any transaction; the HTTP fetcher keeps the
 * file for it meanwhile), as is one whose recomputation fails (its savepoint rolls back, what was
 * stored stays, its announcement unmarked).
 */
export class ChangesWhenStored {
  private readonly tx: (p: GatingPlan, messageId: string) => number;

  constructor(
    db: Db,
    outbox: Outbox,
    readonly effects: GatingEffects,
    /** Wakes the outbox relay after decision changes were published. */
    private readonly published: () => void,
    private readonly log: Logger,
  ) {
    const ledger = new ProcessedMessages(db);
    // A savepoint inside the storing transaction: a failure takes back only the decision work.
    this.tx = db.transaction((p: GatingPlan, messageId: string): number => {
      outbox.markHandled(messageId, GATING_CHANGES_CONSUMER);
      return ledger.record(GATING_CHANGES_CONSUMER, messageId) ? effects.apply(p) : 0;
    });
  }

  /** Runs inside the storing transaction; `messageId` is the announcement's. Never throws. */
  apply(event: GatingEvent, messageId: string, about: Record<string, unknown>): void {
    let published: number;
    try {
      const planned = this.effects.plan(event);
      if (planned instanceof Promise) {
        // The consumer does it when the message arrives; a failure is its to report.
        planned.catch(() => undefined);
        return;
      }
      published = this.tx(planned, messageId);
    } catch (err) {
      this.log.warn(
        { err: errorText(err), ...about },
        `decision changes not worked out with the ${event.kind}; the gating-changes consumer will`,
      );
      return;
    }
    if (published > 0) this.published();
  }
}
