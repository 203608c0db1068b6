import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { openDatabase } from '../../db/open-database.js';
import { amqpHarness } from '../support/amqp-harness.js';
import { requireBroker } from '../support/broker.js';
import { effectCounts } from '../support/effects-consumer.js';
import { ROOT } from '../support/paths.js';
import { waitFor } from '../support/wait-for.js';

const TOTAL = 10_000;
const CONSUMER = path.join(ROOT, 'dist/tests/support/crash-consumer.js');

function startConsumer(configFile: string): {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
} {
  const child = spawn('node', [CONSUMER, configFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`consumer exited (${code}) before it was ready`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, exited };
}

test('10,000 messages consumed by a process killed with SIGKILL at random moments leave exactly 10,000 effects', {
  timeout: 300_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  // This process only publishes; the consumer runs in children that share its store and queues.
  const h = await amqpHarness(url, [], { bus: { prefetch: 100 } });
  t.after(() => h.close());
  // The consumer's durable queue exists before anything is published, as it would in production.
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  await ch.assertQueue(`${h.config.bus.queuePrefix}crash-effects`, { durable: true });
  await ch.bindQueue(
    `${h.config.bus.queuePrefix}crash-effects`,
    h.config.bus.exchange,
    `${h.config.bus.topicPrefix}test.#`,
  );
  await conn.close();
  for (let i = 0; i < TOTAL; i += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, k) => h.bus.publish('test.crash', { n: i + k })));
  }
  const db = openDatabase(h.config.db.path);
  t.after(() => db.close());
  const counts = () =>
    db.prepare("SELECT name FROM sqlite_master WHERE name = 'test_effects'").get()
      ? effectCounts(db, 'crash-effects')
      : { rows: 0, distinct: 0 };

  let kills = 0;
  const killedAt: number[] = [];
  while (kills < 3) {
    const c = startConsumer(h.configFile);
    await c.ready;
    // A moment chosen by progress, not by time (the consumer got fast enough to finish between
    // timed kills): somewhere in the next quarter of the messages, plus a random few milliseconds.
    const target = Math.floor((TOTAL * (kills + 1 + Math.random() * 0.8)) / 4.5);
    while (counts().rows < target && c.child.exitCode === null) await sleep(2);
    await sleep(Math.random() * 5);
    const before = counts().rows;
    c.child.kill('SIGKILL');
    await c.exited;
    if (before >= TOTAL)
      assert.fail(
        `the consumer finished all ${TOTAL} messages before kill ${kills + 1}; the test proves nothing`,
      );
    kills++;
    killedAt.push(before);
  }
  t.diagnostic(`killed with SIGKILL after ${killedAt.join(', ')} effects`);

  const last = startConsumer(h.configFile);
  t.after(() => last.child.kill('SIGKILL'));
  await last.ready;
  await waitFor(`${TOTAL} effects`, () => counts().rows >= TOTAL, 120_000, 100);
  await sleep(1000); // anything redelivered late would show up now
  assert.deepEqual(counts(), { rows: TOTAL, distinct: TOTAL });
  const ns = db.prepare('SELECT COUNT(DISTINCT n) AS n, MIN(n) AS lo, MAX(n) AS hi FROM test_effects').get();
  assert.deepEqual(ns, { n: TOTAL, lo: 0, hi: TOTAL - 1 });
  assert.deepEqual(await h.bus.listDeadLetters(), []);
  last.child.kill('SIGTERM');
  assert.equal(await last.exited, 0, 'a graceful stop exits 0');
});
