import type { Migration } from '../migration.js';

/**
 * The outbox carries a third channel, chat (Slack-compatible incoming webhooks). SQLite cannot
 * change a CHECK constraint in place, so both outbox tables are rebuilt with the rows they hold;
 * the payload table is rebuilt too, because its foreign key must point at the new table before
 * the old one goes (with foreign keys on, dropping the parent would delete every payload).
 */
export const outboxChat: Migration = {
  version: 16,
  name: 'outbox-chat',
  up: `
    CREATE TABLE mail_outbox_new (
      id           INTEGER PRIMARY KEY,
      kind         TEXT NOT NULL CHECK (kind IN ('mail', 'webhook', 'chat')),
      rule         TEXT NOT NULL,
      template     TEXT,
      message_id   TEXT NOT NULL,
      source_id    TEXT,
      dedup_key    TEXT,
      debounce_key TEXT,
      baseline     TEXT,
      state        TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
      recipients   TEXT NOT NULL,
      subject      TEXT NOT NULL,
      created_at   INTEGER NOT NULL,
      updated_at   INTEGER NOT NULL,
      due_at       INTEGER NOT NULL,
      attempts     INTEGER NOT NULL DEFAULT 0,
      last_error   TEXT,
      sent_at      INTEGER
    );
    INSERT INTO mail_outbox_new SELECT id, kind, rule, template, message_id, source_id, dedup_key, debounce_key,
      baseline, state, recipients, subject, created_at, updated_at, due_at, attempts, last_error, sent_at FROM mail_outbox;
    CREATE TABLE mail_outbox_payload_new (
      outbox_id INTEGER PRIMARY KEY REFERENCES mail_outbox_new (id) ON DELETE CASCADE,
      head      TEXT NOT NULL,
      body      TEXT NOT NULL,
      html      TEXT
    );
    INSERT INTO mail_outbox_payload_new SELECT outbox_id, head, body, html FROM mail_outbox_payload;
    DROP TABLE mail_outbox_payload;
    DROP TABLE mail_outbox;
    ALTER TABLE mail_outbox_new RENAME TO mail_outbox;
    ALTER TABLE mail_outbox_payload_new RENAME TO mail_outbox_payload;
    CREATE UNIQUE INDEX mail_outbox_dedup ON mail_outbox (dedup_key) WHERE dedup_key IS NOT NULL;
    CREATE INDEX mail_outbox_due ON mail_outbox (due_at, id) WHERE state = 'pending';
    CREATE INDEX mail_outbox_claimed ON mail_outbox (updated_at, id) WHERE state = 'sending';
    CREATE INDEX mail_outbox_debounce ON mail_outbox (debounce_key, id) WHERE debounce_key IS NOT NULL;
    CREATE INDEX mail_outbox_age ON mail_outbox (updated_at) WHERE state IN ('sent', 'failed', 'cancelled');
  `,
};
