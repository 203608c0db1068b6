import type { Migration } from '../migration.js';

/**
 * Forges in and out. forge_deliveries remembers each webhook delivery id a forge sent, so a
 * delivery the forge repeats (its redelivery button, a retry after a timeout) starts nothing
 * twice. forge_statuses is the commit-status outbox: rows are written in the transaction that
 * changes the node they report on and sent afterwards; `dedup_key` (node, phase) makes a status
 * exist once however often that change is replayed; `superseded` marks a row a later status of
 * the same context made pointless before it went out.
 */
export const forges: Migration = {
  version: 19,
  name: 'forges',
  up: `
    CREATE TABLE forge_deliveries (
      forge       TEXT NOT NULL,
      delivery_id TEXT NOT NULL,
      event       TEXT NOT NULL,
      run_id      INTEGER,
      outcome     TEXT NOT NULL,
      received_at INTEGER NOT NULL,
      PRIMARY KEY (forge, delivery_id)
    );
    CREATE TABLE forge_statuses (
      id              INTEGER PRIMARY KEY AUTOINCREMENT,
      dedup_key       TEXT NOT NULL UNIQUE,
      forge           TEXT NOT NULL,
      repo            TEXT NOT NULL,
      sha             TEXT NOT NULL,
      context         TEXT NOT NULL,
      state           TEXT NOT NULL,
      description     TEXT NOT NULL,
      target_url      TEXT NOT NULL,
      run_id          INTEGER NOT NULL,
      node_id         INTEGER NOT NULL,
      status          TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'sent', 'failed', 'superseded')),
      attempts        INTEGER NOT NULL DEFAULT 0,
      last_error      TEXT,
      created_at      INTEGER NOT NULL,
      next_attempt_at INTEGER NOT NULL,
      sent_at         INTEGER
    );
    CREATE INDEX forge_statuses_due ON forge_statuses (next_attempt_at, id) WHERE status = 'pending';
    CREATE INDEX forge_statuses_context ON forge_statuses (forge, repo, sha, context, id);
  `,
};
