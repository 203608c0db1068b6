import type { BodyOf, Topic } from '../schemas/topic-contract.js';
import type { Statement } from 'better-sqlite3';
import { HEADERS } from '../schemas/message-headers.js';
import type { EventLog } from './event-log.js';
import type { Db } from './open-database.js';
import type { SchemaRegistry } from '../schemas/schema-registry.js';
import { newMessageId } from '../schemas/message-id.js';

export interface OutboxOptions {
  /** Where server-sent events read from: each message is logged in the transaction that adds it. */
  eventLog?: EventLog;
  /** Called (synchronously) after each add; the caller's transaction has not committed yet. */
  onAdded?: () => void;
}

export interface OutboxRow {
  id: number;
  message_id: string;
  topic: string;
  body: string;
  attempts: number;
  /** A consumer of this deployment that already did this message's work (see markHandled). */
  handled_by: string | null;
}

/**
 * Messages that must go out because a change was stored. `add` is called inside the
 * transaction that stores the change, so the message exists exactly when the change does;
 * the relay sends it after commit. The body is validated here, where the caller can still
 * refuse the change, not later where nobody could.
 */
export class Outbox {
  private readonly insertStmt: Statement<[string, string, string, number, number]>;
  private readonly dueStmt: Statement<[number, number, number]>;
  private readonly doneStmt: Statement<[string]>;
  private readonly failedStmt: Statement<[number, string, number]>;
  private readonly depthStmt: Statement<[]>;
  private readonly handledStmt: Statement<[string, string]>;

  constructor(
    private readonly db: Db,
    private readonly registry: SchemaRegistry,
    private readonly options: OutboxOptions = {},
  ) {
    this.insertStmt = db.prepare(
      'INSERT INTO outbox (message_id, topic, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.dueStmt = db.prepare(
      'SELECT id, message_id, topic, body, attempts, handled_by FROM outbox WHERE id > ? AND next_attempt_at <= ? ORDER BY id LIMIT ?',
    );
    this.doneStmt = db.prepare('DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))');
    this.failedStmt = db.prepare(
      'UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?',
    );
    this.depthStmt = db.prepare('SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox');
    this.handledStmt = db.prepare('UPDATE outbox SET handled_by = ? WHERE message_id = ?');
  }

  /** Writes a message for `topic` in the caller's transaction; the body is checked against its schema. */
  add<T extends Topic>(topic: T, body: BodyOf<T>): string {
    return this.addNamed(topic.name, body);
  }

  /**
   * For topics named at run time: Fedora CI messages (the name says the artifact and the stage)
   * and what an operator publishes by name. Checked against the schema the registry finds.
   */
  addNamed(topic: string, body: unknown): string {
    const schemaId = this.registry.validate(topic, body);
    const messageId = newMessageId();
    const now = Date.now();
    const json = JSON.stringify(body);
    this.insertStmt.run(messageId, topic, json, now, now);
    // Logged now rather than when sent: the message is as certain as the change it announces.
    this.options.eventLog?.appendJson(messageId, topic, { [HEADERS.schema]: schemaId }, json);
    this.options.onAdded?.();
    return messageId;
  }

  /**
   * Says, in the transaction that added the message, that `consumer` (of this deployment) has
   * already done the message's work and recorded its id as handled. The message is still sent
   * to everybody else; the bus keeps it away from that consumer, which would only drop it.
   */
  markHandled(messageId: string, consumer: string): void {
    this.handledStmt.run(consumer, messageId);
  }

  /** Rows due to be sent, oldest first; with `after`, only those added after that row. */
  due(limit: number, after = 0): OutboxRow[] {
    return this.dueStmt.all(after, Date.now(), limit) as OutboxRow[];
  }

  /** Removes the rows of messages the bus confirmed. */
  sent(ids: number[]): void {
    if (ids.length > 0) this.doneStmt.run(JSON.stringify(ids));
  }

  failed(id: number, error: string, retryAt: number): void {
    this.failedStmt.run(retryAt, error, id);
  }

  depth(): { count: number; oldestAgeMs: number } {
    const r = this.depthStmt.get() as { n: number; oldest: number | null };
    return { count: r.n, oldestAgeMs: r.oldest === null ? 0 : Date.now() - r.oldest };
  }

  get database(): Db {
    return this.db;
  }
}
