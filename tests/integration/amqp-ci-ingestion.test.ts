import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import type { RawConfig } from '../../config/config-types.js';
import type { StoredResult } from '../../results/result-json.js';
import { SluiceService } from '../../service/sluice-service.js';
import { requireBroker } from '../support/broker.js';
import { ARTIFACT_KINDS, ARTIFACTS, STATES, ciMessage, ciTopic } from '../support/ci-messages.js';
import { FEDORA_CI_FIXTURES, fixture } from '../support/fedora-ci-fixtures.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

interface Running {
  service: SluiceService;
  base: string;
  /** Publishes as a CI system would: straight to the exchange, no validation, our own message id. */
  publishRaw(topic: string, body: unknown, messageId: string): Promise<void>;
  /** The same under another prefix than bus.topicPrefix. */
  publishUnder(prefix: string, topic: string, body: unknown, messageId: string): Promise<void>;
  /** GET /api/v2.0/results with these filters, as a ResultsDB client asks. */
  results(query: Record<string, string>): Promise<StoredResult[]>;
}

async function startService(t: TestContext, url: string, raw: RawConfig = {}): Promise<Running> {
  const config = testConfig(raw, { amqpUrl: url });
  const service = await SluiceService.create({ config, log: silentLogger(), registry: testRegistry() });
  const base = (await service.start())!;
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  t.after(async () => {
    await conn.close();
    await service.stop();
  });
  const publishUnder = async (prefix: string, topic: string, body: unknown, messageId: string) => {
    ch.publish(config.bus.exchange, prefix + topic, Buffer.from(JSON.stringify(body)), {
      messageId,
      persistent: true,
      contentType: 'application/json',
    });
    await ch.waitForConfirms();
  };
  return {
    service,
    base,
    publishRaw: (topic, body, messageId) => publishUnder(config.bus.topicPrefix, topic, body, messageId),
    publishUnder,
    async results(query) {
      const res = await fetch(`${base}/api/v2.0/results?${new URLSearchParams({ limit: '100', ...query })}`);
      assert.equal(res.status, 200, await res.clone().text());
      return ((await res.json()) as { data: StoredResult[] }).data;
    },
  };
}

test('a Fedora CI message of every artifact type and state becomes a result with its testcase, outcome, item and type', {
  timeout: 60_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const s = await startService(t, url);
  const sent: Array<{
    messageId: string;
    kind: (typeof ARTIFACT_KINDS)[number];
    state: (typeof STATES)[number];
  }> = [];
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
  await s.publishRaw(
    'ci.koji-build.test.complete',
    ciMessage('koji-build', 'complete', { testFields: { result: 'not_applicable', type: 'rpmlint' } }),
    'na-1',
  );
  const [na] = await waitFor('the not_applicable result', async () => {
    const r = await s.results({
      item: ARTIFACTS['koji-build'].item,
      testcases: 'fedora-ci.koji-build.rpmlint.functional',
    });
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
  await waitFor(
    'the message sent after them',
    async () => (await s.results({ msg_id: 'after' })).length === 1,
  );
  await sleep(300);
  const stored = await s.results({ item: ARTIFACTS['fedora-update'].item, type: 'bodhi_update' });
  assert.deepEqual(stored.map((r) => r.data.msg_id?.[0]).sort(), ['after', 'twice']);
});

test('a CI message its schema refuses, or that cannot be stored, is dead-lettered with the reason; the consumer keeps going', {
  timeout: 60_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const s = await startService(t, url);
  const bad = ciMessage('koji-build', 'complete');
  delete (bad.test as Record<string, unknown>).namespace;
  await s.publishRaw('ci.koji-build.test.complete', bad, 'no-namespace');
  await s.publishRaw('ci.brew-build.test.complete', ciMessage('koji-build', 'complete'), 'wrong-artifact');
  await s.publishRaw(
    'result.submit',
    { testcase: 'dist.rpmdeplint', outcome: 'MAYBE', data: { item: 'bash-5.2.26-3.fc41' } },
    'bad-outcome',
  );
  await s.publishRaw('ci.koji-build.test.complete', ciMessage('koji-build', 'complete'), 'good');

  await waitFor('the good message', async () => (await s.results({ msg_id: 'good' })).length === 1);
  const { bus, config } = s.service.ctx;
  const letters = await waitFor('three dead letters from the result consumers', async () => {
    const mine = (await bus.listDeadLetters()).filter(
      (l) => l.queue.endsWith('ci-results') || l.queue.endsWith('result-submit'),
    );
    return mine.length === 3 ? mine : undefined;
  });
  const byId = new Map(letters.map((l) => [l.messageId, l]));
  assert.equal(byId.get('no-namespace')!.queue, `${config.bus.queuePrefix}ci-results`);
  assert.match(
    byId.get('no-namespace')!.reason,
    /schema validation failed: .*body\.test\.namespace: is required/,
  );
  assert.match(
    byId.get('wrong-artifact')!.reason,
    /about a brew-build but the message's artifact.type is "koji-build"/,
  );
  assert.equal(byId.get('bad-outcome')!.queue, `${config.bus.queuePrefix}result-submit`);
  assert.match(
    byId.get('bad-outcome')!.reason,
    /the results store refused the result: outcome: must be one of/,
  );
  assert.equal(byId.get('no-namespace')!.attempts, 1, 'a message that can never be stored is not retried');
  assert.deepEqual(
    (await s.results({ item: ARTIFACTS['koji-build'].item })).map((r) => r.data.msg_id?.[0]),
    ['good'],
  );
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

/** Both prefixes Fedora CI's results come under today, made unique to this test (one broker serves many). */
function fedoraPrefixes(): { fedora: string; centos: string } {
  const id = randomBytes(4).toString('hex');
  return { fedora: `t${id}.org.fedoraproject.prod.`, centos: `t${id}.org.centos.prod.` };
}

function metric(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

// Bodies in the exact shapes Fedora CI's producers send (tests/support/fedora-ci-fixtures.ts names the upstream file of each).
test('every message Fedora CI sends, under either of its prefixes, becomes its result or is acknowledged and counted; none is dead-lettered', {
  timeout: 90_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const prefix = fedoraPrefixes();
  const s = await startService(t, url, {
    bus: { topicPrefix: prefix.fedora, consumePrefixes: [prefix.centos] },
  });
  for (const f of FEDORA_CI_FIXTURES) {
    await s.publishUnder(prefix.fedora, f.topic, f.body, `${f.name}@fedora`);
    await s.publishUnder(prefix.centos, f.topic, f.body, `${f.name}@centos`);
  }
  // An older pipeline's topic under ci. (CentOS-PaaS-SIG/upstream-fedora-pipeline's README lists these).
  await s.publishUnder(
    prefix.centos,
    'ci.pipeline.allpackages-build.package.running',
    { build_id: 1, status: 'SUCCESS' },
    'old-pipeline',
  );
  // One queue delivers in order: once the last message is stored, all before it were handled.
  await s.publishUnder(
    prefix.centos,
    'ci.koji-build.test.queued',
    fixture('koji-build.test.queued').body,
    'last',
  );
  await waitFor('the last message', async () => (await s.results({ msg_id: 'last' })).length === 1);

  for (const f of FEDORA_CI_FIXTURES.filter((x) => x.expected)) {
    for (const [where, p] of [
      ['fedora', prefix.fedora],
      ['centos', prefix.centos],
    ] as const) {
      const [result] = await s.results({ msg_id: `${f.name}@${where}` });
      assert.ok(result, `a result for ${f.name} under ${p}`);
      assert.equal(result.testcase.name, f.expected!.testcase, f.name);
      assert.deepEqual(result.data.item, [f.expected!.item], f.name);
      assert.deepEqual(result.data.type, [f.expected!.type], f.name);
      assert.deepEqual(result.data.msg_topic, [p + f.topic], f.name);
    }
  }
  // What gating asks: the update by its alias, the build by its nvr with the scenario apart and its source kept.
  const update = await s.results({
    item: 'FEDORA-2026-7c1e4a9b2d',
    type: 'bodhi_update',
    testcases: 'fedora-ci.fedora-update.installability.functional',
  });
  assert.deepEqual(update.map((r) => r.outcome).sort(), [
    'ERROR',
    'ERROR',
    'PASSED',
    'PASSED',
    'QUEUED',
    'QUEUED',
  ]);
  const [build] = await s.results({ msg_id: 'koji-build.test.complete@centos' });
  assert.deepEqual(build!.data.scenario, ['python-requests']);
  assert.deepEqual(build!.data.source, [
    'git+https://src.fedoraproject.org/rpms/python-urllib3.git#9d2b1c5e4f7a8b6c3d0e1f2a3b4c5d6e7f8a9b0c',
  ]);
  assert.equal(build!.outcome, 'PASSED');
  assert.deepEqual(
    await s.results({ item: 'https://src.fedoraproject.org/rpms/bash' }),
    [],
    'a pull request makes no result',
  );

  assert.deepEqual(
    (await s.service.ctx.bus.listDeadLetters()).map((l) => `${l.topic}: ${l.reason}`),
    [],
  );
  const text = await (await fetch(`${s.base}/metrics`)).text();
  const pullRequests = FEDORA_CI_FIXTURES.filter((f) => f.expected === null).length;
  assert.equal(metric(text, 'sluice_ci_messages_skipped_total', 'reason="no-mapping"'), pullRequests * 2);
  assert.equal(metric(text, 'sluice_ci_messages_skipped_total', 'reason="other-topic"'), 1);
  assert.equal(
    metric(
      text,
      'sluice_messages_consumed_total',
      'consumer="ci-results",topic="ci.dist-git-pr.test.complete",outcome="ack"',
    ),
    2,
  );
});

test('a Fedora CI message malformed for its own topic is dead-lettered with the reason and the prefix it came under', {
  timeout: 60_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const prefix = fedoraPrefixes();
  const s = await startService(t, url, {
    bus: { topicPrefix: prefix.fedora, consumePrefixes: [prefix.centos] },
  });
  const noNvr = fixture('koji-build.test.complete');
  delete (noNvr.body.artifact as Record<string, unknown>).nvr;
  await s.publishUnder(prefix.centos, noNvr.topic, noNvr.body, 'no-nvr');
  // The error template leaves artifact.type empty, so no schema branch checks the artifact: the mapping does.
  const noAlias = fixture('fedora-update.test.error');
  delete (noAlias.body.artifact as Record<string, unknown>).alias;
  await s.publishUnder(prefix.fedora, noAlias.topic, noAlias.body, 'no-alias');
  await s.publishUnder(
    prefix.centos,
    'ci.dist-git-pr.test.complete',
    fixture('pull-request.test.complete').body,
    'pull-request',
  );
  await s.publishUnder(
    prefix.centos,
    'ci.koji-build.test.queued',
    fixture('koji-build.test.queued').body,
    'good',
  );
  await waitFor('the good message', async () => (await s.results({ msg_id: 'good' })).length === 1);

  const letters = await waitFor('two dead letters', async () => {
    const found = await s.service.ctx.bus.listDeadLetters();
    return found.length === 2 ? found : undefined;
  });
  const byId = new Map(letters.map((l) => [l.messageId, l]));
  assert.match(byId.get('no-nvr')!.reason, /schema validation failed: body\.artifact\.nvr: is required/);
  assert.equal(byId.get('no-nvr')!.topic, 'ci.koji-build.test.complete');
  assert.equal(byId.get('no-nvr')!.headers['x-sluice-topic-prefix'], prefix.centos);
  assert.match(
    byId.get('no-alias')!.reason,
    /needs artifact.alias, or an artifact.id that is the update's alias/,
  );
  assert.equal(byId.get('no-alias')!.headers['x-sluice-topic-prefix'], prefix.fedora);
  assert.ok(!byId.has('pull-request'));
});
