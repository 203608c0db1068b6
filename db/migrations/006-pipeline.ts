import type { Migration } from '../migration.js';

/**
 * Pipeline nodes (KernelCI's model): one row per node of a run's tree. The sweeper reads the
 * nodes that are not done (a partial index keeps that cheap however many finished runs pile up);
 * superseding looks up the newest roots of a repo and branch. Times are epoch milliseconds;
 * artifacts and data are JSON objects. pipeline_seen_revisions remembers every head a poller
 * has triggered on, so a revision starts a run once.
 */
export const pipeline: Migration = {
  version: 6,
  name: 'pipeline',
  up: `
    CREATE TABLE pipeline_nodes (
      id          INTEGER PRIMARY KEY,
      run_id      INTEGER NOT NULL,
      parent_id   INTEGER REFERENCES pipeline_nodes (id),
      kind        TEXT NOT NULL,
      name        TEXT NOT NULL,
      path        TEXT NOT NULL,
      job         TEXT,
      state       TEXT NOT NULL CHECK (state IN ('running', 'available', 'closing', 'done')),
      result      TEXT CHECK (result IS NULL OR result IN ('pass', 'fail', 'skip', 'incomplete')),
      repo        TEXT,
      branch      TEXT,
      revision    TEXT,
      created_at  INTEGER NOT NULL,
      updated_at  INTEGER NOT NULL,
      timeout_at  INTEGER,
      holdoff_at  INTEGER,
      retry_count INTEGER NOT NULL DEFAULT 0,
      retry_of    INTEGER REFERENCES pipeline_nodes (id),
      artifacts   TEXT NOT NULL DEFAULT '{}',
      data        TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX pipeline_nodes_open ON pipeline_nodes (state) WHERE state <> 'done';
    CREATE INDEX pipeline_nodes_parent ON pipeline_nodes (parent_id);
    CREATE INDEX pipeline_nodes_run ON pipeline_nodes (run_id, id);
    CREATE INDEX pipeline_nodes_roots ON pipeline_nodes (repo, branch, id) WHERE parent_id IS NULL;

    -- a finished node stays as it was: a result that gated something must stay explainable
    CREATE TRIGGER pipeline_nodes_done_final BEFORE UPDATE ON pipeline_nodes WHEN OLD.state = 'done'
      BEGIN SELECT RAISE(ABORT, 'a done node cannot change'); END;

    CREATE TABLE pipeline_seen_revisions (
      repo     TEXT NOT NULL,
      branch   TEXT NOT NULL,
      revision TEXT NOT NULL,
      seen_at  INTEGER NOT NULL,
      PRIMARY KEY (repo, branch, revision)
    ) WITHOUT ROWID;
  `,
};
