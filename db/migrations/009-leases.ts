import type { Migration } from '../migration.js';

/**
 * Leases let several processes on one store agree on which of them does a thing that must be
 * done once (scheduled sweeps, relaying the outbox): the holder renews its row before
 * expires_at, anyone may take a row that expired. scheduled_runs records each run of a
 * scheduled task and where it ran, for operators and for checking that only one process ran it.
 * Times are UTC epoch milliseconds.
 */
export const leases: Migration = {
  version: 9,
  name: 'leases',
  up: `
    CREATE TABLE leases (
      name        TEXT PRIMARY KEY,
      holder      TEXT NOT NULL,
      acquired_at INTEGER NOT NULL,
      expires_at  INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE scheduled_runs (
      id          INTEGER PRIMARY KEY,
      task        TEXT NOT NULL,
      holder      TEXT NOT NULL,
      started_at  INTEGER NOT NULL,
      finished_at INTEGER,
      outcome     TEXT,
      error       TEXT
    );
    CREATE INDEX scheduled_runs_task ON scheduled_runs (task, id);
  `,
};
