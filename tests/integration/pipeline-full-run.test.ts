import assert from 'node:assert/strict';
import { test } from 'node:test';
import amqp from 'amqplib';
import type { NodeJson } from '../../pipeline/pipeline-node.js';
import { requireBroker } from '../support/broker.js';
import { startPipeline } from '../support/pipeline-harness.js';
import { policiesDir } from '../support/policies-dir.js';
import { requireSshd, sshServersForThisFile } from '../support/sshd.js';
import { waitFor } from '../support/wait-for.js';

const ssh = sshServersForThisFile(2);

test('a full run: git.receive on RabbitMQ → build on an SSH builder → tests on both → results stored → a gating decision over HTTP', {
  timeout: 120_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url || !requireSshd(t)) return;
  const f = ssh()!;
  // The release's policy: the build's tier0 stage and both unit tests must pass.
  const policies = policiesDir(
    `--- !Policy
id: fedora-stable
product_versions: [fedora-*]
decision_context: bodhi_update_push_stable
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: fedora-ci.koji-build.tier0.functional}
  - !PassingTestCaseRule {test_case_name: sluice.unit.c.a}
  - !PassingTestCaseRule {test_case_name: sluice.unit.c.b}
`,
  );
  const subject = { type: 'koji_build', item: '{{ parent.data.nvr }}' };
  const p = await startPipeline(
    t,
    {
      builders: f.servers.map((s) => s.builder({ jobLimit: 2 })),
      jobs: [
        {
          name: 'build',
          kind: 'build',
          on: { kind: 'checkout', state: 'available' },
          command:
            'echo "building "{{ repo }}@{{ revision }}; echo "nvr="{{ repo }}"-5.2.26-3.fc41" >> "$SLUICE_DATA"',
          subject: { type: 'koji_build', item: '{{ data.nvr }}' },
          holdoffSeconds: 2,
        },
        {
          name: 'unit',
          kind: 'test',
          on: { kind: 'build', name: 'build', state: 'available', result: 'pass' },
          command: `printf '<testsuite name="u"><testcase classname="c" name="a"/><testcase classname="c" name="b"/></testsuite>' > junit.xml`,
          results: { parser: 'junit' },
          subject,
          ci: { type: 'unit' },
        },
        {
          name: 'tier0',
          kind: 'test',
          on: { kind: 'build', name: 'build', state: 'available', result: 'pass' },
          command: `printf 'PASS install\\nPASS smoke\\n' > test.log`,
          results: { parser: 'sti' },
          subject,
          ci: { namespace: 'fedora-ci.koji-build', type: 'tier0' },
        },
      ],
    },
    { amqpUrl: url, gating: { policiesDir: policies } },
  );
  const config = p.service.ctx.config;
  const conn = await amqp.connect(url);
  t.after(() => conn.close());
  const ch = await conn.createConfirmChannel();
  // As dist-git's hook would send it: straight to the exchange, under the deployment's prefix.
  const body = {
    repo: 'bash',
    namespace: 'rpms',
    branch: 'rawhide',
    revision: '4f2a9c1d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b',
    author: 'jdoe',
    changed_files: ['bash.spec'],
  };
  ch.publish(config.bus.exchange, `${config.bus.topicPrefix}git.receive`, Buffer.from(JSON.stringify(body)), {
    messageId: 'push-1',
    persistent: true,
    contentType: 'application/json',
  });
  await ch.waitForConfirms();

  const run = await waitFor(
    'the run',
    async () => ((await p.request('GET', '/api/v1/runs?repo=bash')).body.data as NodeJson[])[0],
  );
  const nodes = await p.waitRun(
    run.id,
    (ns) => ns.length === 4 && ns.every((n) => n.result !== null),
    60_000,
  );
  assert.deepEqual(
    nodes.map((n) => [n.name, n.result]),
    [
      ['checkout', 'pass'],
      ['build', 'pass'],
      ['unit', 'pass'],
      ['tier0', 'pass'],
    ],
  );
  assert.deepEqual(new Set(nodes.slice(1).map((n) => n.data.builder)).size >= 1, true);
  const nvr = 'bash-5.2.26-3.fc41';
  const results = await waitFor(
    'every result of the build',
    async () => {
      const r = await p.results({ item: nvr, type: 'koji_build', outcome: 'PASSED' });
      const names = new Set(r.map((x) => x.testcase.name));
      const want = [
        'sluice.koji-build.build',
        'sluice.unit.functional',
        'sluice.unit.c.a',
        'sluice.unit.c.b',
        'fedora-ci.koji-build.tier0.functional',
        'fedora-ci.koji-build.tier0.install',
        'fedora-ci.koji-build.tier0.smoke',
      ];
      return want.every((w) => names.has(w)) ? r : undefined;
    },
    30_000,
  );
  const stage = results.find((r) => r.testcase.name === 'fedora-ci.koji-build.tier0.functional')!;
  assert.deepEqual(
    stage.data.pipeline_id,
    [`sluice-run-${run.id}`],
    'the stage result came from its Fedora CI message',
  );

  // What a release tool asks next: may this build go to stable?
  const ask = {
    decision_context: 'bodhi_update_push_stable',
    product_version: 'fedora-41',
    subject_type: 'koji_build',
    subject_identifier: nvr,
  };
  const decision = await p.request('POST', '/api/v1.0/decision', ask);
  assert.equal(decision.status, 200, JSON.stringify(decision.body));
  assert.equal(decision.body.policies_satisfied, true, JSON.stringify(decision.body));
  assert.equal(decision.body.summary, 'All required tests (3 total) have passed or been waived');
  // A test the pipeline never ran is missing: the same results cannot satisfy it.
  const stricter = await p.request('POST', '/api/v1.0/decision', {
    ...ask,
    decision_context: undefined,
    rules: [{ type: 'PassingTestCaseRule', test_case_name: 'sluice.unit.c.never' }],
  });
  assert.equal(stricter.status, 200, JSON.stringify(stricter.body));
  assert.equal(stricter.body.policies_satisfied, false);
  assert.deepEqual(
    stricter.body.unsatisfied_requirements.map((r: { type: string; testcase: string }) => [
      r.type,
      r.testcase,
    ]),
    [['test-result-missing', 'sluice.unit.c.never']],
  );
  // The same push again (a redelivery) starts nothing new.
  ch.publish(config.bus.exchange, `${config.bus.topicPrefix}git.receive`, Buffer.from(JSON.stringify(body)), {
    messageId: 'push-1',
    persistent: true,
    contentType: 'application/json',
  });
  await ch.waitForConfirms();
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(((await p.request('GET', '/api/v1/runs?repo=bash')).body.data as NodeJson[]).length, 1);
});
