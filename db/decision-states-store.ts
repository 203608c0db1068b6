import type { Statement } from 'better-sqlite3';
import type { DecisionKey, StoredDecisionState } from '../gating/decision-change-publisher.js';
import type { Db } from './open-database.js';

/**
 * The decision last evaluated per subject × decision context × product version (migration
 * 008's gating_decisions): what decision-change messages compare with and carry as `previous`.
 * Called inside the consumer's effect transaction, so a row and the message it led to commit together.
 */
export class DecisionStatesStore {
  private readonly sql: { get: Statement; put: Statement };

  constructor(db: Db) {
    this.sql = {
      get: db.prepare(`SELECT decision AS json, history_id AS historyId FROM gating_decisions
        WHERE subject_identifier = @subjectIdentifier AND subject_type = @subjectType AND decision_context = @context AND product_version = @productVersion`),
      put: db.prepare(`INSERT INTO gating_decisions (subject_identifier, subject_type, decision_context, product_version, decision, evaluated_at, history_id)
        VALUES (@subjectIdentifier, @subjectType, @context, @productVersion, @json, @at, @historyId)
        ON CONFLICT (subject_identifier, subject_type, decision_context, product_version)
        DO UPDATE SET decision = excluded.decision, evaluated_at = excluded.evaluated_at, history_id = excluded.history_id`),
    };
  }

  get(key: DecisionKey): StoredDecisionState | undefined {
    return this.sql.get.get(key) as StoredDecisionState | undefined;
  }

  put(key: DecisionKey, state: StoredDecisionState, at: number): void {
    this.sql.put.run({ ...key, json: state.json, historyId: state.historyId, at });
  }
}
