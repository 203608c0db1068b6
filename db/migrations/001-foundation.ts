import type { Migration } from '../migration.js';

export const foundation: Migration = {
  version: 1,
  name: 'foundation',
  up: `
    -- ids of handled messages, written in the same transaction as the handler's effect
    CREATE TABLE processed_messages (
      consumer     TEXT NOT NULL,
      message_id   TEXT NOT NULL,
      processed_at INTEGER NOT NULL,
      PRIMARY KEY (consumer, message_id)
    ) WITHOUT ROWID;
    CREATE INDEX processed_messages_age ON processed_messages (processed_at);

    -- messages written with the change that caused them, sent to the bus after commit
    CREATE TABLE outbox (
      id              INTEGER PRIMARY KEY,
      message_id      TEXT NOT NULL UNIQUE,
      topic           TEXT NOT NULL,
      body            TEXT NOT NULL,
      created_at      INTEGER NOT NULL,
      attempts        INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      last_error      TEXT
    );
    CREATE INDEX outbox_due ON outbox (next_attempt_at, id);

    -- every message seen on the bus, bounded; what server-sent events replay from
    CREATE TABLE event_log (
      id          INTEGER PRIMARY KEY,
      message_id  TEXT NOT NULL UNIQUE,
      topic       TEXT NOT NULL,
      headers     TEXT NOT NULL,
      body        TEXT NOT NULL,
      received_at INTEGER NOT NULL
    );

    -- the embedded bus: queued deliveries per queue, and its dead-letter queue
    CREATE TABLE bus_queue (
      id           INTEGER PRIMARY KEY,
      queue        TEXT NOT NULL,
      message_id   TEXT NOT NULL,
      topic        TEXT NOT NULL,
      headers      TEXT NOT NULL,
      body         BLOB NOT NULL,
      attempts     INTEGER NOT NULL DEFAULT 0,
      available_at INTEGER NOT NULL,
      leased       INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX bus_queue_ready ON bus_queue (queue, leased, available_at, id);

    CREATE TABLE bus_dead_letters (
      id         INTEGER PRIMARY KEY,
      queue      TEXT NOT NULL,
      message_id TEXT NOT NULL,
      topic      TEXT NOT NULL,
      headers    TEXT NOT NULL,
      body       BLOB NOT NULL,
      reason     TEXT NOT NULL,
      attempts   INTEGER NOT NULL,
      dead_at    INTEGER NOT NULL
    );
  `,
};
