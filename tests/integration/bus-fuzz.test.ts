import assert from 'node:assert/strict';
import { test } from 'node:test';
import amqp from 'amqplib';
import fc from 'fast-check';
import { contentId } from '../../bus/message-processor.js';
import { newMessageId } from '../../schemas/message-id.js';
import { topicMatches } from '../../schemas/topic-pattern.js';
import type { SluiceService } from '../../service/sluice-service.js';
import { requireBroker } from '../support/broker.js';
import { deepMessages, fuzzMessages, MESSAGE_DEPTH_LIMIT, type FuzzMessage } from '../support/bus-fuzz.js';
import { ciMessage, ciTopic } from '../support/ci-messages.js';
import { opsService } from '../support/ops-service.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Random and malformed bodies on every topic the service's consumers are bound to (taken from
 * the registered consumers and the schema registry, so consumers added later are fuzzed too).
 * Each message ends, for each consumer it reaches, either dead-lettered with a reason or handled
 * (recorded in the consumer's ledger); one that is not JSON or that its schema refuses is
 * always dead-lettered. Nothing stays queued, and the consumers keep working afterwards.
 */
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

interface Sent extends FuzzMessage {
  messageId: string;
  /** Raw deliveries carry it as the x-fuzz-id header, which their dead-letter copy keeps. */
  fuzzId?: string;
}

/** Which consumers a message reached, and what became of it in each. */
async function fate(service: SluiceService, sent: Sent[]) {
  const dead = new Map(
    (await service.ctx.bus.listDeadLetters(1_000_000)).map((d) => [
      `${d.queue}|${d.headers['x-fuzz-id'] ?? d.messageId}`,
      d.reason,
    ]),
  );
  const handled = service.ctx.db.prepare(
    'SELECT 1 FROM processed_messages WHERE consumer = ? AND message_id = ?',
  );
  const problems: string[] = [];
  let unsettled = 0;
  for (const m of sent) {
    for (const { spec } of service.consumers.filter((c) =>
      c.spec.topics.some((p) => topicMatches(p, m.topic)),
    )) {
      const queue = service.ctx.config.bus.queuePrefix + spec.name;
      const reason = dead.get(`${queue}|${m.fuzzId ?? m.messageId}`);
      const ledger = handled.get(spec.name, m.messageId) !== undefined;
      if (reason === undefined && !ledger) unsettled++;
      else if (reason !== undefined && reason.trim() === '')
        problems.push(`${m.topic}: dead-lettered without a reason`);
      else if (m.malformed && reason === undefined)
        problems.push(
          `${m.topic} ${JSON.stringify(m.content.slice(0, 80))}: malformed but handled by ${spec.name}`,
        );
    }
  }
  return { unsettled, problems };
}

async function stillConsuming(service: SluiceService, base: string, tag: string): Promise<void> {
  await service.ctx.bus.publish('result.submit', { testcase: `fuzz.after.${tag}`, outcome: 'PASSED' });
  await service.ctx.bus.publish(
    ciTopic('koji-build', 'complete'),
    ciMessage('koji-build', 'complete', { testFields: { namespace: `fuzz.after.${tag}` } }),
  );
  await waitFor('the consumers to store the good messages sent after the fuzzing', async () => {
    const res = (await (
      await fetch(`${base}/api/v2.0/results?testcases:like=fuzz.after.${tag}*`)
    ).json()) as { data: unknown[] };
    return res.data.length >= 2;
  });
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
}

test('bus fuzzing on the embedded bus: every malformed message is dead-lettered with its reason, nothing is left queued, consumers keep running', async (t) => {
  const service = await opsService({
    bus: { retry: { maxAttempts: 2, delayMs: 10, backoffFactor: 1, maxDelayMs: 10 } },
  });
  const base = (await service.start())!;
  t.after(() => service.stop());
  assert.ok(service.consumers.length >= 2);
  const queued = service.ctx.db.prepare('SELECT COUNT(*) AS n FROM bus_queue');
  let total = 0;
  let malformed = 0;
  await fc.assert(
    fc.asyncProperty(
      fuzzMessages(service.consumers, service.ctx.registry, { withSchemaOnly: true }),
      async (messages) => {
        // The embedded bus refuses to send a topic that has no schema, so these all have one;
        // bodies go out exactly as generated (publishSerialized does not check them).
        const sent: Sent[] = [];
        for (const m of messages) {
          const messageId = newMessageId();
          await service.ctx.bus.publishSerialized(m.topic, m.content, { messageId });
          sent.push({ ...m, messageId });
        }
        total += sent.length;
        malformed += sent.filter((m) => m.malformed).length;
        await waitFor('the queues to drain', () => (queued.get() as { n: number }).n === 0, 20_000, 10);
        const { unsettled, problems } = await fate(service, sent);
        assert.deepEqual(problems, []);
        assert.equal(unsettled, 0);
      },
    ),
    { numRuns: Number(process.env.SLUICE_FUZZ_RUNS ?? 25), interruptAfterTimeLimit: 30_000, seed },
  );
  assert.ok(total >= 25 && malformed >= 10, `${total} messages, ${malformed} malformed`);
  await stillConsuming(service, base, 'embedded');
});

test('bus fuzzing with generated nesting depth: a message nested past the limit is dead-lettered with the limit as its reason', async (t) => {
  const service = await opsService({
    bus: { retry: { maxAttempts: 2, delayMs: 10, backoffFactor: 1, maxDelayMs: 10 } },
  });
  const base = (await service.start())!;
  t.after(() => service.stop());
  const queued = service.ctx.db.prepare('SELECT COUNT(*) AS n FROM bus_queue');
  const RUNS = 40;
  let runs = 0;
  let deep = 0;
  await fc.assert(
    fc.asyncProperty(deepMessages(service.consumers, service.ctx.registry), async (messages) => {
      runs++;
      const sent: Array<Sent & { depth: number }> = [];
      for (const m of messages) {
        const messageId = newMessageId();
        await service.ctx.bus.publishSerialized(m.topic, m.content, { messageId });
        sent.push({ ...m, messageId });
      }
      await waitFor('the queues to drain', () => (queued.get() as { n: number }).n === 0, 20_000, 10);
      const { unsettled, problems } = await fate(service, sent);
      assert.deepEqual(problems, []);
      assert.equal(unsettled, 0);
      const reasons = new Map(
        (await service.ctx.bus.listDeadLetters(1_000_000)).map((d) => [d.messageId, d.reason]),
      );
      for (const m of sent.filter((x) => x.depth > MESSAGE_DEPTH_LIMIT)) {
        deep++;
        assert.equal(
          reasons.get(m.messageId),
          `body: JSON nested deeper than the limit of ${MESSAGE_DEPTH_LIMIT} levels`,
          `${m.topic} at ${m.depth} levels`,
        );
      }
    }),
    { numRuns: RUNS, seed },
  );
  t.diagnostic(`${runs} generated batches, ${deep} messages past the limit`);
  assert.ok(runs >= RUNS && deep >= 10, `${runs} batches, ${deep} deep messages`);
  // The dead letters can be read back: a body too deep to answer as JSON comes back as its text.
  const dlq = await fetch(`${base}/api/v1/dlq`);
  assert.equal(dlq.status, 200);
  const letters = ((await dlq.json()) as { data: Array<{ reason: string; body: unknown }> }).data.filter(
    (d) => d.reason.includes('nested deeper'),
  );
  assert.ok(letters.length > 0 && letters.every((d) => typeof d.body === 'string'));
  await stillConsuming(service, base, 'deep');
});

test('bus fuzzing on RabbitMQ: raw deliveries (no message id, odd headers, topics with no schema) all end dead-lettered or handled; consumers keep running', async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const service = await opsService({
    bus: { url, retry: { maxAttempts: 2, delayMs: 10, backoffFactor: 1, maxDelayMs: 10 } },
  });
  const base = (await service.start())!;
  const connection = await amqp.connect(url);
  const channel = await connection.createConfirmChannel();
  t.after(async () => {
    await connection.close();
    await service.stop();
  });
  const { exchange, topicPrefix } = service.ctx.config.bus;
  let total = 0;
  await fc.assert(
    fc.asyncProperty(
      fuzzMessages(service.consumers, service.ctx.registry),
      fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }),
      async (messages, withIds) => {
        const sent: Sent[] = [];
        messages.forEach((m, i) => {
          const fuzzId = newMessageId();
          const withId = withIds[i]!;
          const content = Buffer.from(m.content);
          channel.publish(exchange, topicPrefix + m.topic, content, {
            persistent: true,
            ...(withId ? { messageId: fuzzId } : {}),
            contentType: i % 3 === 0 ? 'text/plain' : 'application/json',
            headers: {
              'x-fuzz-id': fuzzId,
              ...(i % 4 === 0 ? { 'x-sluice-attempt': 'not-a-number', sent_at: 12 } : {}),
            },
          });
          sent.push({ ...m, messageId: withId ? fuzzId : contentId(m.topic, content), fuzzId });
        });
        await channel.waitForConfirms();
        total += sent.length;
        let last = { unsettled: -1, problems: [] as string[] };
        await waitFor(
          'every fuzzed delivery to be dead-lettered or handled',
          async () => {
            last = await fate(service, sent);
            return last.unsettled === 0 || last.problems.length > 0;
          },
          30_000,
          100,
        );
        assert.deepEqual(last.problems, []);
      },
    ),
    { numRuns: Number(process.env.SLUICE_FUZZ_AMQP_RUNS ?? 4), interruptAfterTimeLimit: 60_000, seed },
  );
  assert.ok(total >= 4);
  await stillConsuming(service, base, 'amqp');
});
