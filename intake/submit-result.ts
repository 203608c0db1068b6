import type { GatingLatestStore } from '../db/gating-latest-store.js';
import type { Db } from '../db/open-database.js';
import type { ResultsStore } from '../db/results-store.js';
import { parseResultInput, type ResultInput } from '../results/parse-result-input.js';
import type { StoredResult } from '../results/result-json.js';
import type { ChangesWhenStored } from './changes-when-stored.js';

/**
 * What takes a ResultsDB result body in (ResultIntake satisfies it): the result consumers and the
 * pipeline engine submit results through it, and tests give them a stand-in.
 */
export interface ResultSink {
  submit(body: unknown): unknown;
}

export interface ResultIntakeParts {
  db: Db;
  results: ResultsStore;
  latest: GatingLatestStore;
  /** Present with gating.changesWhenStored; absent, all decision changes are left to the gating-changes consumer. */
  changes?: ChangesWhenStored;
}

/**
 * A result entering Sluice, whichever way it comes (POST /api/v2.0/results, `result.submit`, a
 * Fedora CI message, a pipeline job), in one transaction: the result and its
 * `resultsdb.result.new` (ResultsStore), the latest-result table decisions read, and, with
 * `changes`, the decision changes and update statuses it causes (changes-when-stored.ts).
 */
export class ResultIntake {
  private readonly submitTx: (input: ResultInput) => StoredResult;

  constructor(private readonly parts: ResultIntakeParts) {
    this.submitTx = parts.db.transaction((input: ResultInput) => this.store(input));
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
    const { results, latest, changes } = this.parts;
    const { stored, messageId } = results.store(input);
    latest.record(stored);
    changes?.apply(changes.effects.resultEvent(stored), messageId, { resultId: stored.id });
    return stored;
  }
}
