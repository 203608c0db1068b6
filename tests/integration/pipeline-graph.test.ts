import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { RawConfig } from '../../config/config-types.js';
import type { NodeMessage } from '../../pipeline/node-message.js';
import { nodeJson, type NodeJson, type PipelineNode } from '../../pipeline/pipeline-node.js';
import { SluiceService } from '../../service/sluice-service.js';
import type { BusMessage } from '../../bus/bus.js';
import { runCli } from '../support/cli.js';
import { waitFor } from '../support/wait-for.js';
import { loadConfig } from '../../service/load-config.js';
import { ROOT, tempDir } from '../support/paths.js';
import { startPipeline, type PipelineHarness } from '../support/pipeline-harness.js';
import { silentLogger, testConfig } from '../support/test-config.js';

type Job = NonNullable<NonNullable<RawConfig['pipeline']>['jobs']>[number];
const job = (name: string, command: string, over: Partial<Job> = {}): Job =>
  ({
    name,
    kind: 'test',
    on: { kind: 'checkout', state: 'available' },
    command,
    holdoffSeconds: 1,
    ...over,
  }) as Job;
const onPass = (name: string) => ({ kind: 'test', name, state: 'available', result: 'pass' }) as const;
/** Short holdoffs, so a run is done (and has its verdict) a few seconds after its last job. */
const quick = { checkout: { holdoffSeconds: 1 } };

/** The diamond A → (B, C) → D; D reads what B and C wrote. */
const diamond = (bCommand = 'echo "x=from-b" >> "$SLUICE_DATA"'): Job[] => [
  job('a', 'echo a'),
  job('b', bCommand, { on: onPass('a') }),
  job('c', 'echo "y=from-c" >> "$SLUICE_DATA"', { on: onPass('a') }),
  job('d', 'echo "joined="{{ needs.b.data.x }}+{{ needs.c.data.y }} >> "$SLUICE_DATA"', {
    on: undefined,
    needs: ['b', 'c'],
  }),
];

async function runDone(p: PipelineHarness, runId: number): Promise<{ root: NodeJson; nodes: NodeJson[] }> {
  const nodes = await p.waitRun(runId, (ns) => ns[0]!.state === 'done', 30_000);
  return { root: nodes[0]!, nodes };
}

describe('job graph: needs', () => {
  test('a diamond A → (B, C) → D: D runs once, after both, with their data; the run passes', async (t) => {
    const p = await startPipeline(t, { ...quick, jobs: diamond() });
    const run = await p.startRun({ repo: 'demo', branch: 'main', revision: 'abc1234' });
    assert.equal(run.result, null, 'a run has no verdict while it runs');
    const { root, nodes } = await runDone(p, run.id);
    const ds = nodes.filter((n) => n.job === 'd');
    assert.equal(ds.length, 1, JSON.stringify(nodes.map((n) => [n.name, n.state, n.result])));
    const d = ds[0]!;
    assert.equal(d.result, 'pass', await p.log(d.id));
    assert.equal(d.data.joined, 'from-b+from-c');
    const b = nodes.find((n) => n.job === 'b')!;
    const c = nodes.find((n) => n.job === 'c')!;
    assert.ok([b.id, c.id].includes(d.parent_id!), 'D hangs under the job that completed its needs');
    assert.deepEqual(d.data.needs, { b: [b.id], c: [c.id] });
    assert.deepEqual([root.state, root.result], ['done', 'pass']);
  });

  test('a needed job that failed: D ends skip with the reason, and the run fails', async (t) => {
    const p = await startPipeline(t, { ...quick, jobs: diamond('echo broken; exit 3') });
    const run = await p.startRun({ repo: 'demo', branch: 'main', revision: 'abc1234' });
    const { root, nodes } = await runDone(p, run.id);
    const d = nodes.filter((n) => n.job === 'd');
    assert.equal(d.length, 1);
    assert.deepEqual([d[0]!.state, d[0]!.result], ['done', 'skip']);
    const b = nodes.find((n) => n.job === 'b')!;
    assert.equal(d[0]!.data.reason, `needed job b (node ${b.id}) ended fail, not pass`);
    assert.equal(await p.log(d[0]!.id).then((l) => l.includes('joined')), false, 'D never ran');
    assert.deepEqual([root.result, root.data.verdict_reason], ['fail', `failed: b (node ${b.id})`]);
  });

  test('a needed job that could not even start (its node ended at once) still makes D skip', async (t) => {
    const p = await startPipeline(t, { ...quick, jobs: diamond('echo {{ parent.data.nothing }}') });
    const run = await p.startRun({ repo: 'demo', branch: 'main', revision: 'abc1234' });
    const { root, nodes } = await runDone(p, run.id);
    const b = nodes.find((n) => n.job === 'b')!;
    assert.deepEqual([b.state, b.result], ['done', 'incomplete']);
    const d = nodes.filter((n) => n.job === 'd');
    assert.deepEqual(
      d.map((n) => [n.result, n.data.reason]),
      [['skip', `needed job b (node ${b.id}) ended incomplete, not pass`]],
    );
    assert.equal(root.result, 'incomplete');
  });
});

/** A service without a runner: jobs stay queued, and the test reports their ends itself. */
async function engineOnly(t: TestContext) {
  const config = testConfig({
    pipeline: { runner: { enabled: false }, sweepCron: '0 0 1 1 *', ...quick, jobs: diamond() },
  });
  const service = await SluiceService.create({ config, log: silentLogger(), http: false });
  await service.start();
  t.after(() => service.stop());
  const parts = service.ctx.pipeline;
  const url = 'http://localhost';
  const event = (n: PipelineNode, previous: Pick<NodeMessage, 'previous_state' | 'previous_result'>) =>
    ({ ...nodeJson(n, url), ...previous }) as NodeMessage;
  const finish = (n: PipelineNode, status: 'pass' | 'fail') =>
    parts.transact(() =>
      parts.engine.jobFinished({
        node_id: n.id,
        builder: 'local',
        status,
        exit_code: status === 'pass' ? 0 : 1,
        reason: null,
        duration_ms: 1,
        log_bytes: 0,
        artifacts: [],
        data: {},
        tests: [],
      }),
    )!;
  const got = (n: PipelineNode) => event(n, { previous_state: 'running', previous_result: null });
  return { parts, finish, got };
}

describe('job graph: D is decided once, whatever the order of the messages', () => {
  for (const order of [
    ['b', 'c', 'c', 'b'],
    ['c', 'b', 'b', 'c'],
  ]) {
    test(`B and C finished at the same moment, their events handled ${order.join(', ')} (redelivered)`, async (t) => {
      const { parts, finish, got } = await engineOnly(t);
      const root = parts.transact(() =>
        parts.engine.startRun({ repo: 'demo', branch: 'main', revision: 'abc1234', source: 'api' }),
      );
      const [a] = parts.transact(() =>
        parts.engine.onNodeEvent({
          ...nodeJson(root, 'http://localhost'),
          previous_state: 'running',
          previous_result: null,
        }),
      );
      const aDone = finish(a!, 'pass');
      const bc = parts.transact(() => parts.engine.onNodeEvent(got(aDone)));
      assert.deepEqual(bc.map((n) => n.job).sort(), ['b', 'c']);
      // Both end before either's event is handled: each event then sees both needs met.
      const ended = Object.fromEntries(bc.map((n) => [n.job!, finish(n, 'pass')]));
      const started = order.map((j) => parts.transact(() => parts.engine.onNodeEvent(got(ended[j]!))));
      assert.deepEqual(
        started.map((s) => s.length),
        [1, 0, 0, 0],
      );
      const ds = parts.nodes.list({ runId: root.id, limit: 100 }).filter((n) => n.job === 'd');
      assert.equal(ds.length, 1);
      assert.equal(ds[0]!.parentId, ended[order[0]!]!.id);
    });
  }

  test('a needed job re-run by hand makes D run again as a new attempt of D', async (t) => {
    const { parts, finish, got } = await engineOnly(t);
    const root = parts.transact(() =>
      parts.engine.startRun({ repo: 'demo', branch: 'main', revision: 'abc1234', source: 'api' }),
    );
    const [a] = parts.transact(() =>
      parts.engine.onNodeEvent({ ...nodeJson(root, 'x'), previous_state: 'running', previous_result: null }),
    );
    const bc = parts.transact(() => parts.engine.onNodeEvent(got(finish(a!, 'pass'))));
    const b = bc.find((n) => n.job === 'b')!;
    const c = bc.find((n) => n.job === 'c')!;
    const cDone = finish(c, 'pass');
    parts.transact(() => parts.engine.onNodeEvent(got(cDone)));
    const bFailed = finish(b, 'fail');
    const [skipped] = parts.transact(() => parts.engine.onNodeEvent(got(bFailed)));
    assert.deepEqual([skipped!.state, skipped!.result], ['done', 'skip']);
    parts.transact(() => parts.nodes.update(bFailed.id, { state: 'done' }));
    const b2 = parts.transact(() => parts.engine.retry(b.id));
    const [d] = parts.transact(() => parts.engine.onNodeEvent(got(finish(b2, 'pass'))));
    assert.equal(d!.job, 'd');
    assert.equal(d!.retryOf, skipped!.id);
    assert.deepEqual(d!.data.needs, { b: [b2.id], c: [c.id] });
  });
});

describe('run verdict', () => {
  test('a root stored before verdicts existed (result pass from its start) still closes, keeping it', async (t) => {
    const { parts } = await engineOnly(t);
    const root = parts.transact(() => {
      const r = parts.nodes.create({ kind: 'checkout', name: 'checkout', repo: 'demo', branch: 'main' }, 0);
      return parts.nodes.update(r.id, { state: 'available', result: 'pass', holdoffAt: 1 }, 0).node;
    });
    const done = parts.transact(() => parts.engine.sweep(10));
    assert.deepEqual(
      done.map((a) => [a.id, a.state]),
      [[root.id, 'done']],
    );
    assert.deepEqual(
      [parts.nodes.require(root.id).state, parts.nodes.require(root.id).result],
      ['done', 'pass'],
    );
  });

  test('a failed test job fails the run; a job that could not finish makes it incomplete', async (t) => {
    const p = await startPipeline(t, {
      ...quick,
      jobs: [
        job('build', 'echo built', { kind: 'build' }),
        job('tests', 'echo "1 failed"; exit 1', {
          on: { kind: 'build', state: 'available', result: 'pass' },
        }),
      ],
    });
    const seen: BusMessage[] = [];
    const sub = await p.service.ctx.bus.subscribe(['pipeline.node.updated'], (m) => seen.push(m));
    t.after(() => sub.close());
    const failing = await p.startRun({ repo: 'demo', branch: 'main', revision: 'abc1234' });
    const { root } = await runDone(p, failing.id);
    assert.deepEqual([root.state, root.result], ['done', 'fail'], 'not done/pass');
    assert.match(String(root.data.verdict_reason), /^failed: tests \(node \d+\)$/);
    // The run's API answer and its last bus message carry it.
    const answer = (await p.request('GET', `/api/v1/runs/${failing.id}`)).body;
    assert.equal(answer.result, 'fail');
    const last = await waitFor('the root done message', () =>
      seen.map((m) => m.body as NodeMessage).find((b) => b.id === failing.id && b.state === 'done'),
    );
    assert.deepEqual([last.result, last.previous_result], ['fail', null]);
  });

  test('incomplete when a voting job could not finish (its results missing)', async (t) => {
    const p = await startPipeline(t, {
      ...quick,
      jobs: [job('unit', 'echo no report', { results: { parser: 'junit' } })],
    });
    const run = await p.startRun({ repo: 'demo', branch: 'main', revision: 'abc1234' });
    const { root, nodes } = await runDone(p, run.id);
    assert.equal(nodes[1]!.result, 'incomplete');
    assert.equal(root.result, 'incomplete');
  });

  test('a non-voting job runs and reports, its results stored, but never fails the run', async (t) => {
    const junit = `<testsuite name="s"><testcase classname="t" name="ok"/><testcase classname="t" name="bad"><failure message="no">boom</failure></testcase></testsuite>`;
    const p = await startPipeline(t, {
      ...quick,
      jobs: [
        job('gate', 'echo fine'),
        job('experimental', `printf '%s' '${junit}' > junit.xml`, {
          voting: false,
          results: { parser: 'junit' },
          subject: { type: 'koji_build', item: 'demo-1.0-1.fc41' },
        }),
      ],
    });
    const run = await p.startRun({ repo: 'demo', branch: 'main', revision: 'abc1234' });
    const { root, nodes } = await runDone(p, run.id);
    const exp = nodes.find((n) => n.job === 'experimental')!;
    assert.deepEqual([exp.result, exp.data.voting], ['fail', false]);
    assert.equal(root.result, 'pass');
    const stored = await p.results({ item: 'demo-1.0-1.fc41' });
    const bad = stored.find((r) => r.testcase.name === 'sluice.experimental.t.bad')!;
    assert.equal(bad.outcome, 'FAILED');
    assert.deepEqual(bad.data.voting, ['false']);
  });
});

describe('flaky and quarantined tests', () => {
  test('quarantined test cases: a failure is stored as INFO, flagged, and the job passes', async (t) => {
    const junit = `<testsuite name="s"><testcase classname="tests.core" name="test_ok"/><testcase classname="tests.io" name="test_flaky_socket"><failure message="timed out">slow</failure></testcase></testsuite>`;
    const p = await startPipeline(t, {
      ...quick,
      jobs: [
        job('unit', `printf '%s' '${junit}' > junit.xml`, {
          results: { parser: 'junit' },
          quarantine: ['tests.io.*flaky*'],
          subject: { type: 'koji_build', item: 'demo-1.0-2.fc41' },
        }),
      ],
    });
    const run = await p.startRun({ repo: 'demo', branch: 'main', revision: 'abc1234' });
    const { root, nodes } = await runDone(p, run.id);
    assert.equal(nodes[1]!.result, 'pass', JSON.stringify(nodes[1]!.data));
    assert.deepEqual(nodes[1]!.data.quarantined, ['tests.io.test_flaky_socket']);
    assert.equal(root.result, 'pass');
    const stored = await p.results({ item: 'demo-1.0-2.fc41' });
    const q = stored.find((r) => r.testcase.name === 'sluice.unit.tests.io.test_flaky_socket')!;
    assert.equal(q.outcome, 'INFO');
    assert.deepEqual(q.data.quarantined, ['true']);
    assert.match(q.note ?? '', /^quarantined; was FAILED/);
    const ok = stored.find((r) => r.testcase.name === 'sluice.unit.tests.core.test_ok')!;
    assert.deepEqual([ok.outcome, ok.data.quarantined], ['PASSED', undefined]);
  });

  test('retries.onFail: a failing job is re-run; when a later attempt passes it passes, flaky', async (t) => {
    const counter = path.join(tempDir('flaky-'), 'attempts');
    writeFileSync(counter, '');
    const p = await startPipeline(t, {
      ...quick,
      jobs: [
        job(
          'unit',
          `echo x >> ${counter}; printf '<testsuite name="s"><testcase classname="t" name="a"/></testsuite>' > junit.xml; [ "$(wc -l < ${counter})" -ge 2 ]`,
          {
            retries: { onFail: 2 },
            results: { parser: 'junit' },
            subject: { type: 'koji_build', item: 'demo-1.0-3.fc41' },
          },
        ),
      ],
    });
    const run = await p.startRun({ repo: 'demo', branch: 'main', revision: 'abc1234' });
    const { root, nodes } = await runDone(p, run.id);
    const attempts = nodes.filter((n) => n.job === 'unit');
    assert.deepEqual(
      attempts.map((n) => [n.result, n.retry_count, n.data.flaky ?? null, n.data.retrying ?? null]),
      [
        ['fail', 0, null, true],
        ['pass', 1, true, null],
      ],
      'the second attempt passed, so there is no third',
    );
    assert.equal(attempts[1]!.retry_of, attempts[0]!.id);
    assert.equal(root.result, 'pass');
    const stored = await p.results({ item: 'demo-1.0-3.fc41', node_id: String(attempts[1]!.id) });
    assert.deepEqual(
      stored.map((r) => [r.testcase.name, r.outcome, r.data.flaky]),
      [['sluice.unit.t.a', 'PASSED', ['true']]],
    );
  });
});

test('sluice config check refuses a trigger that can never fire and a cycle in needs, naming the jobs', async () => {
  const dir = tempDir('cfg-');
  const file = path.join(dir, 'sluice.yaml');
  writeFileSync(
    file,
    `pipeline:
  jobs:
    - {name: build, kind: build, on: {kind: checkout, state: available}, command: "true"}
    - {name: cleanup, on: {kind: build, state: done}, command: "true"}
    - {name: x, needs: [y], command: "true"}
    - {name: y, needs: [x], command: "true"}
`,
  );
  const out = await runCli(['config', 'check', file]);
  assert.equal(out.code, 1, out.stdout + out.stderr);
  assert.match(
    out.stderr,
    /pipeline\.jobs\[1\]\.on\.state: job "cleanup" can never start: a node that is done takes no children/,
  );
  assert.match(out.stderr, /pipeline\.jobs\[2\]\.needs: jobs wait for each other in a cycle.*: x → y → x/);
});

test("the run report: its verdict, flaky jobs apart, and new failures apart from the branch's old ones", async (t) => {
  const junit = (bad: string[]) =>
    `<testsuite name="s">${['t1', 't2', 't3'].map((n) => `<testcase classname="c" name="${n}">${bad.includes(n) ? '<failure message="no"/>' : ''}</testcase>`).join('')}</testsuite>`;
  const badFile = path.join(tempDir('bad-'), 'bad');
  const counter = path.join(tempDir('flaky-'), 'attempts');
  writeFileSync(counter, '');
  const p = await startPipeline(t, {
    ...quick,
    jobs: [
      // Fails on every run: already failing the second time.
      job('old-break', 'exit 1'),
      // Fails only when the file says so: new on the second run.
      job('lint', `[ ! -e ${badFile} ]`),
      // Fails on each run's first attempt and passes on its retry.
      job('flaky', `echo x >> ${counter}; n=$(wc -l < ${counter}); [ "$n" = 2 ] || [ "$n" = 4 ]`, {
        retries: { onFail: 1 },
      }),
      job(
        'unit',
        `if [ -e ${badFile} ]; then printf '%s' '${junit(['t1', 't2'])}'; else printf '%s' '${junit(['t1'])}'; fi > junit.xml`,
        {
          results: { parser: 'junit' },
          subject: { type: 'koji_build', item: 'demo-1.0-4.fc41' },
        },
      ),
    ],
  });
  const first = await p.startRun({ repo: 'demo', branch: 'main', revision: 'abc1234' });
  await runDone(p, first.id);
  writeFileSync(badFile, '');
  const second = await p.startRun({ repo: 'demo', branch: 'main', revision: 'def5678' });
  const { root } = await runDone(p, second.id);
  const { StoreRunReportSource } = await import('../../notify/store-run-report-source.js');
  const { runReportMail } = await import('../../notify/templates/run-report-mail.js');
  const ctx = p.service.ctx;
  const report = new StoreRunReportSource(ctx.pipeline.nodes, ctx.results, ctx.serverUrl).runReport(root.id)!;
  assert.equal(report.previous?.runId, first.id);
  const mail = runReportMail(report, 'reports');
  assert.match(mail.text, /Verdict: +fail \(failed: /);
  assert.match(
    mail.text,
    new RegExp(
      `New failures \\(not failing on the branch's previous run, ${first.id}\\): lint\\n` +
        // unit failed on the first run too (its t1), with one more failing test now.
        `Already failing on run ${first.id}: old-break, unit\\n`,
    ),
  );
  assert.match(mail.text, /New failing tests \(1\):\n {2}FAILED sluice\.unit\.c\.t2/);
  assert.match(
    mail.text,
    new RegExp(`Tests already failing on run ${first.id} \\(1\\):\\n {2}FAILED sluice\\.unit\\.c\\.t1`),
  );
  assert.match(mail.text, /Flaky jobs \(failed, then passed when re-run\):\n {2}flaky \(attempt 2\)/);
  assert.match(mail.text, /^flaky +pass \(flaky\) /m);
  assert.match(mail.html, /<h3>Already failing<\/h3><p>old-break, unit/);
});

test('the Airflow-style example: images side by side, tests waiting for both, a non-voting quarantined suite', () => {
  const config = loadConfig({ file: path.join(ROOT, 'config/examples/airflow-ci.yaml'), env: {}, cwd: ROOT });
  const jobs = Object.fromEntries(config.pipeline.jobs.map((j) => [j.name, j]));
  assert.deepEqual(jobs.tests!.needs, ['build-ci-image', 'build-prod-image']);
  assert.deepEqual(jobs.tests!.retries, { onFail: 1 });
  assert.equal(jobs['quarantined-tests']!.voting, false);
  assert.deepEqual(jobs['summarize-warnings']!.needs, [{ job: 'tests', result: ['pass', 'fail'] }]);
  assert.deepEqual(jobs['quarantined-tests']!.needs, ['build-ci-image']);
  assert.deepEqual(jobs.docs!.paths, ['docs/**', '*.rst', '*.md'], 'a selective check');
  assert.deepEqual(jobs.tests!.quarantine, ['tests.*.test_*_flaky*']);
  assert.deepEqual(
    config.forges.map((f) => [f.name, f.type, f.statuses]),
    [['github', 'github', true]],
    'statuses go back to GitHub',
  );
});
