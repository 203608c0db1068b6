import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderTree, summarizeRun, formatSeconds, table } from '../../cli/run-view.js';
import { closestNames, didYouMean, editDistance } from '../../config/did-you-mean.js';
import { DEMO_JOBS, DEMO_REPOS } from '../../config/demo-pipeline.js';
import { usesDemoPipeline } from '../../config/demo-policy.js';
import type { PipelineSettings } from '../../config/pipeline-types.js';
import type { NodeJson } from '../../pipeline/pipeline-node.js';
import { unknownRepoProblem } from '../../pipeline/unknown-repo.js';

describe('did you mean', () => {
  test('typos and swapped letters find the name; far-off words find nothing', () => {
    assert.equal(editDistance('dmeo', 'demo'), 1);
    assert.equal(editDistance('recieve', 'receive'), 1);
    assert.deepEqual(closestNames('wacth', ['watch', 'waive', 'run', 'runs']), ['watch']);
    assert.equal(
      didYouMean('git.recieve', ['git.receive', 'result.submit']),
      ' (did you mean "git.receive"?)',
    );
    assert.equal(didYouMean('frobnicate', ['serve', 'publish', 'tail']), '');
    assert.equal(didYouMean('run', ['run', 'runs']), ' (did you mean "runs"?)');
  });
});

function pipeline(
  jobs: Array<{ on: { kind: string }; repos: string[] }>,
  repos: string[] = [],
): PipelineSettings {
  return { jobs, repos: repos.map((name) => ({ name, url: null })) } as unknown as PipelineSettings;
}

describe('a run of a repo no pipeline job starts on', () => {
  test('is refused with the closest repo the pipeline knows; known repos and catch-all jobs pass', () => {
    const demo = pipeline([{ on: { kind: 'checkout' }, repos: ['demo'] }], ['demo']);
    assert.equal(unknownRepoProblem(demo, 'demo'), null);
    assert.equal(
      unknownRepoProblem(demo, 'dmeo'),
      'no pipeline job starts on a checkout of "dmeo" (did you mean "demo"?)',
    );
    assert.equal(
      unknownRepoProblem(demo, 'rpms/bash'),
      'no pipeline job starts on a checkout of "rpms/bash" (the pipeline knows demo)',
    );
    assert.equal(unknownRepoProblem(pipeline([{ on: { kind: 'checkout' }, repos: [] }]), 'anything'), null);
    assert.equal(
      unknownRepoProblem(pipeline([{ on: { kind: 'checkout' }, repos: ['rpms/*'] }]), 'rpms/bash'),
      null,
    );
    // A job on another kind of node does not start on a checkout.
    assert.match(
      unknownRepoProblem(pipeline([{ on: { kind: 'build' }, repos: [] }]), 'x') ?? '',
      /no pipeline job/,
    );
  });

  test('the demo pipeline is what the embedded demo policy goes with', () => {
    assert.equal(usesDemoPipeline({ repos: DEMO_REPOS.map((r) => ({ ...r, url: null })) } as never), true);
    assert.equal(usesDemoPipeline({ repos: [{ name: 'bash', url: null }] } as never), false);
    assert.ok(DEMO_JOBS.length === 5);
  });
});

function node(id: number, parent: number | null, name: string, over: Partial<NodeJson> = {}): NodeJson {
  const path = ['checkout', ...(name === 'checkout' ? [] : [name])];
  return {
    id,
    run_id: 1,
    parent_id: parent,
    kind: name === 'checkout' ? 'checkout' : 'test',
    name,
    path,
    job: name === 'checkout' ? null : name,
    state: 'done',
    result: 'pass',
    repo: 'demo',
    branch: 'main',
    revision: null,
    created: '2026-12-06T10:00:00.000Z',
    updated: '2026-12-06T10:00:14.000Z',
    timeout: null,
    holdoff: null,
    retry_count: 0,
    retry_of: null,
    artifacts: {},
    data: name === 'checkout' ? {} : { duration_ms: 250 },
    href: '',
    ...over,
  };
}

describe('runs as a person reads them', () => {
  test('a run is running until every node is done; then failed when a job failed', () => {
    const nodes = [node(1, null, 'checkout'), node(2, 1, 'build'), node(3, 2, 'unit', { result: 'fail' })];
    const s = summarizeRun(nodes);
    assert.deepEqual(
      [s.status, s.jobs, s.passed, s.failed, s.failures, s.seconds],
      ['failed', 2, 1, 1, ['unit'], 14],
    );
    const running = summarizeRun([
      ...nodes.slice(0, 2),
      node(3, 2, 'unit', { state: 'running', result: null }),
    ]);
    assert.equal(running.status, 'running');
    assert.equal(summarizeRun(nodes.slice(0, 2)).status, 'passed');
  });

  test('elapsed times, tables and the node tree', () => {
    assert.deepEqual([0.25, 14.4, 125, 3720].map(formatSeconds), ['0.3s', '14s', '2m05s', '1h02m']);
    assert.equal(
      table([
        ['A', 'BB'],
        ['ccc', 'd'],
      ]),
      'A    BB\nccc  d\n',
    );
    const tree = renderTree([
      node(1, null, 'checkout', { state: 'available' }),
      node(2, 1, 'build'),
      node(3, 2, 'unit', { state: 'running', result: null, data: {} }),
      node(4, 2, 'functional'),
    ]);
    assert.equal(
      tree,
      [
        'checkout          available  pass',
        '└─ build          done       pass  0.3s',
        '   ├─ unit        running',
        '   └─ functional  done       pass  0.3s',
        '',
      ].join('\n'),
    );
  });
});
