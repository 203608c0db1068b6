import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import type { StoredResult } from '../results/result-json.js';
import { SluiceService } from '../service/sluice-service.js';
import { requireBroker } from './support/broker.js';
import { ARTIFACT_KINDS, ARTIFACTS, STATES, ciMessage, ciTopic } from './support/ci-messages.js';
import { silentLogger, testConfig, testRegistry } from './support/test-config.js';
import { waitFor } from './support/wait-for.js';

interface Running {
  service: SluiceService;
  base: string;
  /** Publishes as a CI system would: straight to the exchange, no validation, our own message id. */
  publishRaw(topic: string, body: unknown, messageId: string): Promise<void>;
  /** GET /api/v2.0/results with these filters, as a ResultsDB client asks. */
  results(query: Record<string, string>): Promise<StoredResult[]>;
}

async function startService(t: TestContext, url: string): Promise<Running> {
  const config = testConfig({}, { amqpUrl: url });
  const service = new SluiceService({ config, log: silentLogger(), registry: testRegistry() });
  const base = (await service.start())!;
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  t.after(async () => {
    await conn.close();
    await service.stop();
  });
  return {
    service,
    base,
    async publishRaw(topic, body, messageId) {
      ch.publish(config.bus.exchange, config.bus.topicPrefix + topic, Buffer.from(JSON.stringify(body)), { messageId, persistent: true, contentType: 'application/json' });
      await ch.waitForConfirms();
    },
    async results(query) {
      const res = await fetch(`${base}/api/v2.0/results?${new URLSearchParams({ limit: '100', ...query })}`);
      assert.equal(res.status, 200, await res.clone().text());
      return ((await res.json()) as { data: StoredResult[] }).data;
    },
  };
}

test('a Fedora CI message of every artifact type and state becomes a result with its testcase, outcome, item and type', { timeout: 60_000 }, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const s = await startService(t, url);
  const sent: Array<{ messageId: string; kind: (typeof ARTIFACT_KINDS)[number]; state: (typeof STATES)[number] }> = [];
  for (const kind of ARTIFACT_KINDS) {
    for (const state of STATES) {
      const messageId = `${kind}-${state}`;
      await s.publishRaw(ciTopic(kind, state), ciMessage(kind, state), messageId);
      sent.push({ messageId, kind, state });
    }
  }
  const expectedOutcome = { queued: 'QUEUED', running: 'RUNNING', complete: 'PASSED', error: 'ERROR' };
  for (const kind of ARTIFACT_KINDS) {
    const { item, type } = ARTIFACTS[kind];
    const found = await waitFor(`4 results for ${item}`, async () => {
      const r = await s.results({ item, type });
      return r.length === 4 ? r : undefined;
    });
    const byMessage = new Map(found.map((r) => [r.data.msg_id?.[0], r]));
    for (const { messageId, state } of sent.filter((m) => m.kind === kind)) {
      const result = byMessage.get(messageId);
      assert.ok(result, `a result for message ${messageId}`);
      assert.equal(result.testcase.name, `fedora-ci.${kind}.tier0.functional`);
      assert.equal(result.testcase.ref_url, 'https://docs.fedoraproject.org/en-US/ci/tests/');
      assert.equal(result.outcome, expectedOutcome[state], messageId);
      assert.deepEqual(result.data.item, [item]);
      assert.deepEqual(result.data.type, [type]);
      assert.equal(result.ref_url, 'https://ci.example.org/job/tier0/42/');
      assert.equal(result.submit_time, '2025-01-02T03:04:05.678000');
    }
  }
  // Gating asks for a result by item, type and testcase; not_applicable is an outcome of its own.
  await s.publishRaw('ci.koji-build.test.complete', ciMessage('koji-build', 'complete', { testFields: { result: 'not_applicable', type: 'rpmlint' } }), 'na-1');
  const [na] = await waitFor('the not_applicable result', async () => {
    const r = await s.results({ item: ARTIFACTS['koji-build'].item, testcases: 'fedora-ci.koji-build.rpmlint.functional' });
    return r.length ? r : undefined;
  });
  assert.equal(na!.outcome, 'NOT_APPLICABLE');
});

test('a CI message delivered twice (same message id) makes one result', { timeout: 60_000 }, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const s = await startService(t, url);
  const body = ciMessage('fedora-update', 'complete');
  await s.publishRaw('ci.fedora-update.test.complete', body, 'twice');
  await s.publishRaw('ci.fedora-update.test.complete', body, 'twice');
  // One queue delivers in order: once the message after them is stored, both copies were handled.
  await s.publishRaw('ci.fedora-update.test.running', ciMessage('fedora-update', 'running'), 'after');
  await waitFor('the message sent after them', async () => (await s.results({ msg_id: 'after' })).length === 1);
  await sleep(300);
  const stored = await s.results({ item: ARTIFACTS['fedora-update'].item, type: 'bodhi_update' });
  assert.deepEqual(stored.map((r) => r.data.msg_id?.[0]).sort(), ['after', 'twice']);
});

test('a CI message its schema refuses, or that cannot be stored, is dead-lettered with the reason; the consumer keeps going', { timeout: 60_000 }, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const s = await startService(t, url);
  const bad = ciMessage('koji-build', 'complete');
  delete (bad.test as Record<string, unknown>).namespace;
  await s.publishRaw('ci.koji-build.test.complete', bad, 'no-namespace');
  await s.publishRaw('ci.brew-build.test.complete', ciMessage('koji-build', 'complete'), 'wrong-artifact');
  await s.publishRaw('result.submit', { testcase: 'dist.rpmdeplint', outcome: 'MAYBE', data: { item: 'bash-5.2.26-3.fc41' } }, 'bad-outcome');
  await s.publishRaw('ci.koji-build.test.complete', ciMessage('koji-build', 'complete'), 'good');

  await waitFor('the good message', async () => (await s.results({ msg_id: 'good' })).length === 1);
  const { bus, config } = s.service.ctx;
  const letters = await waitFor('three dead letters from the result consumers', async () => {
    const mine = (await bus.listDeadLetters()).filter((l) => l.queue.endsWith('ci-results') || l.queue.endsWith('result-submit'));
    return mine.length === 3 ? mine : undefined;
  });
  const byId = new Map(letters.map((l) => [l.messageId, l]));
  assert.equal(byId.get('no-namespace')!.queue, config.bus.queuePrefix + 'ci-results');
  assert.match(byId.get('no-namespace')!.reason, /schema validation failed: .*body\.test\.namespace: is required/);
  assert.match(byId.get('wrong-artifact')!.reason, /about a brew-build but the message's artifact.type is "koji-build"/);
  assert.equal(byId.get('bad-outcome')!.queue, config.bus.queuePrefix + 'result-submit');
  assert.match(byId.get('bad-outcome')!.reason, /the results store refused the result: outcome: must be one of/);
  assert.equal(byId.get('no-namespace')!.attempts, 1, 'a message that can never be stored is not retried');
  assert.deepEqual((await s.results({ item: ARTIFACTS['koji-build'].item })).map((r) => r.data.msg_id?.[0]), ['good']);
});

test('a result.submit message is stored as the result it carries', { timeout: 60_000 }, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const s = await startService(t, url);
  const receipt = await s.service.ctx.bus.publish('result.submit', {
    testcase: { name: 'dist.rpmdeplint', ref_url: 'https://docs.example.org/rpmdeplint' },
    outcome: 'failed',
    note: '2 unresolvable dependencies',
    ref_url: 'https://ci.example.org/rpmdeplint/7',
    data: { item: 'bash-5.2.26-3.fc41', type: 'koji_build', arch: ['x86_64', 'aarch64'] },
  });
  assert.equal(receipt.schemaId, 'https://sluice.dev/schemas/result.submit.json');
  const [result] = await waitFor('the submitted result', async () => {
    const r = await s.results({ item: 'bash-5.2.26-3.fc41', testcases: 'dist.rpmdeplint' });
    return r.length ? r : undefined;
  });
  assert.equal(result!.outcome, 'FAILED');
  assert.equal(result!.note, '2 unresolvable dependencies');
  assert.equal(result!.ref_url, 'https://ci.example.org/rpmdeplint/7');
  assert.deepEqual(result!.data.arch, ['x86_64', 'aarch64']);
  assert.deepEqual(result!.testcase.ref_url, 'https://docs.example.org/rpmdeplint');
});
