import type { Migration } from '../migration.js';

/**
 * Notifications (mails and webhook calls), written in the transaction of the change that caused
 * them and sent afterwards, so that an SMTP outage or a crash delays them and loses none.
 * mail_outbox_due serves the sender ("pending and due, oldest first"), mail_outbox_claimed its
 * look for claims a dead or stuck process left ("sending" for too long); mail_outbox_debounce
 * finds a decision mail still inside its window;
 * mail_outbox_dedup makes "at most one" (a run's report) a constraint rather than a hope. Each
 * index costs at every insert and change of state, so only these: Message-IDs are time-ordered
 * UUIDs, unique by construction, and nothing looks a notification up by one; the HTTP listing by
 * state reads newest first through the table (bounded by notify.keepDays).
 *
 * notify_run_nodes keeps the last body of each pipeline.node.* message seen, so that a run's
 * report can list its jobs. It stands in for the pipeline's own node store until both are on one
 * branch; then the report reads the node store and this table is left unused.
 */
export const mailOutbox: Migration = {
  version: 7,
  name: 'mail-outbox',
  up: `
    -- times are UTC epoch milliseconds
    CREATE TABLE mail_outbox (
      id           INTEGER PRIMARY KEY,
      kind         TEXT NOT NULL CHECK (kind IN ('mail', 'webhook')),
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
    CREATE UNIQUE INDEX mail_outbox_dedup ON mail_outbox (dedup_key) WHERE dedup_key IS NOT NULL;
    CREATE INDEX mail_outbox_due ON mail_outbox (due_at, id) WHERE state = 'pending';
    CREATE INDEX mail_outbox_claimed ON mail_outbox (updated_at, id) WHERE state = 'sending';
    CREATE INDEX mail_outbox_debounce ON mail_outbox (debounce_key, id) WHERE debounce_key IS NOT NULL;
    CREATE INDEX mail_outbox_age ON mail_outbox (updated_at) WHERE state IN ('sent', 'failed', 'cancelled');

    -- the mail itself (a few kB), apart: each change of state then rewrites a small row, not the
    -- mail. head: JSON of from, to, subject, headers (a webhook's url, headers); body: the text
    -- (the webhook's body, exactly as signed); html: the HTML part.
    CREATE TABLE mail_outbox_payload (
      outbox_id INTEGER PRIMARY KEY REFERENCES mail_outbox (id) ON DELETE CASCADE,
      head      TEXT NOT NULL,
      body      TEXT NOT NULL,
      html      TEXT
    );

    CREATE TABLE notify_run_nodes (
      node_id     INTEGER PRIMARY KEY,
      run_id      INTEGER NOT NULL,
      updated     TEXT NOT NULL,
      body        TEXT NOT NULL,
      recorded_at INTEGER NOT NULL
    );
    CREATE INDEX notify_run_nodes_run ON notify_run_nodes (run_id, node_id);
    CREATE INDEX notify_run_nodes_age ON notify_run_nodes (recorded_at);
  `,
};
