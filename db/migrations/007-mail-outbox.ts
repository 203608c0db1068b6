import type { Migration } from '../migration.js';

/**
 * Notifications (mails and webhook calls), written in the transaction of the change that caused
 * them and sent afterwards, so that an SMTP outage or a crash delays them and loses none.
 * mail_outbox_due serves the sender ("pending and due, oldest first"); mail_outbox_state the
 * HTTP listing by state; mail_outbox_debounce finds a decision mail still inside its window;
 * dedup_key makes "at most one" (a run's report) a constraint rather than a hope.
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
      message_id   TEXT NOT NULL UNIQUE,
      source_id    TEXT,
      dedup_key    TEXT UNIQUE,
      debounce_key TEXT,
      baseline     TEXT,
      state        TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
      recipients   TEXT NOT NULL,
      subject      TEXT NOT NULL,
      payload      TEXT NOT NULL,
      created_at   INTEGER NOT NULL,
      updated_at   INTEGER NOT NULL,
      due_at       INTEGER NOT NULL,
      attempts     INTEGER NOT NULL DEFAULT 0,
      last_error   TEXT,
      sent_at      INTEGER
    );
    CREATE INDEX mail_outbox_due ON mail_outbox (due_at, id) WHERE state = 'pending';
    CREATE INDEX mail_outbox_state ON mail_outbox (state, id);
    CREATE INDEX mail_outbox_debounce ON mail_outbox (debounce_key, id) WHERE debounce_key IS NOT NULL;
    CREATE INDEX mail_outbox_age ON mail_outbox (updated_at) WHERE state IN ('sent', 'failed', 'cancelled');

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
