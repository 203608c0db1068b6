import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { hashToken } from '../../api/auth.js';
import type { BusMessage } from '../../bus/bus.js';
import type { RawConfig } from '../../config/config-types.js';
import { SluiceService } from '../../service/sluice-service.js';
import { cliEnv, freePort, runCli } from '../support/cli.js';
import { tempDir } from '../support/paths.js';
import { policiesDir } from '../support/policies-dir.js';
import { silentLogger, testConfig } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

type Job = NonNullable<NonNullable<RawConfig['pipeline']>['jobs']>[number];
const NVR = 'demo-1.0-5.fc41';
const junit = (failing: string[]) =>
  `<testsuite name="s">${['a', 'b']
    .map(
      (n) =>
        `<testcase classname="c" name="${n}">${failing.includes(n) ? '<failure message="no"/>' : ''}</testcase>`,
    )
    .join('')}</testsuite>`;

test("retrigger: an update's failed required results re-queue their job (all of them with all=true), announced on the bus; by subject from the CLI", {
  timeout: 90_000,
}, async (t) => {
  // What Fedora's stable push asks of a build: both unit tests and the lint stage pass.
  const policies = policiesDir(
    `--- !Policy
id: fedora-stable
product_versions: [fedora-*]
decision_context: bodhi_update_push_stable
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: sluice.unit.c.a}
  - !PassingTestCaseRule {test_case_name: sluice.unit.c.b}
  - !PassingTestCaseRule {test_case_name: sluice.lint.functional}
`,
  );
  // unit's test b fails on its first attempt only; lint always passes (its stage result).
  const counter = path.join(tempDir('attempts-'), 'unit');
  writeFileSync(counter, '');
  const subject = { type: 'koji_build', item: NVR };
  const jobs: Job[] = [
    {
      name: 'unit',
      on: { kind: 'checkout', state: 'available' },
      command: `echo x >> ${counter}; if [ "$(wc -l < ${counter})" = 1 ]; then printf '%s' '${junit(['b'])}'; else printf '%s' '${junit([])}'; fi > junit.xml`,
      results: { parser: 'junit' },
      subject,
      holdoffSeconds: 0,
    },
    {
      name: 'lint',
      on: { kind: 'checkout', state: 'available' },
      command: 'true',
      subject,
      holdoffSeconds: 0,
    },
  ];
  const tokens = { writer: 'w-s3cret', reader: 'r-s3cret', releng: 'u-s3cret' };
  const port = await freePort();
  const config = testConfig({
    server: { port },
    auth: {
      tokens: [
        { user: 'alice', sha256: hashToken(tokens.writer), scopes: ['runs:write'] },
        { user: 'bob', sha256: hashToken(tokens.reader), scopes: ['results:write'] },
        { user: 'bodhi', sha256: hashToken(tokens.releng), scopes: ['updates:write'] },
      ],
    },
    gating: { policiesDir: policies },
    pipeline: { sweepCron: '* * * * * *', checkout: { holdoffSeconds: 1 }, jobs },
  });
  const service = await SluiceService.create({ config, log: silentLogger() });
  const base = (await service.start())!;
  t.after(() => service.stop());
  const seen: BusMessage[] = [];
  const sub = await service.ctx.bus.subscribe(['pipeline.tests.retriggered'], (m) => seen.push(m));
  t.after(() => sub.close());
  const call = async (method: string, p: string, token: string, body?: unknown) => {
    const res = await fetch(base + p, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const nodes = () => service.ctx.pipeline.nodes.list({ limit: 100 });
  const run = await call('POST', '/api/v1/runs', tokens.writer, {
    repo: 'demo',
    branch: 'main',
    revision: 'abc1234',
  });
  assert.equal(run.status, 201);
  await waitFor(
    'the run to end',
    () => service.ctx.pipeline.nodes.require(run.body.id).state === 'done',
    20_000,
  );
  const update = await call('POST', '/api/v1/updates', tokens.releng, {
    product_version: 'fedora-41',
    builds: [NVR],
    request: 'stable',
  });
  assert.equal(update.status, 201, JSON.stringify(update.body));
  assert.equal(update.body.test_gating_status, 'failed');

  // Without runs:write: refused, nothing queued.
  const refused = await call('POST', `/api/v1/updates/${update.body.id}/retrigger`, tokens.reader);
  assert.equal(refused.status, 403);
  assert.equal((await call('POST', '/api/v1/updates/NOPE-1/retrigger', tokens.writer)).status, 404);
  const bad = await call('POST', `/api/v1/updates/${update.body.id}/retrigger?all=maybe`, tokens.writer);
  assert.deepEqual([bad.status, bad.body.message], [400, 'all: must be true or false']);

  const unit1 = nodes().find((n) => n.job === 'unit')!;
  const again = await call('POST', `/api/v1/updates/${update.body.id}/retrigger`, tokens.writer);
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.deepEqual(
    again.body.requeued.map((r: any) => [r.job, r.retry_of, r.testcases]),
    [['unit', unit1.id, ['sluice.unit.c.b']]],
    'only the job behind the failed requirement',
  );
  const msg = (await waitFor('the announcement', () => seen[0])) as { body: any };
  assert.deepEqual(
    [msg.body.update_id, msg.body.agent, msg.body.all, msg.body.requeued],
    [update.body.id, 'alice', false, again.body.requeued],
  );
  const unit2 = await waitFor('the new attempt to pass', () =>
    nodes().find((n) => n.id === again.body.requeued[0].node_id && n.result === 'pass'),
  );
  assert.equal(unit2.retryCount, 1);
  await waitFor('the update to pass', async () => {
    const u = await call('GET', `/api/v1/updates/${update.body.id}`, tokens.writer);
    return u.body.test_gating_status === 'passed';
  });
  await waitFor(
    'the new attempt to be done',
    () => service.ctx.pipeline.nodes.require(unit2.id).state === 'done',
  );

  // all=true: every required result's job, each once (unit's two tests are one job).
  const everything = await call(
    'POST',
    `/api/v1/updates/${update.body.id}/retrigger?all=true`,
    tokens.writer,
  );
  assert.deepEqual(
    everything.body.requeued.map((r: any) => [r.job, r.retry_of, [...r.testcases].sort()]).sort(),
    [
      ['lint', nodes().find((n) => n.job === 'lint' && n.retryOf === null)!.id, ['sluice.lint.functional']],
      ['unit', unit2.id, ['sluice.unit.c.a', 'sluice.unit.c.b']],
    ],
  );
  await waitFor('both to be done', () =>
    everything.body.requeued.every((r: any) => service.ctx.pipeline.nodes.get(r.node_id)?.state === 'done'),
  );

  // By subject, from the CLI: nothing failed now, so nothing is queued; --all queues both again.
  const env = cliEnv({ SLUICE_PORT: String(port), SLUICE_TOKEN: tokens.writer });
  const none = await runCli(['retrigger', NVR], { env });
  assert.equal(none.code, 0, none.stderr);
  assert.deepEqual(JSON.parse(none.stdout), { requeued: [], not_requeued: [] });
  const all = await runCli(['retrigger', NVR, '--all'], { env });
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual(
    JSON.parse(all.stdout)
      .requeued.map((r: any) => r.job)
      .sort(),
    ['lint', 'unit'],
  );
  await waitFor('the third announcement', () => (seen.length === 3 ? seen : undefined));
  assert.deepEqual((seen[2]!.body as any).subject, { type: 'koji_build', item: NVR });
  const usage = await runCli(['retrigger'], { env });
  assert.equal(usage.code, 2);
});
