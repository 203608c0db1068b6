import type { Migration } from '../migration.js';

/**
 * The outbox relay reads new rows after the last one it handed to the bus (producers/outbox-relay.ts),
 * which needs ids that only grow: a plain INTEGER PRIMARY KEY hands out the id of a deleted
 * newest row again, so a row added just after the newest one was confirmed would sit behind the
 * relay's cursor. AUTOINCREMENT never reuses an id.
 */
export const outboxIdsNeverReused: Migration = {
  version: 12,
  name: 'outbox-ids-never-reused',
  up: `
    CREATE TABLE outbox_new (
      id              INTEGER PRIMARY KEY AUTOINCREMENT,
      message_id      TEXT NOT NULL UNIQUE,
      topic           TEXT NOT NULL,
      body            TEXT NOT NULL,
      created_at      INTEGER NOT NULL,
      attempts        INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      last_error      TEXT
    );
    INSERT INTO outbox_new (id, message_id, topic, body, created_at, attempts, next_attempt_at, last_error)
      SELECT id, message_id, topic, body, created_at, attempts, next_attempt_at, last_error FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_new RENAME TO outbox;
    CREATE INDEX outbox_due ON outbox (next_attempt_at, id);
  `,
};
