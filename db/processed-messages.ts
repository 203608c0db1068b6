import type { Statement } from 'better-sqlite3';
import type { Db } from './open-database.js';

/** The ledger of handled message ids per consumer: what makes redelivery harmless. */
export class ProcessedMessages {
  private readonly hasStmt: Statement<[string, string]>;
  private readonly recordStmt: Statement<[string, string, number]>;
  private readonly pruneStmt: Statement<[number]>;

  constructor(db: Db) {
    this.hasStmt = db.prepare('SELECT 1 FROM processed_messages WHERE consumer = ? AND message_id = ?');
    this.recordStmt = db.prepare(
      'INSERT OR IGNORE INTO processed_messages (consumer, message_id, processed_at) VALUES (?, ?, ?)',
    );
    this.pruneStmt = db.prepare('DELETE FROM processed_messages WHERE processed_at < ?');
  }

  has(consumer: string, messageId: string): boolean {
    return this.hasStmt.get(consumer, messageId) !== undefined;
  }

  /** False when the id was there already. Call inside the transaction that holds the effect. */
  record(consumer: string, messageId: string): boolean {
    return this.recordStmt.run(consumer, messageId, Date.now()).changes === 1;
  }

  prune(olderThanMs: number): number {
    return this.pruneStmt.run(Date.now() - olderThanMs).changes;
  }
}
