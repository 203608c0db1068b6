import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { RawConfig } from '../../config/config-types.js';
import type { NodeJson } from '../../pipeline/pipeline-node.js';
import { tempDir } from '../support/paths.js';
import { startPipeline } from '../support/pipeline-harness.js';
import { waitFor } from '../support/wait-for.js';

type Job = NonNullable<NonNullable<RawConfig['pipeline']>['jobs']>[number];

describe('environments', () => {
  test('two jobs of one environment never run at once: the second waits its turn; runs record their deployments', {
    timeout: 60_000,
  }, async (t) => {
    const trace = path.join(tempDir('env-'), 'trace');
    const step = (what: string) => `echo "${what} {{ run_id }}" >> ${trace}`;
    const jobs: Job[] = [
      {
        name: 'deploy-test',
        kind: 'deploy',
        on: { kind: 'checkout', state: 'available' },
        environment: 'test',
        branches: ['main'],
        command: `${step('start')}; sleep 1.5; ${step('end')}`,
      } as Job,
      // Another environment is not held up by the first.
      {
        name: 'deploy-prod',
        kind: 'deploy',
        on: { kind: 'checkout', state: 'available' },
        environment: 'prod',
        branches: ['release'],
        command: `echo "prod {{ run_id }}" >> ${trace}.prod`,
      } as Job,
    ];
    const p = await startPipeline(t, { jobs, runner: { concurrency: 4 } });
    const a = await p.startRun({ repo: 'app', branch: 'main', revision: 'aaaaaaa1' });
    const b = await p.startRun({ repo: 'app', branch: 'main', revision: 'bbbbbbb2' });
    const c = await p.startRun({ repo: 'app', branch: 'release', revision: 'ccccccc3' });

    // While the first deploys to test, the second's node exists and says what it waits for.
    const waiting = await waitFor('the second job waiting', async () => {
      const nodes = (await p.request('GET', `/api/v1/runs/${b.id}`)).body.nodes as NodeJson[];
      return nodes.find((n) => n.name === 'deploy-test' && typeof n.data.waiting_for === 'string');
    });
    const holderOfTest = (await p.request('GET', `/api/v1/runs/${a.id}`)).body.nodes.find(
      (n: NodeJson) => n.name === 'deploy-test',
    ) as NodeJson;
    assert.equal(waiting.data.waiting_for, `environment test, held by node ${holderOfTest.id}`);
    assert.equal(waiting.state, 'running');
    assert.equal(waiting.timeout, null, 'no timeout runs while it waits');
    // prod is free: its job ran meanwhile.
    assert.equal((await p.finished(c.id, 'deploy-prod')).result, 'pass');

    const first = await p.finished(a.id, 'deploy-test');
    const second = await p.finished(b.id, 'deploy-test');
    assert.equal(first.result, 'pass');
    assert.equal(second.result, 'pass');
    assert.equal(second.data.waiting_for, null);
    assert.ok(second.timeout !== null, 'its timeout counts from when it was let in');
    assert.deepEqual(readFileSync(trace, 'utf8').trim().split('\n'), [
      `start ${a.id}`,
      `end ${a.id}`,
      `start ${b.id}`,
      `end ${b.id}`,
    ]);

    const runA = (await p.request('GET', `/api/v1/runs/${a.id}`)).body;
    assert.deepEqual(
      runA.deployments.map((d: Record<string, unknown>) => [d.environment, d.job, d.node_id, d.subject]),
      [['test', 'deploy-test', first.id, 'app@aaaaaaa1']],
    );
    assert.ok(!Number.isNaN(Date.parse(runA.deployments[0].at)));
    const runC = (await p.request('GET', `/api/v1/runs/${c.id}`)).body;
    assert.deepEqual(
      runC.deployments.map((d: Record<string, unknown>) => [d.environment, d.job]),
      [['prod', 'deploy-prod']],
    );
  });

  test('a waiting job that is cancelled gives up its place; the next one goes', {
    timeout: 60_000,
  }, async (t) => {
    const trace = path.join(tempDir('env-'), 'trace');
    const p = await startPipeline(t, {
      jobs: [
        {
          name: 'deploy',
          kind: 'deploy',
          on: { kind: 'checkout', state: 'available' },
          environment: 'staging',
          command: `echo "run {{ run_id }}" >> ${trace}; sleep 1`,
        } as Job,
      ],
      runner: { concurrency: 4 },
    });
    const a = await p.startRun({ repo: 'app', branch: 'main', revision: 'aaaaaaa1' });
    const b = await p.startRun({ repo: 'app', branch: 'other', revision: 'bbbbbbb2' });
    const c = await p.startRun({ repo: 'app', branch: 'third', revision: 'ccccccc3' });
    await waitFor('b waiting', async () =>
      ((await p.request('GET', `/api/v1/runs/${b.id}`)).body.nodes as NodeJson[]).find(
        (n) => n.name === 'deploy' && n.data.waiting_for,
      ),
    );
    const cancel = await p.request('POST', `/api/v1/runs/${b.id}/cancel`, { reason: 'not this one' });
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    assert.equal((await p.finished(a.id, 'deploy')).result, 'pass');
    assert.equal((await p.finished(c.id, 'deploy')).result, 'pass');
    assert.notEqual((await p.finished(b.id, 'deploy')).result, 'pass');
    assert.deepEqual(readFileSync(trace, 'utf8').trim().split('\n'), [`run ${a.id}`, `run ${c.id}`]);
  });
});
