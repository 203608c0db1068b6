import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/open-database.js';
import type { SchemaRegistry } from '../schemas/schema-registry.js';

export interface OutboxRow {
  id: number;
  message_id: string;
  topic: string;
  body: string;
  attempts: number;
}

/**
 * Messages that must go out because a change was stored. `add` is called inside the
 * transaction that stores the change, so the message exists exactly when the change does;
 * the relay sends it after commit. The body is validated here, where the caller can still
 * refuse the change, not later where nobody could.
 */
export class Outbox {
  private readonly insertStmt: Statement<[string, string, string, number, number]>;
  private readonly dueStmt: Statement<[number, number]>;
  private readonly doneStmt: Statement<[number]>;
  private readonly failedStmt: Statement<[number, string, number]>;
  private readonly depthStmt: Statement<[]>;

  constructor(private readonly db: Db, private readonly registry: SchemaRegistry) {
    this.insertStmt = db.prepare('INSERT INTO outbox (message_id, topic, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)');
    this.dueStmt = db.prepare('SELECT id, message_id, topic, body, attempts FROM outbox WHERE next_attempt_at <= ? ORDER BY id LIMIT ?');
    this.doneStmt = db.prepare('DELETE FROM outbox WHERE id = ?');
    this.failedStmt = db.prepare('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?');
    this.depthStmt = db.prepare('SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox');
  }

  add(topic: string, body: unknown): string {
    this.registry.validate(topic, body);
    const messageId = randomUUID();
    const now = Date.now();
    this.insertStmt.run(messageId, topic, JSON.stringify(body), now, now);
    return messageId;
  }

  due(limit: number): OutboxRow[] {
    return this.dueStmt.all(Date.now(), limit) as OutboxRow[];
  }

  sent(id: number): void {
    this.doneStmt.run(id);
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
