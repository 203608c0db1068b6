import type { Statement } from 'better-sqlite3';
import { topicMatches } from '../schemas/topic-pattern.js';
import type { HeaderValue } from '../schemas/message-headers.js';
import type { Db } from './open-database.js';

export interface LoggedEvent {
  /** Monotonic; what server-sent events use as their id and resume from. */
  id: number;
  messageId: string;
  topic: string;
  headers: Record<string, HeaderValue>;
  body: unknown;
  receivedAt: string;
}

interface Row {
  id: number;
  message_id: string;
  topic: string;
  headers: string;
  body: string;
  received_at: number;
}

/**
 * A bounded log, oldest dropped first, of every message Sluice publishes (written with the
 * outbox row, or after a direct publish was confirmed) and of recorded messages from others.
 */
export class EventLog {
  private readonly insertStmt: Statement<[string, string, string, string, number]>;
  private readonly afterStmt: Statement<[number, number]>;
  private readonly lastStmt: Statement<[]>;
  private readonly pruneStmt: Statement<[number]>;
  private sinceCheck = 0;

  constructor(
    db: Db,
    private readonly maxEvents: number,
  ) {
    this.insertStmt = db.prepare(
      'INSERT OR IGNORE INTO event_log (message_id, topic, headers, body, received_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.afterStmt = db.prepare('SELECT * FROM event_log WHERE id > ? ORDER BY id LIMIT ?');
    this.lastStmt = db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM event_log');
    this.pruneStmt = db.prepare('DELETE FROM event_log WHERE id <= ?');
  }

  /** Returns the new event's id, or 0 for a message already logged. */
  append(message: Pick<LoggedEvent, 'messageId' | 'topic' | 'headers' | 'body'>): number {
    return this.appendJson(message.messageId, message.topic, message.headers, JSON.stringify(message.body));
  }

  /** As append, with the body already serialized (the outbox has it so). */
  appendJson(
    messageId: string,
    topic: string,
    headers: Record<string, HeaderValue>,
    bodyJson: string,
  ): number {
    const r = this.insertStmt.run(messageId, topic, JSON.stringify(headers), bodyJson, Date.now());
    if (r.changes === 0) return 0;
    const id = Number(r.lastInsertRowid);
    // Pruning every insert would double the writes; every 1% of the bound keeps it within 1%.
    if (++this.sinceCheck >= Math.max(1, Math.floor(this.maxEvents / 100))) {
      this.sinceCheck = 0;
      this.pruneStmt.run(id - this.maxEvents);
    }
    return id;
  }

  lastId(): number {
    return (this.lastStmt.get() as { id: number }).id;
  }

  /** Events after `afterId` whose topic matches any pattern (all when none given). */
  after(afterId: number, patterns: string[], limit = 500): { events: LoggedEvent[]; scannedTo: number } {
    const rows = this.afterStmt.all(afterId, limit) as Row[];
    const scannedTo = rows.length ? rows[rows.length - 1]!.id : afterId;
    const events = rows
      .filter((r) => patterns.length === 0 || patterns.some((p) => topicMatches(p, r.topic)))
      .map((r) => ({
        id: r.id,
        messageId: r.message_id,
        topic: r.topic,
        headers: JSON.parse(r.headers) as Record<string, HeaderValue>,
        body: JSON.parse(r.body) as unknown,
        receivedAt: new Date(r.received_at).toISOString(),
      }));
    return { events, scannedTo };
  }
}
