import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { BusMessage } from '../../bus/bus.js';
import type { RawConfig } from '../../config/config-types.js';
import { NodeTransitionError } from '../../errors/node-transition-error.js';
import type { NodeMessage } from '../../pipeline/node-message.js';
import { applyStatusChange } from '../../pipeline/node-state.js';
import { planSweep, type SweepNode } from '../../pipeline/sweep-plan.js';
import { SluiceService } from '../../service/sluice-service.js';
import { silentLogger, testConfig } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

function illegal(fn: () => unknown, code: string) {
  assert.throws(
    fn,
    (err: unknown) => err instanceof NodeTransitionError && err.code === code,
    `expected ${code}`,
  );
}

describe('node state machine', () => {
  const node = (
    state: 'running' | 'available' | 'closing' | 'done',
    result: 'pass' | 'fail' | null = null,
  ) => ({ id: 7, state, result });

  test('running → available → closing → done is the way forward', () => {
    assert.deepEqual(applyStatusChange(node('running'), { state: 'available', result: 'pass' }), {
      state: 'available',
      result: 'pass',
    });
    assert.deepEqual(applyStatusChange(node('available', 'pass'), { state: 'closing' }), {
      state: 'closing',
      result: 'pass',
    });
    assert.deepEqual(applyStatusChange(node('closing', 'pass'), { state: 'done' }), {
      state: 'done',
      result: 'pass',
    });
    assert.deepEqual(applyStatusChange(node('running'), { state: 'done', result: 'fail' }), {
      state: 'done',
      result: 'fail',
    });
  });

  test('skipping closing from running, going backwards, or changing a done node is refused with a code', () => {
    illegal(() => applyStatusChange(node('running'), { state: 'closing' }), 'NODE_TRANSITION_ILLEGAL');
    illegal(
      () => applyStatusChange(node('closing', 'pass'), { state: 'available' }),
      'NODE_TRANSITION_ILLEGAL',
    );
    illegal(
      () => applyStatusChange(node('available', 'pass'), { state: 'running' }),
      'NODE_TRANSITION_ILLEGAL',
    );
    illegal(() => applyStatusChange(node('done', 'pass'), {}), 'NODE_DONE');
  });

  test('a result is final: a real fail is never overwritten by incomplete; done needs a result', () => {
    illegal(
      () => applyStatusChange(node('available', 'fail'), { state: 'done', result: 'incomplete' }),
      'NODE_RESULT_FINAL',
    );
    illegal(() => applyStatusChange(node('running'), { state: 'done' }), 'NODE_RESULT_REQUIRED');
    assert.match(
      String(catchError(() => applyStatusChange(node('running'), { state: 'closing' }))),
      /running → closing is not allowed \(running may become available or done\)/,
    );
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('sweep plan', () => {
  const n = (over: Partial<SweepNode> & { id: number }): SweepNode => ({
    parentId: null,
    depth: 1,
    job: null,
    state: 'running',
    result: null,
    timeoutAt: null,
    holdoffAt: null,
    ...over,
  });

  test('a node past its timeout is done/incomplete with every open node under it; running jobs are to be killed', () => {
    const plan = planSweep(
      [
        n({ id: 1, state: 'available', result: 'pass', timeoutAt: 100, holdoffAt: 50 }),
        n({ id: 2, parentId: 1, depth: 2, job: 'build', state: 'running', timeoutAt: 1000 }),
        n({ id: 3, parentId: 2, depth: 3, job: 'test', state: 'running' }),
        n({ id: 4, job: 'other', state: 'running', timeoutAt: 1000 }),
      ],
      100,
    );
    assert.deepEqual(plan, [
      { id: 1, state: 'done', reason: 'timeout', cancelJob: false },
      { id: 2, state: 'done', result: 'incomplete', reason: 'ancestor-timeout', cancelJob: true },
      { id: 3, state: 'done', result: 'incomplete', reason: 'ancestor-timeout', cancelJob: true },
    ]);
  });

  test('a timed-out node that already failed stays failed', () => {
    assert.deepEqual(
      planSweep([n({ id: 5, job: 'build', state: 'available', result: 'fail', timeoutAt: 10 })], 10),
      [{ id: 5, state: 'done', reason: 'timeout', cancelJob: false }],
    );
  });

  test('holdoff: closing while children run, done when none; a closing node is done when its children are', () => {
    assert.deepEqual(
      planSweep(
        [
          n({ id: 1, state: 'available', result: 'pass', holdoffAt: 5 }),
          n({ id: 2, parentId: 1, depth: 2, job: 'b' }),
        ],
        5,
      ),
      [{ id: 1, state: 'closing', reason: 'holdoff', cancelJob: false }],
    );
    assert.deepEqual(planSweep([n({ id: 1, state: 'available', result: 'pass', holdoffAt: 5 })], 5), [
      { id: 1, state: 'done', reason: 'holdoff', cancelJob: false },
    ]);
    assert.deepEqual(
      planSweep([n({ id: 1, state: 'available', result: 'pass', holdoffAt: 6 })], 5),
      [],
      'holdoff not reached',
    );
    assert.deepEqual(planSweep([n({ id: 1, state: 'closing', result: 'pass' })], 5), [
      { id: 1, state: 'done', reason: 'children-done', cancelJob: false },
    ]);
  });

  test('deeper nodes are decided first, so a whole finished chain closes in one sweep', () => {
    const plan = planSweep(
      [
        n({ id: 1, state: 'closing', result: 'pass' }),
        n({ id: 2, parentId: 1, depth: 2, job: 'b', state: 'available', result: 'pass', holdoffAt: 1 }),
      ],
      2,
    );
    assert.deepEqual(
      plan.map((a) => [a.id, a.state]),
      [
        [1, 'done'],
        [2, 'done'],
      ],
    );
  });
});

/** A service on the embedded bus whose pipeline messages are collected as they are published. */
async function startService(t: TestContext, raw: RawConfig = {}) {
  const config = testConfig({ ...raw, pipeline: { runner: { enabled: false }, ...raw.pipeline } });
  const service = await SluiceService.create({ config, log: silentLogger(), http: false });
  await service.start();
  const seen: BusMessage[] = [];
  const sub = await service.ctx.bus.subscribe(['pipeline.#'], (m) => seen.push(m));
  t.after(async () => {
    await sub.close();
    await service.stop();
  });
  const nodeEvents = (id: number) =>
    seen
      .filter((m) => m.topic.startsWith('pipeline.node.') && (m.body as NodeMessage).id === id)
      .map((m) => m.body as NodeMessage);
  return { service, parts: service.ctx.pipeline, seen, nodeEvents };
}

describe('node store', () => {
  test('every create and update is published with the state and result before it', async (t) => {
    const { parts, nodeEvents } = await startService(t);
    const root = parts.transact(() =>
      parts.engine.startRun({ repo: 'bash', branch: 'rawhide', revision: 'abc1234', source: 'api' }),
    );
    const events = await waitFor('created and updated', () =>
      nodeEvents(root.id).length === 2 ? nodeEvents(root.id) : undefined,
    );
    assert.deepEqual(
      events.map((e) => [e.state, e.result, e.previous_state, e.previous_result]),
      [
        ['running', null, null, null],
        // A root has no result until the run is done: then it is the run's verdict.
        ['available', null, 'running', null],
      ],
    );
    assert.equal(events[1]!.kind, 'checkout');
    assert.deepEqual(events[1]!.path, ['checkout']);
    assert.equal(events[1]!.run_id, root.id);
    const child = parts.transact(() =>
      parts.nodes.create({ parentId: root.id, kind: 'build', name: 'build', job: 'build' }),
    );
    assert.equal(child.repo, 'bash', 'a child inherits its change');
    assert.deepEqual(child.path, ['checkout', 'build']);
    parts.transact(() => parts.nodes.update(child.id, { state: 'done', result: 'fail' }));
    const childEvents = await waitFor('the child events', () =>
      nodeEvents(child.id).length === 2 ? nodeEvents(child.id) : undefined,
    );
    assert.deepEqual(
      [childEvents[1]!.state, childEvents[1]!.result, childEvents[1]!.previous_state],
      ['done', 'fail', 'running'],
    );
  });

  test('an illegal transition changes nothing and publishes nothing', async (t) => {
    const { parts, nodeEvents } = await startService(t);
    const node = parts.transact(() =>
      parts.nodes.create({ kind: 'checkout', name: 'checkout', repo: 'x', branch: 'main' }),
    );
    illegal(
      () => parts.transact(() => parts.nodes.update(node.id, { state: 'closing' })),
      'NODE_TRANSITION_ILLEGAL',
    );
    parts.transact(() => parts.nodes.update(node.id, { state: 'done', result: 'fail' }));
    illegal(() => parts.transact(() => parts.nodes.update(node.id, { result: 'incomplete' })), 'NODE_DONE');
    await waitFor('two events', () => nodeEvents(node.id).length === 2);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(nodeEvents(node.id).length, 2);
    assert.deepEqual(
      [parts.nodes.require(node.id).state, parts.nodes.require(node.id).result],
      ['done', 'fail'],
    );
    illegal(
      () => parts.transact(() => parts.nodes.create({ parentId: node.id, kind: 'build', name: 'late' })),
      'NODE_PARENT_CLOSED',
    );
  });
});

describe('sweeper on its schedule', () => {
  test('a node past its timeout becomes done/incomplete and its job is cancelled; a real fail stays', async (t) => {
    const { parts, seen, nodeEvents } = await startService(t, { pipeline: { sweepCron: '* * * * * *' } });
    const root = parts.transact(() =>
      parts.engine.startRun({ repo: 'x', branch: 'main', revision: 'abc1234', source: 'api' }),
    );
    const past = Date.now() - 1;
    const slow = parts.transact(() =>
      parts.nodes.create({ parentId: root.id, kind: 'test', name: 'slow', job: 'slow', timeoutAt: past }),
    );
    const failed = parts.transact(() =>
      parts.nodes.create({
        parentId: root.id,
        kind: 'build',
        name: 'failed',
        job: 'failed',
        timeoutAt: past,
      }),
    );
    parts.transact(() =>
      parts.nodes.update(failed.id, { state: 'available', result: 'fail', holdoffAt: Date.now() + 3600_000 }),
    );
    await waitFor(
      'the sweeper to time both out',
      () => parts.nodes.require(slow.id).state === 'done' && parts.nodes.require(failed.id).state === 'done',
      5000,
    );
    assert.equal(parts.nodes.require(slow.id).result, 'incomplete');
    assert.match(String(parts.nodes.require(slow.id).data.reason), /^timed out after/);
    assert.equal(parts.nodes.require(failed.id).result, 'fail', 'a real fail is never overwritten');
    const cancel = await waitFor('the cancel message', () =>
      seen.find((m) => m.topic === 'pipeline.job.cancel'),
    );
    assert.deepEqual((cancel.body as { node_id: number }).node_id, slow.id);
    assert.equal(
      seen.filter((m) => m.topic === 'pipeline.job.cancel').length,
      1,
      'only the running job is killed',
    );
    const last = nodeEvents(slow.id).at(-1)!;
    assert.deepEqual([last.state, last.result, last.previous_state], ['done', 'incomplete', 'running']);
  });

  test('holdoff: an available node closes while a child runs and is done once none does', async (t) => {
    const { parts } = await startService(t, {
      pipeline: { sweepCron: '* * * * * *', checkout: { holdoffSeconds: 0 } },
    });
    const root = parts.transact(() =>
      parts.engine.startRun({ repo: 'x', branch: 'main', revision: 'abc1234', source: 'api' }),
    );
    const child = parts.transact(() =>
      parts.nodes.create({ parentId: root.id, kind: 'test', name: 't', job: 't' }),
    );
    await waitFor('the root to close', () => parts.nodes.require(root.id).state === 'closing', 5000);
    illegal(
      () => parts.transact(() => parts.nodes.create({ parentId: root.id, kind: 'test', name: 'late' })),
      'NODE_PARENT_CLOSED',
    );
    parts.transact(() => parts.nodes.update(child.id, { state: 'done', result: 'pass' }));
    await waitFor('the root to be done', () => parts.nodes.require(root.id).state === 'done', 5000);
    assert.equal(parts.nodes.require(root.id).result, 'pass');
  });
});

describe('sweeper and runner', () => {
  test('a job still waiting for a builder when its node times out is cancelled and never starts', async (t) => {
    const { startPipeline } = await import('../support/pipeline-harness.js');
    const onCheckout = { kind: 'checkout', state: 'available' } as const;
    const p = await startPipeline(t, {
      timeoutGraceSeconds: 0,
      builders: [{ name: 'one-slot', type: 'local', labels: ['local'], jobLimit: 1 }],
      jobs: [
        { name: 'first', on: onCheckout, command: 'sleep 4; echo first done' },
        { name: 'second', on: onCheckout, command: 'echo second ran', timeoutSeconds: 2 },
      ],
    });
    const root = await p.startRun({ repo: 'r', branch: 'main', revision: 'abc1234' });
    const second = await p.finished(root.id, 'second');
    assert.equal(second.result, 'incomplete');
    assert.equal(second.data.reason, 'timed out after 2 s');
    assert.equal(second.data.builder, undefined, 'it never got a builder');
    const first = await p.finished(root.id, 'first');
    assert.equal(first.result, 'pass');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await p.log(second.id), '', 'its command never ran');
    assert.equal((await p.node(second.id)).result, 'incomplete', 'a late report changes nothing');
  });
});

describe('retries and the known-good set', () => {
  test('a job that ends incomplete is retried as new nodes, its retry counter raised, up to `retries`', async (t) => {
    const { startPipeline } = await import('../support/pipeline-harness.js');
    const p = await startPipeline(t, {
      jobs: [
        {
          name: 'no-results',
          on: { kind: 'checkout', state: 'available' },
          command: 'echo no junit here',
          results: { parser: 'junit' },
          retries: 2,
        },
      ],
    });
    const root = await p.startRun({ repo: 'r', branch: 'main', revision: 'abc1234' });
    await p.waitRun(
      root.id,
      (ns) => ns.filter((n) => n.job === 'no-results' && n.result !== null).length === 3,
    );
    await new Promise((r) => setTimeout(r, 500));
    const attempts = (await p.waitRun(root.id, () => true)).filter((n) => n.job === 'no-results');
    assert.equal(attempts.length, 3, 'the first attempt and two retries, no more');
    assert.deepEqual(
      attempts.map((n) => [n.retry_count, n.retry_of, n.result]),
      [
        [0, null, 'incomplete'],
        [1, attempts[0]!.id, 'incomplete'],
        [2, attempts[1]!.id, 'incomplete'],
      ],
    );
    assert.equal(attempts[0]!.data.reason, 'the junit parser found no results to read');
  });
});
