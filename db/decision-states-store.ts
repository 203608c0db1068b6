import type { Statement } from 'better-sqlite3';
import type { DecisionState } from '../gating/decision-update-message.js';
import type { Db } from './open-database.js';

export interface DecisionKey {
  subjectType: string;
  subjectIdentifier: string;
  context: string;
  productVersion: string;
}

/**
 * The decision last evaluated per subject × decision context × product version (migration
 * 008's gating_decisions): what decision-change messages compare with and carry as `previous`.
 * Called inside the consumer's effect transaction, so a row and the message it led to commit together.
 */
export class DecisionStatesStore {
  private readonly sql: { get: Statement; put: Statement };

  constructor(db: Db) {
    this.sql = {
      get: db
        .prepare(`SELECT decision FROM gating_decisions
        WHERE subject_identifier = @subjectIdentifier AND subject_type = @subjectType AND decision_context = @context AND product_version = @productVersion`)
        .pluck(),
      put: db.prepare(`INSERT INTO gating_decisions (subject_identifier, subject_type, decision_context, product_version, decision, evaluated_at)
        VALUES (@subjectIdentifier, @subjectType, @context, @productVersion, @decision, @at)
        ON CONFLICT (subject_identifier, subject_type, decision_context, product_version) DO UPDATE SET decision = excluded.decision, evaluated_at = excluded.evaluated_at`),
    };
  }

  get(key: DecisionKey): DecisionState | undefined {
    const json = this.sql.get.get(key) as string | undefined;
    return json === undefined ? undefined : (JSON.parse(json) as DecisionState);
  }

  put(key: DecisionKey, decision: DecisionState, at: number): void {
    this.sql.put.run({ ...key, decision: JSON.stringify(decision), at });
  }
}
