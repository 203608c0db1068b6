import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { JobSettings } from '../../config/pipeline-types.js';
import { compileRules, matchesMessage } from '../../notify/notify-rules.js';
import { needsCycles, needsState, type RunNode } from '../../pipeline/job-needs.js';
import { applyQuarantine } from '../../pipeline/quarantine.js';
import { retriesAfter } from '../../pipeline/retry-policy.js';
import { jobOfTestcase, nodeIdOfResult, retriggerTargets } from '../../pipeline/retrigger-plan.js';
import { runVerdict, type VerdictNode } from '../../pipeline/run-verdict.js';
import { triggerProblems } from '../../pipeline/trigger-check.js';
import { nodeEvent } from '../support/notify-fixtures.js';

type Job = Pick<JobSettings, 'name' | 'kind' | 'on' | 'needs'>;
const job = (name: string, over: Partial<Job> = {}): Job => ({
  name,
  kind: 'test',
  on: { kind: 'checkout', state: 'available' },
  needs: [],
  ...over,
});
const problems = (jobs: Job[], schedules: Array<{ name: string; cron: string; kind: string }> = []) =>
  triggerProblems({ jobs: jobs as JobSettings[], schedules }).map((p) => `${p.path.join('.')}: ${p.problem}`);

describe('triggers that can never fire', () => {
  test('a job on a closing or done node is refused, naming the job and why', () => {
    const found = problems([
      job('build', { kind: 'build' }),
      job('late', { on: { kind: 'build', state: 'done' } }),
      job('later', { on: { kind: 'build', state: 'closing' } }),
    ]);
    assert.equal(found.length, 2, found.join('\n'));
    assert.match(
      found[0]!,
      /^jobs\.1\.on\.state: job "late" can never start: a node that is done takes no children/,
    );
    assert.match(found[1]!, /^jobs\.2\.on\.state: job "later" can never start: a node that is closing/);
  });

  test("a result on a running node, on a run's root, and a name no node of the kind has", () => {
    const found = problems([
      job('build', { kind: 'build' }),
      job('a', { on: { kind: 'build', state: 'running', result: 'pass' } }),
      job('b', { on: { kind: 'checkout', state: 'available', result: 'pass' } }),
      job('c', { on: { kind: 'build', name: 'biuld', state: 'available' } }),
    ]);
    assert.deepEqual(
      found.map((f) => f.split(':')[0]),
      ['jobs.1.on.result', 'jobs.2.on.result', 'jobs.3.on.name'],
    );
    assert.match(found[1]!, /root \(checkout\) has no result until the run is done/);
    assert.match(found[2]!, /no node of kind "build" is named "biuld" \(there are: build\)/);
  });

  test('the triggers the examples use pass', () => {
    assert.deepEqual(
      problems(
        [
          job('build', { kind: 'build' }),
          job('unit', { on: { kind: 'build', name: 'build', state: 'available', result: 'pass' } }),
          job('nightly', { on: { kind: 'schedule', name: 'nightly', state: 'available' } }),
          job('report', { on: undefined, needs: ['unit', { job: 'nightly', result: ['pass', 'fail'] }] }),
        ],
        [{ name: 'nightly', cron: '0 3 * * *', kind: 'schedule' }],
      ),
      [],
    );
  });

  test('needs: unknown jobs, itself, neither or both triggers, cycles named', () => {
    const found = problems([
      job('a', { on: undefined, needs: ['c'] }),
      job('b', { on: undefined, needs: ['a'] }),
      job('c', { on: undefined, needs: ['b'] }),
      job('d', { on: undefined, needs: ['d', 'nope'] }),
      job('e', { on: undefined }),
      job('f', { needs: ['a'] }),
    ]);
    assert.ok(found.includes('jobs.3.needs.0: job "d" can never start: it needs itself'), found.join('\n'));
    assert.ok(
      found.some((f) => f.startsWith('jobs.3.needs.1: job "d" can never start: no job is named "nope"')),
    );
    assert.ok(found.some((f) => f.startsWith('jobs.4.on: job "e" can never start: it has neither')));
    assert.ok(found.some((f) => f.startsWith('jobs.5.needs: job "f" can never start: it has both')));
    const cycles = found.filter((f) => f.includes('cycle'));
    assert.deepEqual(cycles, [
      'jobs.0.needs: jobs wait for each other in a cycle, so none of them can ever start: a → c → b → a',
    ]);
  });

  test('needsCycles finds each cycle once and none in a diamond', () => {
    const diamond = [
      { name: 'a', needs: [] },
      { name: 'b', needs: ['a'] },
      { name: 'c', needs: ['a'] },
      { name: 'd', needs: ['b', 'c'] },
    ];
    assert.deepEqual(needsCycles(diamond), []);
    assert.deepEqual(
      needsCycles([
        { name: 'x', needs: ['y'] },
        { name: 'y', needs: ['x'] },
      ]),
      [['x', 'y', 'x']],
    );
  });
});

describe('needs', () => {
  const n = (
    id: number,
    jobName: string,
    result: RunNode['result'],
    retryOf: number | null = null,
  ): RunNode => ({
    id,
    job: jobName,
    result,
    retryOf,
  });
  const d = { needs: ['b', 'c'] } as Pick<JobSettings, 'needs'>;

  test('waits until every needed job has a node with a result', () => {
    assert.deepEqual(needsState(d, [n(2, 'b', 'pass')]), { kind: 'wait', waitingFor: ['c'] });
    assert.deepEqual(needsState(d, [n(2, 'b', 'pass'), n(3, 'c', null)]), {
      kind: 'wait',
      waitingFor: ['c'],
    });
  });

  test('starts with the same key however the events arrive; a re-run makes a new key', () => {
    const first = needsState(d, [n(2, 'b', 'pass'), n(3, 'c', 'pass')]);
    const again = needsState(d, [n(3, 'c', 'pass'), n(2, 'b', 'pass')]);
    assert.deepEqual(first, { kind: 'start', key: 'b:2;c:3', inputs: { b: [2], c: [3] } });
    assert.deepEqual(again, first);
    const rerun = needsState(d, [n(2, 'b', 'pass'), n(3, 'c', 'pass'), n(7, 'c', 'pass', 3)]);
    assert.equal(rerun.kind === 'start' && rerun.key, 'b:2;c:7');
  });

  test('a failed need skips, saying which; a retry in progress is waited for', () => {
    const skipped = needsState(d, [n(2, 'b', 'fail'), n(3, 'c', 'pass')]);
    assert.equal(skipped.kind, 'skip');
    assert.match((skipped as { reason: string }).reason, /needed job b \(node 2\) ended fail, not pass/);
    assert.equal(needsState(d, [n(2, 'b', 'fail'), n(3, 'c', 'pass'), n(4, 'b', null, 2)]).kind, 'wait');
  });

  test('a result filter accepts what it names', () => {
    const any = { needs: [{ job: 'b', result: ['pass', 'fail'] }] } as Pick<JobSettings, 'needs'>;
    assert.equal(needsState(any, [n(2, 'b', 'fail')]).kind, 'start');
    assert.equal(needsState(any, [n(2, 'b', 'incomplete')]).kind, 'skip');
  });
});

describe('run verdict', () => {
  const v = (over: Partial<VerdictNode> & { id: number }): VerdictNode => ({
    parentId: 1,
    name: `job${over.id}`,
    job: `job${over.id}`,
    result: 'pass',
    retryOf: null,
    voting: true,
    ...over,
  });
  const root = v({ id: 1, parentId: null, job: null, result: null });

  test('fail when a voting job failed, incomplete when one did not finish, pass otherwise', () => {
    assert.deepEqual(runVerdict([root, v({ id: 2 }), v({ id: 3, result: 'skip' })]), {
      result: 'pass',
      reason: null,
    });
    assert.deepEqual(runVerdict([root, v({ id: 2 }), v({ id: 3, result: 'fail' })]), {
      result: 'fail',
      reason: 'failed: job3 (node 3)',
    });
    assert.equal(runVerdict([root, v({ id: 2, result: 'incomplete' })]).result, 'incomplete');
    assert.equal(runVerdict([root, v({ id: 2, result: null })]).result, 'incomplete');
    assert.equal(
      runVerdict([root, v({ id: 2, result: 'incomplete' }), v({ id: 3, result: 'fail' })]).result,
      'fail',
    );
  });

  test('non-voting jobs and superseded attempts do not count', () => {
    assert.equal(runVerdict([root, v({ id: 2, result: 'fail', voting: false })]).result, 'pass');
    assert.equal(
      runVerdict([root, v({ id: 2, result: 'fail' }), v({ id: 3, result: 'pass', retryOf: 2 })]).result,
      'pass',
    );
    assert.equal(
      runVerdict([root, v({ id: 2, result: 'pass' }), v({ id: 3, result: 'fail', retryOf: 2 })]).result,
      'fail',
    );
  });
});

test('quarantine: failures of listed tests become INFO, flagged and noted; others stay', () => {
  const out = applyQuarantine(
    [
      { name: 'tests.test_dag.TestDag.test_flaky_io', outcome: 'FAILED', note: 'timeout' },
      { name: 'tests.test_dag.TestDag.test_ok', outcome: 'PASSED' },
      { name: 'tests.test_www.test_login', outcome: 'ERROR' },
      { name: 'tests.test_core.test_real', outcome: 'FAILED' },
    ],
    ['tests.test_dag.*flaky*', 'tests.test_www.*', 'tests.test_dag.TestDag.test_ok'],
  );
  assert.deepEqual(out, [
    {
      name: 'tests.test_dag.TestDag.test_flaky_io',
      outcome: 'INFO',
      quarantined: true,
      note: 'quarantined; was FAILED: timeout',
    },
    { name: 'tests.test_dag.TestDag.test_ok', outcome: 'PASSED', quarantined: true },
    { name: 'tests.test_www.test_login', outcome: 'INFO', quarantined: true, note: 'quarantined; was ERROR' },
    { name: 'tests.test_core.test_real', outcome: 'FAILED' },
  ]);
});

test('retries: a number is for incomplete endings; onFail re-runs failures', () => {
  assert.equal(retriesAfter({ retries: 1 }, 'incomplete', 0), true);
  assert.equal(retriesAfter({ retries: 1 }, 'fail', 0), false);
  assert.equal(retriesAfter({ retries: { onFail: 2 } }, 'fail', 1), true);
  assert.equal(retriesAfter({ retries: { onFail: 2 } }, 'fail', 2), false);
  assert.equal(retriesAfter({ retries: { onFail: 2 } }, 'incomplete', 0), false);
  assert.equal(retriesAfter({ retries: { onFail: 2 } }, 'pass', 0), false);
});

test('no failure mail for a non-voting job, nor for an attempt that is about to be re-run', () => {
  const { rules } = compileRules({
    rules: [{ name: 'j', mail: 'job-failed', recipients: ['a@example.org'], when: {} }],
    debounceSeconds: 60,
  });
  const failing = nodeEvent({
    id: 2,
    name: 'build',
    parent_id: 1,
    state: 'available',
    result: 'fail',
    previous_state: 'running',
    previous_result: null,
  });
  const mails = (data: Record<string, unknown>) =>
    matchesMessage(rules[0]!, 'pipeline.node.updated', { ...failing, data: { ...failing.data, ...data } });
  assert.equal(mails({}), true);
  assert.equal(mails({ voting: false }), false);
  assert.equal(mails({ retrying: true }), false);
});

describe('retrigger plan', () => {
  // Requirements as Greenwave prints them (greenwave/policies.py: TestResultFailed, TestResultMissing, TestResultPassed).
  const decision = {
    satisfied_requirements: [
      {
        type: 'test-result-passed',
        testcase: 'sluice.unit.c.a',
        subject_type: 'koji_build',
        subject_identifier: 'x-1-1.fc41',
        result_id: 3,
      },
    ],
    unsatisfied_requirements: [
      {
        type: 'test-result-failed',
        testcase: 'sluice.unit.c.b',
        subject_type: 'koji_build',
        subject_identifier: 'x-1-1.fc41',
        result_id: 4,
        item: {},
      },
      {
        type: 'test-result-missing',
        testcase: 'fedora-ci.koji-build.tier0.functional',
        subject_type: 'koji_build',
        subject_identifier: 'x-1-1.fc41',
        scenario: null,
      },
      {
        type: 'invalid-gating-yaml',
        testcase: 'invalid-gating-yaml',
        subject_type: 'koji_build',
        subject_identifier: 'x-1-1.fc41',
      },
    ],
  };

  test('the unsatisfied requirements, or all of them; never a gating.yaml problem', () => {
    assert.deepEqual(
      retriggerTargets(decision, false).map((t) => [t.testcase, t.resultId]),
      [
        ['sluice.unit.c.b', 4],
        ['fedora-ci.koji-build.tier0.functional', null],
      ],
    );
    assert.deepEqual(
      retriggerTargets(decision, true).map((t) => t.testcase),
      ['sluice.unit.c.b', 'fedora-ci.koji-build.tier0.functional', 'sluice.unit.c.a'],
    );
  });

  test('a test case belongs to the job whose stage or parsed tests it names', () => {
    const jobs = [
      { name: 'unit', ci: { namespace: 'sluice', type: null, category: 'functional' } },
      { name: 'sti', ci: { namespace: 'fedora-ci.koji-build', type: 'tier0', category: 'functional' } },
    ] as unknown as JobSettings[];
    assert.equal(jobOfTestcase(jobs, 'sluice.unit.c.b')?.name, 'unit');
    assert.equal(jobOfTestcase(jobs, 'fedora-ci.koji-build.tier0.functional')?.name, 'sti');
    assert.equal(jobOfTestcase(jobs, 'sluice.unitx.a'), undefined);
  });

  test("a result's node: the pipeline's node_id, or the node a CI stage result links", () => {
    assert.equal(nodeIdOfResult({ data: { node_id: ['12'] }, ref_url: null }), 12);
    assert.equal(nodeIdOfResult({ data: {}, ref_url: 'https://sluice.example.org/api/v1/nodes/7' }), 7);
    assert.equal(nodeIdOfResult({ data: {}, ref_url: 'https://jenkins.example.org/job/7' }), null);
  });
});
