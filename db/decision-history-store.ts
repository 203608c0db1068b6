import type { Statement } from 'better-sqlite3';
import type { DecisionChange, DecisionHistory, DecisionSnapshot } from '../gating/decision-history.js';
import type { Db } from './open-database.js';
import { StatementCache } from './statement-cache.js';

export interface DecisionHistoryFilter {
  subjectType: string;
  subjectIdentifier: string;
  context?: string;
  productVersion?: string;
  /** Only changes older than this id (the previous page's last). */
  beforeId?: number;
  limit: number;
}

/** A stored change with its id, which orders the history (newest = highest). */
export interface StoredDecisionChange extends DecisionChange {
  id: number;
}

interface Row {
  id: number;
  subject_type: string;
  subject_identifier: string;
  decision_context: string;
  product_version: string;
  /** The copy, or else the `after` of the row before_id names (migration 020). */
  before: string | null;
  after: string;
  cause_kind: 'result' | 'waiver';
  cause_id: number;
  cause_testcase: string;
  cause_by: string | null;
  cause_at: number;
  changed_at: number;
}

/**
 * Every decision change (migration 014's decision_history), added by DecisionChanges inside the
 * transaction that publishes the change, so the history and the messages agree.
 */
export class DecisionHistoryStore implements DecisionHistory {
  private readonly insert: Statement;
  private readonly statements: StatementCache;

  constructor(db: Db) {
    this.statements = new StatementCache(db, 16);
    this.insert = db.prepare(`INSERT INTO decision_history
      (subject_type, subject_identifier, decision_context, product_version, before, before_id, after,
       cause_kind, cause_id, cause_testcase, cause_by, cause_at, changed_at)
      VALUES (@subjectType, @subjectIdentifier, @context, @productVersion, @before, @beforeId, @after,
       @kind, @id, @testcase, @by, @causeAt, @at)`);
  }

  record(c: DecisionChange, beforeIsAfterOf: number | null = null): number {
    const byReference = beforeIsAfterOf !== null && c.before !== null;
    const { lastInsertRowid } = this.insert.run({
      subjectType: c.subjectType,
      subjectIdentifier: c.subjectIdentifier,
      context: c.context,
      productVersion: c.productVersion,
      before: c.before === null || byReference ? null : JSON.stringify(c.before),
      beforeId: byReference ? beforeIsAfterOf : null,
      after: JSON.stringify(c.after),
      kind: c.cause.kind,
      id: c.cause.id,
      testcase: c.cause.testcase,
      by: c.cause.by,
      causeAt: c.cause.at,
      at: c.at,
    });
    return Number(lastInsertRowid);
  }

  /** The subject's changes, newest first. */
  list(f: DecisionHistoryFilter): StoredDecisionChange[] {
    const params: Array<string | number> = [f.subjectIdentifier, f.subjectType];
    const where = ['h.subject_identifier = ?', 'h.subject_type = ?'];
    const add = (condition: string, value: string | number | undefined) => {
      if (value === undefined) return;
      where.push(condition);
      params.push(value);
    };
    add('h.decision_context = ?', f.context);
    add('h.product_version = ?', f.productVersion);
    add('h.id < ?', f.beforeId);
    params.push(f.limit);
    return this.statements
      .all<Row>({
        sql: `SELECT h.id, h.subject_type, h.subject_identifier, h.decision_context, h.product_version,
            COALESCE(h.before, b.after) AS before, h.after, h.cause_kind, h.cause_id, h.cause_testcase,
            h.cause_by, h.cause_at, h.changed_at
          FROM decision_history h LEFT JOIN decision_history b ON b.id = h.before_id
          WHERE ${where.join(' AND ')} ORDER BY h.id DESC LIMIT ?`,
        params,
      })
      .map(change);
  }
}

function change(r: Row): StoredDecisionChange {
  return {
    id: r.id,
    subjectType: r.subject_type,
    subjectIdentifier: r.subject_identifier,
    context: r.decision_context,
    productVersion: r.product_version,
    before: r.before === null ? null : (JSON.parse(r.before) as DecisionSnapshot),
    after: JSON.parse(r.after) as DecisionSnapshot,
    cause: { kind: r.cause_kind, id: r.cause_id, testcase: r.cause_testcase, by: r.cause_by, at: r.cause_at },
    at: r.changed_at,
  };
}
