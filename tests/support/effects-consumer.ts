import type { ConsumerSpec } from '../../bus/bus.js';
import { storeOf } from '../../bus/effect-transaction.js';
import type { Db } from '../../db/open-database.js';

/**
 * A consumer whose effect is one row per handled message, with no uniqueness constraint of its
 * own: only the bus's idempotency keeps a redelivered message from adding a second row.
 */
export function createEffectsTable(db: Db): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS test_effects (id INTEGER PRIMARY KEY, consumer TEXT NOT NULL, message_id TEXT NOT NULL, topic TEXT NOT NULL, n INTEGER NOT NULL)',
  );
}

export function effectsConsumer(
  name: string,
  topics: string[],
  options: { failWhen?: (n: number) => boolean; prefetch?: number } = {},
): ConsumerSpec {
  return {
    name,
    topics,
    ...(options.prefetch ? { prefetch: options.prefetch } : {}),
    handle(message, ctx) {
      const { n } = message.body as { n: number };
      if (options.failWhen?.(n)) throw new Error(`refusing item ${n}`);
      ctx.effect((tx) =>
        storeOf(tx)
          .prepare('INSERT INTO test_effects (consumer, message_id, topic, n) VALUES (?, ?, ?, ?)')
          .run(name, message.messageId, message.topic, n),
      );
    },
  };
}

export function effectCounts(db: Db, consumer?: string): { rows: number; distinct: number } {
  const where = consumer ? 'WHERE consumer = ?' : '';
  const args = consumer ? [consumer] : [];
  return db
    .prepare(`SELECT COUNT(*) AS rows, COUNT(DISTINCT message_id) AS "distinct" FROM test_effects ${where}`)
    .get(...args) as { rows: number; distinct: number };
}

export function effectsOf(db: Db, consumer: string): Array<{ topic: string; n: number; message_id: string }> {
  return db
    .prepare('SELECT topic, n, message_id FROM test_effects WHERE consumer = ? ORDER BY id')
    .all(consumer) as Array<{ topic: string; n: number; message_id: string }>;
}
