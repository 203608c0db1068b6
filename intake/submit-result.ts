import type { Logger } from 'pino';
import { errorText } from '../bus/message-processor.js';
import type { GatingLatestStore } from '../db/gating-latest-store.js';
import type { Db } from '../db/open-database.js';
import { ProcessedMessages } from '../db/processed-messages.js';
import type { ResultsStore } from '../db/results-store.js';
import type { Outbox } from '../producers/outbox.js';
import { parseResultInput, type ResultInput } from '../results/parse-result-input.js';
import type { StoredResult } from '../results/result-json.js';
import { GATING_CHANGES_CONSUMER, type GatingEffects, type GatingPlan } from './gating-effects.js';

export interface ResultIntakeParts {
  db: Db;
  results: ResultsStore;
  latest: GatingLatestStore;
  outbox: Outbox;
  /**
   * Present (gating.changesWhenStored): decision changes are worked out in the transaction that
   * stores the result. Absent: all are left to the gating-changes consumer.
   */
  effects?: GatingEffects;
  /** Wakes the outbox relay after decision changes were published. */
  published: () => void;
  log: Logger;
}

/**
 * A result entering Sluice, whichever way it comes (POST /api/v2.0/results, `result.submit`, a
 * Fedora CI message, a pipeline job), in one transaction: the result and its
 * `resultsdb.result.new` (ResultsStore), the latest-result table decisions read, and, with
 * `effects`, the decision changes and update statuses it causes. Those are recorded as handled
 * by the gating-changes consumer under the announcement's id, and the announcement is marked in
 * the outbox as handled by it, so the bus does not deliver it there (were it delivered, the
 * ledger would drop it): the decision-change message goes out one broker round trip sooner.
 * A result whose decisions need a gating file fetched first is left to the consumer (it fetches
 * outside any transaction; the HTTP fetcher keeps the file for it meanwhile), as is one whose
 * recomputation fails (its savepoint rolls back, the result stays stored, its announcement
 * unmarked).
 */
export class ResultIntake {
  private readonly submitTx: (input: ResultInput) => StoredResult;
  private readonly changesTx: ((p: GatingPlan, messageId: string) => number) | undefined;

  constructor(private readonly parts: ResultIntakeParts) {
    const { db, outbox } = parts;
    this.submitTx = db.transaction((input: ResultInput) => this.store(input));
    const ledger = new ProcessedMessages(db);
    const effects = parts.effects;
    // A savepoint inside the storing transaction: a failure takes back only the decision work.
    this.changesTx = effects
      ? db.transaction((p: GatingPlan, messageId: string): number => {
          outbox.markHandled(messageId, GATING_CHANGES_CONSUMER);
          return ledger.record(GATING_CHANGES_CONSUMER, messageId) ? effects.apply(p) : 0;
        })
      : undefined;
  }

  /**
   * Validates a ResultsDB POST /results body and stores the result with what it changes for
   * gating. Throws ResultInputError (400 material) when the body cannot be stored. Joins the
   * caller's transaction when there is one (a consumer's effect, the pipeline engine's work). The
   * caller kicks the outbox relay after commit.
   */
  submit(body: unknown): StoredResult {
    const input = parseResultInput(body, this.parts.results.outcomes);
    return this.parts.db.inTransaction ? this.store(input) : this.submitTx(input);
  }

  private store(input: ResultInput): StoredResult {
    const { stored, messageId } = this.parts.results.store(input);
    this.parts.latest.record(stored);
    this.changes(stored, messageId);
    return stored;
  }

  private changes(stored: StoredResult, messageId: string): void {
    const { effects, log } = this.parts;
    if (!effects || !this.changesTx) return;
    let published: number;
    try {
      const planned = effects.plan(effects.resultEvent(stored));
      if (planned instanceof Promise) {
        // The consumer does it when the message arrives; a failure is its to report.
        planned.catch(() => undefined);
        return;
      }
      published = this.changesTx(planned, messageId);
    } catch (err) {
      log.warn({ err: errorText(err), resultId: stored.id }, 'decision changes not worked out with the result; the gating-changes consumer will');
      return;
    }
    if (published > 0) this.parts.published();
  }
}
