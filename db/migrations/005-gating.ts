import type { Migration } from '../migration.js';

/**
 * The decision fast path: the newest result per subject × testcase × scenario × architecture ×
 * variant, kept by the results store's insert hook in the insert's own transaction, so a decision
 * reads one short range of one clustered index instead of ranking a subject's whole history.
 * A subject is found by (item_key, item): the data key that names it and its value; `type` is the
 * result's `type` value ('' when it has none). The *_key columns hold the full value list as JSON
 * ('' when absent) and tell results apart; the plain columns keep the first value for answers.
 * gating_latest_state says which item keys are indexed and up to which result id the table is
 * complete, so results stored without the hook (bulk loads, other tools) are caught up.
 */
export const gating: Migration = {
  version: 5,
  name: 'gating',
  up: `
    CREATE TABLE gating_latest (
      item_key            TEXT NOT NULL,
      item                TEXT NOT NULL,
      type                TEXT NOT NULL,
      testcase            TEXT NOT NULL,
      scenario_key        TEXT NOT NULL,
      arch_key            TEXT NOT NULL,
      variant_key         TEXT NOT NULL,
      result_id           INTEGER NOT NULL,
      submit_time         INTEGER NOT NULL,
      outcome             TEXT NOT NULL,
      scenario            TEXT,
      system_architecture TEXT,
      system_variant      TEXT,
      error_reason        TEXT,
      PRIMARY KEY (item_key, item, type, testcase, scenario_key, arch_key, variant_key)
    ) WITHOUT ROWID;

    CREATE TABLE gating_latest_state (
      id                INTEGER PRIMARY KEY CHECK (id = 1),
      item_keys         TEXT NOT NULL,
      through_result_id INTEGER NOT NULL
    );
    INSERT INTO gating_latest_state (id, item_keys, through_result_id) VALUES (1, '[]', 0);
  `,
};
