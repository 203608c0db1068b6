import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BusUnavailableError } from '../../errors/bus-unavailable-error.js';
import { Outbox } from '../../db/outbox.js';
import { OutboxRelay } from '../../producers/outbox-relay.js';
import { amqpHarness, type AmqpHarness } from '../support/amqp-harness.js';
import {
  FAST_RECOVERY,
  NO_PRIVATE_NODE,
  privateRabbitNodeForThisFile,
  type PrivateRabbitNode,
} from '../support/broker.js';
import { effectCounts, effectsConsumer } from '../support/effects-consumer.js';
import { silentLogger, testRegistry } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

// These tests stop and start the broker, so they get a node of their own.
const privateNode = privateRabbitNodeForThisFile();

async function restartBroker(node: PrivateRabbitNode, downMs: number): Promise<void> {
  await node.stop();
  await sleep(downMs);
  await node.start();
}

test('broker restart mid-stream: consumption resumes by itself and every message is accounted for', {
  timeout: 180_000,
}, async (t) => {
  const node = privateNode();
  if (!node) return t.skip(NO_PRIVATE_NODE);
  const h: AmqpHarness = await amqpHarness(node.url, [effectsConsumer('resume', ['test.#'])], FAST_RECOVERY);
  t.after(() => h.close());
  const TOTAL = 3000;
  let refused = 0;
  // A publisher that keeps each message's id across its retries, as the outbox does.
  const publishing = (async () => {
    for (let n = 0; n < TOTAL; n++) {
      const messageId = `restart-${n}`;
      for (;;) {
        try {
          await h.bus.publish('test.restart', { n }, { messageId });
          break;
        } catch (err) {
          assert.ok(err instanceof BusUnavailableError, `unexpected ${String(err)}`);
          refused++;
          await sleep(100);
        }
      }
      if (n % 50 === 0) await sleep(5);
    }
  })();
  await waitFor('some messages consumed', () => effectCounts(h.db).rows > 200, 30_000);
  await restartBroker(node, 1000);
  await publishing;
  await waitFor(`all ${TOTAL} consumed`, () => effectCounts(h.db).distinct >= TOTAL, 60_000, 100);
  await sleep(500);
  assert.deepEqual(effectCounts(h.db), { rows: TOTAL, distinct: TOTAL });
  assert.ok(h.bus.health().ok, 'the bus reports itself connected again');
  t.diagnostic(`${refused} publish attempts were refused with BusUnavailableError while the broker was down`);
});

test('publishing while the broker is down fails clearly within the bound, and the outbox delivers everything once it is back', {
  timeout: 180_000,
}, async (t) => {
  const node = privateNode();
  if (!node) return t.skip(NO_PRIVATE_NODE);
  const h: AmqpHarness = await amqpHarness(
    node.url,
    [effectsConsumer('after-outage', ['test.#'])],
    FAST_RECOVERY,
  );
  t.after(() => h.close());
  await node.stop();
  await waitFor('the bus to notice', () => !h.bus.health().ok, 20_000);

  const started = Date.now();
  await assert.rejects(h.bus.publish('test.down', { n: 0 }), (err: unknown) => {
    assert.ok(err instanceof BusUnavailableError);
    assert.equal(err.code, 'BUS_UNAVAILABLE');
    assert.match(err.message, /not confirmed by amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+/);
    assert.doesNotMatch(err.message, /guest:guest/, 'the password never appears in an error');
    return true;
  });
  const waited = Date.now() - started;
  assert.ok(waited >= 1400 && waited < 4000, `the wait is bounded by confirmTimeoutMs (waited ${waited} ms)`);

  const outbox = new Outbox(h.db, testRegistry());
  const relay = new OutboxRelay(
    outbox,
    h.bus,
    { batchSize: 100, pollIntervalMs: 50, retryDelayMs: 100, maxRetryDelayMs: 500 },
    silentLogger(),
  );
  h.db.transaction(() => {
    for (let n = 1; n <= 200; n++) outbox.addNamed('test.outbox', { n });
  })();
  relay.start();
  t.after(() => relay.stop());
  await sleep(2500);
  assert.equal(outbox.depth().count, 200, 'nothing leaves the outbox while the broker is down');
  const lastError = h.db
    .prepare('SELECT last_error FROM outbox WHERE last_error IS NOT NULL LIMIT 1')
    .get() as { last_error: string } | undefined;
  assert.match(lastError?.last_error ?? '', /not confirmed/);

  await node.start();
  await waitFor('the outbox to drain', () => outbox.depth().count === 0, 60_000, 100);
  await waitFor('200 effects', () => effectCounts(h.db).rows >= 200, 30_000);
  await sleep(500);
  assert.deepEqual(effectCounts(h.db), { rows: 200, distinct: 200 });
});

test('listing or replaying dead letters while the broker is down fails within the bound, and no replay runs once it is back', {
  timeout: 180_000,
}, async (t) => {
  const node = privateNode();
  if (!node) return t.skip(NO_PRIVATE_NODE);
  let seen = 0;
  const refuser = {
    name: 'outage-dlq',
    topics: ['test.#'],
    handle: () => {
      seen++;
      return { deadLetter: 'refused for the test' };
    },
  };
  const h: AmqpHarness = await amqpHarness(node.url, [refuser], FAST_RECOVERY);
  t.after(() => h.close());
  await h.bus.publish('test.dead', { n: 1 });
  await waitFor('the dead letter', async () => (await h.bus.listDeadLetters()).length === 1);
  assert.equal(seen, 1);

  await node.stop();
  await waitFor('the bus to notice', () => !h.bus.health().ok, 20_000);
  for (const [what, call] of [
    ['replay', () => h.bus.replayDeadLetters()],
    ['list', () => h.bus.listDeadLetters()],
  ] as const) {
    const started = Date.now();
    await assert.rejects(call(), (err: unknown) => {
      assert.ok(err instanceof BusUnavailableError, String(err));
      assert.match(err.message, /no connection to amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+ within 1500 ms/);
      return true;
    });
    const waited = Date.now() - started;
    assert.ok(
      waited >= 1400 && waited < 4000,
      `${what}: the wait is bounded by confirmTimeoutMs (waited ${waited} ms)`,
    );
  }

  await node.start();
  await waitFor('the bus to reconnect', () => h.bus.health().ok, 60_000, 100);
  await sleep(1000);
  // The replay that was refused did not go on by itself once a connection came.
  assert.equal(seen, 1, 'the consumer saw the message only once');
  const letters = await h.bus.listDeadLetters();
  assert.equal(letters.length, 1);
  assert.equal(letters[0]!.reason, 'refused for the test');
});
