import type { Migration } from '../migration.js';

/**
 * Environments (a job's `environment: test|prod|…`). environment_locks holds, per environment,
 * the one job node deploying to it: its primary key is what keeps a second one out, whichever
 * process dispatches. environment_queue keeps the jobs waiting their turn with the queued
 * message each will be dispatched with, oldest first. deployments records what a passing job
 * deployed where, for its run's API answer.
 */
export const environments: Migration = {
  version: 17,
  name: 'environments',
  up: `
    CREATE TABLE environment_locks (
      environment TEXT PRIMARY KEY,
      node_id     INTEGER NOT NULL,
      since       INTEGER NOT NULL
    );
    CREATE TABLE environment_queue (
      node_id     INTEGER PRIMARY KEY,
      environment TEXT NOT NULL,
      message     TEXT NOT NULL,
      timeout_ms  INTEGER NOT NULL,
      queued_at   INTEGER NOT NULL
    );
    CREATE INDEX environment_queue_order ON environment_queue (environment, node_id);
    CREATE TABLE deployments (
      node_id     INTEGER PRIMARY KEY,
      run_id      INTEGER NOT NULL,
      environment TEXT NOT NULL,
      job         TEXT NOT NULL,
      subject     TEXT NOT NULL,
      at          INTEGER NOT NULL
    );
    CREATE INDEX deployments_run ON deployments (run_id, node_id);
    CREATE INDEX deployments_environment ON deployments (environment, at);
  `,
};
