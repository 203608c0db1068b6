import type { Migration } from '../migration.js';

/**
 * decision_history: every decision change, written in the transaction that publishes its
 * `greenwave.decision.update` (gating_decisions keeps only the latest), so a person can see why a
 * subject's decision is what it is: the decision before and after, and the result or waiver that
 * changed it. Read newest first per subject, hence the index on (subject, id).
 */
export const decisionHistory: Migration = {
  version: 14,
  name: 'decision-history',
  up: `
    CREATE TABLE decision_history (
      id                 INTEGER PRIMARY KEY AUTOINCREMENT,
      subject_type       TEXT NOT NULL,
      subject_identifier TEXT NOT NULL,
      decision_context   TEXT NOT NULL,
      product_version    TEXT NOT NULL,
      before             TEXT,
      after              TEXT NOT NULL,
      cause_kind         TEXT NOT NULL CHECK (cause_kind IN ('result', 'waiver')),
      cause_id           INTEGER NOT NULL,
      cause_testcase     TEXT NOT NULL,
      cause_by           TEXT,
      cause_at           INTEGER NOT NULL,
      changed_at         INTEGER NOT NULL
    );
    CREATE INDEX decision_history_subject ON decision_history (subject_identifier, subject_type, id);
  `,
};
