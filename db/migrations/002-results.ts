import type { Migration } from '../migration.js';

/**
 * The results store (ResultsDB's model). Built for the gating queries: "results of item X of
 * type T for testcases A, B" and "the latest of those per testcase" start from one data value
 * (result_data_key_value gives the result ids of item=X in order), check the others by point
 * lookups in the same index, and fetch results by id; results_testcase_time serves the latest
 * result of one testcase, results_submit_time the unfiltered listing in time order.
 */
export const results: Migration = {
  version: 2,
  name: 'results',
  up: `
    CREATE TABLE testcases (
      id      INTEGER PRIMARY KEY,
      name    TEXT NOT NULL UNIQUE,
      ref_url TEXT
    );

    CREATE TABLE groups (
      id          INTEGER PRIMARY KEY,
      uuid        TEXT NOT NULL UNIQUE,
      description TEXT,
      ref_url     TEXT
    );

    -- submit_time is UTC epoch milliseconds
    CREATE TABLE results (
      id          INTEGER PRIMARY KEY,
      testcase_id INTEGER NOT NULL REFERENCES testcases (id),
      outcome     TEXT NOT NULL,
      note        TEXT,
      ref_url     TEXT,
      submit_time INTEGER NOT NULL
    );
    CREATE INDEX results_testcase_time ON results (testcase_id, submit_time);
    CREATE INDEX results_submit_time ON results (submit_time);

    -- clustered by result, so that a page of results loads its data in a few range reads;
    -- seq keeps the order the values were given in
    CREATE TABLE result_data (
      result_id INTEGER NOT NULL REFERENCES results (id),
      seq       INTEGER NOT NULL,
      key       TEXT NOT NULL,
      value     TEXT NOT NULL,
      PRIMARY KEY (result_id, seq)
    ) WITHOUT ROWID;
    CREATE INDEX result_data_key_value ON result_data (key, value, result_id);

    CREATE TABLE result_groups (
      result_id INTEGER NOT NULL REFERENCES results (id),
      group_id  INTEGER NOT NULL REFERENCES groups (id),
      PRIMARY KEY (result_id, group_id)
    ) WITHOUT ROWID;
    CREATE INDEX result_groups_group ON result_groups (group_id, result_id);

    -- results are append-only: a gating decision once made must stay explainable
    CREATE TRIGGER results_append_only BEFORE UPDATE ON results
      BEGIN SELECT RAISE(ABORT, 'results are append-only'); END;
    CREATE TRIGGER result_data_append_only BEFORE UPDATE ON result_data
      BEGIN SELECT RAISE(ABORT, 'results are append-only'); END;
  `,
};
