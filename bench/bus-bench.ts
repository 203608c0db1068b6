/**
 * bench/bus: messages consumed, validated, stored and acked per second through real RabbitMQ
 * by Sluice's AMQP bus, next to a bare amqplib consume-and-ack loop on the same broker, in the
 * same run; plus Sluice's publish rate with confirms. Rounds alternate so that both sides see
 * the same machine state; the median of each is reported.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { AmqpBus } from '../bus/amqp-bus.js';
import { migrate } from '../db/migrate.js';
import { openDatabase } from '../db/open-database.js';
import { publishProperties } from '../bus/publish-properties.js';
import {
  bareConsumeLoop,
  type PreparedMessage,
  benchAmqpUrl,
  benchConfig,
  benchLogger,
  benchRegistry,
  median,
  rate,
} from './bench-support.js';

const TEST_ITEM_SCHEMA = 'https://sluice.dev/schemas/test/test.item.json';
const N = Number(process.env.BENCH_MESSAGES ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PREFETCH = Number(process.env.BENCH_PREFETCH ?? 200);
const url = benchAmqpUrl();

/** The bytes and properties Sluice's publisher produces, so that both loops read identical messages. */
function sluiceLikeMessage(n: number): PreparedMessage {
  return {
    body: Buffer.from(JSON.stringify({ n, label: 'bench message' })),
    options: publishProperties('test.item', randomUUID(), TEST_ITEM_SCHEMA),
  };
}

async function bareRound(): Promise<number> {
  return bareConsumeLoop(
    url,
    Array.from({ length: N }, (_, i) => sluiceLikeMessage(i)),
    PREFETCH,
  );
}

async function sluiceRound(round: number): Promise<{ consume: number; publish: number }> {
  const tag = randomBytes(3).toString('hex');
  const config = benchConfig(
    {
      bus: {
        url,
        topicPrefix: `b${tag}.`,
        queuePrefix: `b${tag}.`,
        deadLetterQueue: `b${tag}.dlq`,
        prefetch: PREFETCH,
      },
    },
    `bus ${round}`,
  );
  const db = openDatabase(config.db.path);
  migrate(db);
  db.exec(
    'CREATE TABLE bench_effects (id INTEGER PRIMARY KEY, message_id TEXT NOT NULL, n INTEGER NOT NULL, label TEXT)',
  );
  const insert = db.prepare('INSERT INTO bench_effects (message_id, n, label) VALUES (?, ?, ?)');
  const registry = benchRegistry();

  // Publish with confirms into the consumer's (pre-declared) queue, up to 1,000 unconfirmed at once.
  const publisher = new AmqpBus(registry, config.bus, benchLogger());
  await publisher.start();
  const conn = await amqp.connect(url);
  const admin = await conn.createChannel();
  const queue = `${config.bus.queuePrefix}bench`;
  await admin.assertQueue(queue, { durable: true });
  await admin.bindQueue(queue, config.bus.exchange, `${config.bus.topicPrefix}test.#`);
  const pubStarted = performance.now();
  const window = 1000;
  for (let i = 0; i < N; i += window) {
    await Promise.all(
      Array.from({ length: Math.min(window, N - i) }, (_, k) =>
        publisher.publish('test.bench', { n: i + k, label: 'bench message' }),
      ),
    );
  }
  const publish = rate(N, performance.now() - pubStarted);
  await publisher.stop();

  const bus = new AmqpBus(registry, config.bus, benchLogger(), db);
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  let handled = 0;
  bus.consume({
    name: 'bench',
    topics: ['test.#'],
    handle(message, ctx) {
      const b = message.body as { n: number; label: string };
      ctx.effect(() => insert.run(message.messageId, b.n, b.label));
      if (++handled === N) done();
    },
  });
  const started = performance.now();
  await bus.start();
  await finished;
  const consume = rate(N, performance.now() - started);
  await bus.stop();
  const stored = (db.prepare('SELECT COUNT(*) AS n FROM bench_effects').get() as { n: number }).n;
  if (stored !== N) throw new Error(`expected ${N} stored effects, found ${stored}`);
  await admin.deleteQueue(queue);
  await admin.deleteQueue(`${queue}.retry`);
  await admin.deleteQueue(config.bus.deadLetterQueue);
  await conn.close();
  db.close();
  return { consume, publish };
}

const bare: number[] = [];
const sluice: number[] = [];
const publish: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  bare.push(await bareRound());
  const s = await sluiceRound(round);
  sluice.push(s.consume);
  publish.push(s.publish);
  console.log(
    `round ${round}: bare amqplib consume+ack ${bare.at(-1)} msg/s | sluice consume+validate+store+ack ${s.consume} msg/s | sluice publish with confirms ${s.publish} msg/s`,
  );
}
const b = median(bare);
const s = median(sluice);
console.log('');
console.log(`bench/bus: ${N} messages per round, ${ROUNDS} rounds, prefetch ${PREFETCH} (medians)`);
console.log(`  bare amqplib consume+ack:                  ${b} msg/s`);
console.log(`  sluice consume+validate+store+ack:         ${s} msg/s   (target >= 5000)`);
console.log(`  ratio sluice / bare:                       ${(s / b).toFixed(2)}   (target >= 0.50)`);
console.log(`  sluice publish with confirms:              ${median(publish)} msg/s`);
