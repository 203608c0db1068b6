import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import type { BusMessage } from '../../bus/bus.js';
import { amqpHarness } from '../support/amqp-harness.js';
import { requireBroker } from '../support/broker.js';
import { effectCounts, effectsConsumer, effectsOf } from '../support/effects-consumer.js';
import { CLI } from '../support/paths.js';
import { waitFor } from '../support/wait-for.js';

const run = promisify(execFile);

// What every bus does (routing, validation, retries, dead letters, replay, idempotency, order,
// graceful stop) is in bus-contract.test.ts; these are RabbitMQ's own: foreign publishers, the
// CLI talking to the broker, AMQP properties, the skip-handled topology.

test('invalid and non-JSON bodies from other publishers are dead-lettered with a reason; the consumer keeps going', async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const h = await amqpHarness(url, [effectsConsumer('strict', ['test.#'])]);
  t.after(() => h.close());
  // A foreign publisher that skips validation, as any AMQP client could.
  const conn = await amqp.connect(url);
  t.after(() => conn.close());
  const ch = await conn.createConfirmChannel();
  const rk = (topic: string) => h.config.bus.topicPrefix + topic;
  ch.publish(h.config.bus.exchange, rk('test.bad'), Buffer.from(JSON.stringify({ n: -1, extra: true })), {
    messageId: 'bad-schema',
    persistent: true,
  });
  ch.publish(h.config.bus.exchange, rk('test.bad'), Buffer.from('{"n": 1,'), {
    messageId: 'not-json',
    persistent: true,
  });
  ch.publish(h.config.bus.exchange, rk('test.good'), Buffer.from(JSON.stringify({ n: 7 })), {
    messageId: 'good',
    persistent: true,
  });
  await ch.waitForConfirms();

  await waitFor('the good message', () => effectCounts(h.db, 'strict').rows === 1);
  const letters = await waitFor('two dead letters', async () => {
    const l = await h.bus.listDeadLetters();
    return l.length === 2 ? l : undefined;
  });
  const byId = new Map(letters.map((l) => [l.messageId, l]));
  assert.match(byId.get('bad-schema')!.reason, /schema validation failed: .*body\.n: must be >= 0/);
  assert.match(byId.get('bad-schema')!.reason, /body\.extra: is not an allowed property/);
  assert.match(byId.get('not-json')!.reason, /body is not valid JSON/);
  assert.equal(byId.get('not-json')!.body, '{"n": 1,');
  assert.equal(byId.get('bad-schema')!.queue, `${h.config.bus.queuePrefix}strict`);
  assert.equal(byId.get('bad-schema')!.topic, 'test.bad');
  // Listing does not consume: they are still there.
  assert.equal((await h.bus.listDeadLetters()).length, 2);
  assert.deepEqual(
    effectsOf(h.db, 'strict').map((e) => e.n),
    [7],
  );
});

test('a handler that always throws is tried maxAttempts times, dead-lettered with the last error, and `sluice dlq replay` brings it back', async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  let broken = true;
  const callTimes: number[] = [];
  const consumer = effectsConsumer('flaky', ['test.#'], {
    failWhen: () => {
      callTimes.push(Date.now());
      return broken;
    },
  });
  const h = await amqpHarness(url, [consumer], {
    bus: { retry: { maxAttempts: 3, delayMs: 100, backoffFactor: 2 } },
  });
  t.after(() => h.close());
  const receipt = await h.bus.publish('test.flaky', { n: 42 });
  const [letter] = await waitFor('a dead letter', async () => {
    const l = await h.bus.listDeadLetters();
    return l.length ? l : undefined;
  });
  assert.equal(callTimes.length, 3);
  // delayMs 100 with backoffFactor 2: the retries wait about 100 ms, then about 200 ms.
  const gaps = [callTimes[1]! - callTimes[0]!, callTimes[2]! - callTimes[1]!];
  assert.ok(gaps[0]! >= 90 && gaps[1]! >= 190, `retries wait with backoff (gaps ${gaps.join(', ')} ms)`);
  assert.equal(letter!.messageId, receipt.messageId);
  assert.equal(letter!.attempts, 3);
  assert.match(letter!.reason, /handler failed 3 times; last error: refusing item 42/);
  assert.equal(effectCounts(h.db).rows, 0);

  const env = { ...process.env, SLUICE_CONFIG: h.configFile };
  const listed = await run('node', [CLI, 'dlq', 'list', '--json'], { env });
  const lines = listed.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; reason: string });
  assert.equal(lines.length, 1);
  assert.match(lines[0]!.reason, /refusing item 42/);

  broken = false; // the cause is fixed
  const replay = await run('node', [CLI, 'dlq', 'replay', lines[0]!.id, '--json'], { env });
  assert.deepEqual(JSON.parse(replay.stdout), { replayed: 1, notReplayed: [] });
  await waitFor('the replayed message to be handled', () => effectCounts(h.db).rows === 1);
  assert.deepEqual(
    effectsOf(h.db, 'flaky').map((e) => [e.n, e.message_id]),
    [[42, receipt.messageId]],
  );
  assert.equal((await h.bus.listDeadLetters()).length, 0);
  await assert.rejects(
    run('node', [CLI, 'dlq', 'replay', 'no-such-id'], { env }),
    (err: { code?: number; stderr?: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr ?? '', /no dead letter has those ids/);
      return true;
    },
  );
});

test('sluice publish and sluice tail talk to RabbitMQ directly when bus.url is set', async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const h = await amqpHarness(url, []);
  t.after(() => h.close());
  const env = { ...process.env, SLUICE_CONFIG: h.configFile };
  const { spawn } = await import('node:child_process');
  const tail = spawn('node', [CLI, 'tail', 'git.*', '--count', '1', '--json'], { env });
  // Listen from the start: tail may well exit before the publish command does.
  const exited = new Promise((r) => tail.on('exit', r));
  let out = '';
  tail.stdout.on('data', (d) => (out += d));
  let err = '';
  tail.stderr.on('data', (d) => (err += d));
  await waitFor('tail to follow', () => err.includes('following'));
  const pub = await run(
    'node',
    [CLI, 'publish', 'git.receive', '{"repo":"rpms/bash","branch":"rawhide","revision":"abcdef1"}', '--json'],
    { env },
  );
  const { message_id } = JSON.parse(pub.stdout) as { message_id: string };
  const code = await exited;
  assert.equal(code, 0);
  const line = JSON.parse(out.trim()) as {
    id: string;
    topic: string;
    body: unknown;
    headers: Record<string, unknown>;
  };
  assert.equal(line.id, message_id);
  assert.equal(line.topic, 'git.receive');
  assert.deepEqual(line.body, { repo: 'rpms/bash', branch: 'rawhide', revision: 'abcdef1' });
  assert.equal(line.headers.sluice_schema, 'https://sluice.dev/schemas/git.receive.json');
  assert.ok(line.headers['sent-at']);
});

test('published messages carry content type, a time-ordered UUID message id, a timestamp, persistent delivery, sent-at and the schema id', async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const h = await amqpHarness(url, []);
  t.after(() => h.close());
  const conn = await amqp.connect(url);
  t.after(() => conn.close());
  const ch = await conn.createChannel();
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(queue, h.config.bus.exchange, `${h.config.bus.topicPrefix}test.#`);
  const before = Math.floor(Date.now() / 1000);
  const receipt = await h.bus.publish('test.props', { n: 5, label: 'x' });
  const msg = (await waitFor('the message', () => ch.get(queue, { noAck: true }))) as amqp.GetMessage;
  assert.equal(msg.fields.routingKey, `${h.config.bus.topicPrefix}test.props`);
  assert.equal(msg.properties.contentType, 'application/json');
  assert.equal(msg.properties.messageId, receipt.messageId);
  assert.match(
    String(msg.properties.messageId),
    /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assert.equal(msg.properties.deliveryMode, 2);
  assert.ok(msg.properties.timestamp >= before && msg.properties.timestamp <= before + 5);
  assert.equal(msg.properties.headers?.sluice_schema, 'https://sluice.dev/schemas/test/test.item.json');
  assert.ok(!Number.isNaN(Date.parse(String(msg.properties.headers?.['sent-at']))));
  assert.deepEqual(JSON.parse(msg.content.toString()), { n: 5, label: 'x' });
});

test('a consumer with skipHandled never gets what was published as handled by it; everybody else does, and a queue bound directly before is rebound once', async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const skipping = { ...effectsConsumer('skips', ['test.#']), skipHandled: true };
  // The topology of a version without the filter: the queue bound straight to the exchange.
  const before = await amqpHarness(url, [], {}, false);
  const { bus: busConfig } = before.config;
  await before.close();
  const conn = await amqp.connect(url);
  t.after(() => conn.close());
  const ch = await conn.createChannel();
  await ch.assertQueue(`${busConfig.queuePrefix}skips`, { durable: true });
  await ch.bindQueue(`${busConfig.queuePrefix}skips`, busConfig.exchange, `${busConfig.topicPrefix}test.#`);

  const h = await amqpHarness(url, [skipping, effectsConsumer('all', ['test.#'])], {
    bus: { topicPrefix: busConfig.topicPrefix, queuePrefix: busConfig.queuePrefix },
  });
  t.after(() => h.close());
  await h.bus.publish('test.a', { n: 1 }, { handledBy: 'skips' });
  await h.bus.publish('test.a', { n: 2 }, { handledBy: 'someone-else' });
  await h.bus.publish('test.a', { n: 3 });
  await h.bus.publish('test.a', { n: 4 }, { handledBy: 'skips', headers: { trace: 'x' } });
  await h.bus.publish('test.a', { n: 5 });
  // One queue, consumed in order: once 5 is in, 1 and 4 would be too had they got through.
  await waitFor(
    'every delivery',
    () => effectCounts(h.db, 'all').rows === 5 && effectsOf(h.db, 'skips').some((e) => e.n === 5),
  );
  assert.deepEqual(
    effectsOf(h.db, 'skips').map((e) => e.n),
    [2, 3, 5],
    'handled messages were never delivered, the rest once each',
  );
  assert.deepEqual(
    effectsOf(h.db, 'all').map((e) => e.n),
    [1, 2, 3, 4, 5],
  );

  // Other subscribers see who handled it.
  const seen: Array<Record<string, unknown>> = [];
  const tap = await h.bus.subscribe(['test.#'], (m) => seen.push(m.headers));
  t.after(() => tap.close());
  await h.bus.publish('test.b', { n: 6 }, { handledBy: 'skips' });
  await waitFor('the tap', () => seen.length === 1);
  assert.equal(seen[0]!['sluice-handled-by'], `${h.config.bus.queuePrefix}skips`);
});

test('a consumer takes messages under every consumed prefix; each says which, through a retry too', async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const seen: Array<{ id: string; topic: string; prefix: string | undefined; attempt: number }> = [];
  const consumer = {
    name: 'prefixes',
    topics: ['test.#'],
    handle(message: BusMessage) {
      seen.push({
        id: message.messageId,
        topic: message.topic,
        prefix: message.topicPrefix,
        attempt: message.attempt,
      });
      if (message.messageId === 'retried' && message.attempt === 1) return { retry: 'once' };
      return undefined;
    },
  };
  const other = `o${Date.now().toString(36)}.org.centos.prod.`;
  const h = await amqpHarness(url, [consumer], {
    bus: { consumePrefixes: [other], retry: { maxAttempts: 3, delayMs: 50 } },
  });
  t.after(() => h.close());
  const conn = await amqp.connect(url);
  t.after(() => conn.close());
  const ch = await conn.createConfirmChannel();
  const send = async (prefix: string, topic: string, id: string) => {
    ch.publish(h.config.bus.exchange, prefix + topic, Buffer.from(JSON.stringify({ n: 1 })), {
      messageId: id,
      persistent: true,
      contentType: 'application/json',
    });
    await ch.waitForConfirms();
  };
  await send(h.config.bus.topicPrefix, 'test.own', 'own');
  await send(other, 'test.other', 'other');
  await send(other, 'test.retried', 'retried');
  await send(`not-${other}`, 'test.nobody', 'unbound');
  await waitFor('all three, the retried one twice', () => seen.length >= 4);
  const byId = (id: string) =>
    seen.filter((s) => s.id === id).map(({ topic, prefix, attempt }) => ({ topic, prefix, attempt }));
  assert.deepEqual(byId('own'), [{ topic: 'test.own', prefix: h.config.bus.topicPrefix, attempt: 1 }]);
  assert.deepEqual(byId('other'), [{ topic: 'test.other', prefix: other, attempt: 1 }]);
  assert.deepEqual(byId('retried'), [
    { topic: 'test.retried', prefix: other, attempt: 1 },
    { topic: 'test.retried', prefix: other, attempt: 2 },
  ]);
  assert.deepEqual(byId('unbound'), []);
});
