import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { SluiceService } from '../../service/sluice-service.js';
import { FAST_RECOVERY, NO_PRIVATE_NODE, privateRabbitNodeForThisFile } from '../support/broker.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

// This test stops and starts the broker, so it gets a node of its own.
const privateNode = privateRabbitNodeForThisFile();

const TOTAL = 1000;

test('results posted while the broker is down are all accepted, and each is announced exactly once when it is back', {
  timeout: 240_000,
}, async (t) => {
  const node = privateNode();
  if (!node) return t.skip(NO_PRIVATE_NODE);
  const config = testConfig(FAST_RECOVERY, { amqpUrl: node.url });
  const service = await SluiceService.create({ config, log: silentLogger(), registry: testRegistry() });
  const base = (await service.start())!;
  t.after(() => service.stop());

  // A subscriber of our announcements, as Greenwave or a dashboard would be: a durable queue of
  // its own, so it keeps what arrives while it is away, and it counts every delivery it gets.
  const watcherQueue = `${config.bus.queuePrefix}outage-watcher`;
  {
    const conn = await amqp.connect(node.url);
    const ch = await conn.createChannel();
    await ch.assertQueue(watcherQueue, { durable: true });
    await ch.bindQueue(watcherQueue, config.bus.exchange, `${config.bus.topicPrefix}resultsdb.result.new`);
    await conn.close();
  }

  await node.stop();
  await waitFor('the bus to notice the broker is gone', () => !service.ctx.bus.health().ok, 20_000);
  const down = await fetch(`${base}/readyz`);
  assert.equal(down.status, 503, '/readyz says the service is not ready without its broker');
  const downBody = (await down.json()) as {
    checks: { store: { ok: boolean }; bus: { ok: boolean; detail: string } };
  };
  assert.equal(downBody.checks.store.ok, true);
  assert.equal(downBody.checks.bus.ok, false);
  assert.doesNotMatch(downBody.checks.bus.detail, /guest:guest/, 'the broker password is not shown');

  const statuses = new Map<number, number>();
  const post = async (n: number) => {
    const res = await fetch(`${base}/api/v2.0/results`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        testcase: 'dist.outage',
        outcome: n % 7 === 0 ? 'FAILED' : 'PASSED',
        data: { item: `pkg-${n}-1.0-1.fc41`, type: 'koji_build' },
      }),
    });
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    await res.arrayBuffer();
  };
  const started = Date.now();
  for (let n = 0; n < TOTAL; n += 50) await Promise.all(Array.from({ length: 50 }, (_, i) => post(n + i)));
  t.diagnostic(`${TOTAL} POSTs answered in ${Date.now() - started} ms with the broker down`);
  assert.deepEqual([...statuses], [[201, TOTAL]], 'every result was accepted while the broker was down');
  await sleep(2000);
  assert.equal(
    service.ctx.outbox.depth().count,
    TOTAL,
    'every announcement waits in the outbox while the broker is down',
  );

  await node.start();
  await waitFor('the outbox to drain', () => service.ctx.outbox.depth().count === 0, 90_000, 100);
  assert.equal((await fetch(`${base}/readyz`)).status, 200, '/readyz is ready again once the broker is back');

  const conn = await amqp.connect(node.url);
  t.after(() => conn.close());
  const ch = await conn.createChannel();
  const ids = new Set<string>();
  let deliveries = 0;
  const items = new Set<string>();
  await ch.consume(watcherQueue, (msg) => {
    if (!msg) return;
    deliveries++;
    ids.add(String(msg.properties.messageId));
    const body = JSON.parse(msg.content.toString('utf8')) as { data?: { item?: string[] } };
    for (const item of body.data?.item ?? []) items.add(item);
    ch.ack(msg);
  });
  await waitFor(`${TOTAL} distinct announcements`, () => ids.size >= TOTAL, 60_000, 100);
  await sleep(1500); // a duplicate sent late would show up here
  assert.equal(ids.size, TOTAL, 'one announcement per result');
  assert.equal(deliveries, TOTAL, 'and none delivered twice');
  assert.equal(items.size, TOTAL, 'each announcement carries its own result');
});
