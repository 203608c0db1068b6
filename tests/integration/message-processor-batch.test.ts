import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsumerSpec } from '../../bus/bus.js';
import { storeOf } from '../../bus/effect-transaction.js';
import { MessageProcessor, type RawDelivery } from '../../bus/message-processor.js';
import { migrate } from '../../db/migrate.js';
import { openDatabase } from '../../db/open-database.js';
import { createEffectsTable } from '../support/effects-consumer.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';

function delivery(n: number, fail = false): RawDelivery {
  return {
    messageId: `m-${n}`,
    topic: 'test.batch',
    content: Buffer.from(JSON.stringify({ n, ...(fail ? { fail: true } : {}) })),
    headers: {},
    attempt: 1,
  };
}

test('in a batch, an effect that fails after writing rolls back alone: the others commit once, it is retried, none is applied twice', () => {
  const config = testConfig();
  const db = openDatabase(config.db.path);
  migrate(db);
  createEffectsTable(db);
  const processor = new MessageProcessor(db, testRegistry(), config.bus.retry, silentLogger());
  let handled = 0;
  const spec: ConsumerSpec = {
    name: 'batcher',
    topics: ['test.#'],
    handle(message, ctx) {
      handled++;
      const { n, fail } = message.body as { n: number; fail?: boolean };
      ctx.effect((tx) => {
        storeOf(tx)
          .prepare('INSERT INTO test_effects (consumer, message_id, topic, n) VALUES (?, ?, ?, ?)')
          .run('batcher', message.messageId, message.topic, n);
        // A write that happened, then a failure: the write must not survive.
        if (fail) throw new Error(`effect ${n} failed half-way`);
      });
    },
  };
  const batch = [delivery(1), delivery(2, true), delivery(3)];
  const outcomes = processor.inBatch(() => batch.map((d) => processor.process(spec, d)));
  assert.deepEqual(
    outcomes.map((o) => (o as { action: string }).action),
    ['ack', 'retry', 'ack'],
  );
  assert.deepEqual(
    (db.prepare('SELECT n FROM test_effects ORDER BY n').all() as Array<{ n: number }>).map((r) => r.n),
    [1, 3],
  );
  assert.deepEqual(
    (
      db
        .prepare("SELECT message_id FROM processed_messages WHERE consumer = 'batcher' ORDER BY message_id")
        .all() as Array<{ message_id: string }>
    ).map((r) => r.message_id),
    ['m-1', 'm-3'],
  );
  // The batch ran again with a savepoint per message after the failure.
  assert.equal(handled, 6);

  // A clean batch runs once; a redelivered message has no second effect.
  handled = 0;
  const again = processor.inBatch(() => [delivery(3), delivery(4)].map((d) => processor.process(spec, d)));
  assert.deepEqual(again, [
    { action: 'ack', duplicate: true },
    { action: 'ack', duplicate: false },
  ]);
  assert.equal(handled, 1);
  assert.deepEqual(
    (db.prepare('SELECT n FROM test_effects ORDER BY n').all() as Array<{ n: number }>).map((r) => r.n),
    [1, 3, 4],
  );
  db.close();
});
