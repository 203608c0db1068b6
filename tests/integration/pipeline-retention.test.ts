import assert from 'node:assert/strict';
import { type Dirent, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { RawConfig } from '../../config/config-types.js';
import { startPipeline } from '../support/pipeline-harness.js';
import { waitFor } from '../support/wait-for.js';

type Job = NonNullable<NonNullable<RawConfig['pipeline']>['jobs']>[number];
const SECOND_IN_DAYS = 1 / 86_400;

/** Bytes of every file under `dir` (what `du` would count, near enough). */
function diskUse(dir: string): number {
  let total = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? diskUse(p) : statSync(p).size;
  }
  return total;
}

test('retention prunes old logs and artifacts, then whole runs, on its schedule: disk use falls, the API answers 410, results stay', {
  timeout: 90_000,
}, async (t) => {
  const p = await startPipeline(t, {
    checkout: { holdoffSeconds: 0 },
    // Days as fractions, so that "old" comes within a test: logs and artifacts after 3 s, runs after 8 s.
    retention: {
      logs: 3 * SECOND_IN_DAYS,
      artifacts: 3 * SECOND_IN_DAYS,
      runs: 8 * SECOND_IN_DAYS,
      cron: '* * * * * *',
    },
    jobs: [
      {
        name: 'build',
        kind: 'build',
        on: { kind: 'checkout', state: 'available' },
        // ~200 kB of log and a 300 kB artifact.
        command:
          'head -c 150000 /dev/zero | base64; mkdir -p out; head -c 300000 /dev/urandom > out/image.bin',
        artifacts: ['out/image.bin'],
        holdoffSeconds: 0,
        subject: { type: 'koji_build', item: 'app-1.0-1.fc41' },
      } as Job,
    ],
  });
  const { logsDir, artifactsDir } = p.service.ctx.config.pipeline;
  const run = await p.startRun({ repo: 'app', branch: 'main', revision: 'aaaaaaa1' });
  const build = await p.finished(run.id, 'build');
  assert.equal(build.result, 'pass');
  const resultsBefore = (await p.request('GET', '/api/v2.0/results?limit=100')).body.data.length;
  assert.ok(resultsBefore > 0, 'the job stored its result');
  assert.equal((await p.request('GET', `/api/v1/nodes/${build.id}/log`)).status, 200);
  assert.equal((await p.request('GET', `/api/v1/nodes/${build.id}/artifacts/out/image.bin`)).status, 200);
  const before = diskUse(logsDir) + diskUse(artifactsDir);
  assert.ok(before > 450_000, `log and artifact on disk (${before} bytes)`);

  const log = await waitFor(
    'the log pruned',
    async () => {
      const res = await p.request('GET', `/api/v1/nodes/${build.id}/log`);
      return res.status === 410 ? res : undefined;
    },
    30_000,
    200,
  );
  assert.match(
    JSON.stringify(log.body),
    new RegExp(`the log of node ${build.id}: gone, pruned on .* \\(pipeline.retention\\)`),
  );
  const artifact = await waitFor(
    'the artifacts pruned',
    async () => {
      const res = await p.request('GET', `/api/v1/nodes/${build.id}/artifacts/out/image.bin`);
      return res.status === 410 ? res : undefined;
    },
    30_000,
    200,
  );
  assert.match(artifact.body.message, new RegExp(`^the artifacts of node ${build.id}: gone, pruned on `));
  assert.equal((await p.request('GET', `/api/v1/nodes/${build.id}/artifacts`)).status, 410);
  const after = diskUse(logsDir) + diskUse(artifactsDir);
  assert.ok(after < before - 450_000, `disk use fell from ${before} to ${after} bytes`);
  assert.equal(
    (await p.request('GET', `/api/v1/runs/${run.id}`)).status,
    200,
    'the run itself is younger than its days',
  );

  const gone = await waitFor(
    'the run pruned',
    async () => {
      const res = await p.request('GET', `/api/v1/runs/${run.id}`);
      return res.status === 410 ? res : undefined;
    },
    30_000,
    200,
  );
  assert.match(JSON.stringify(gone.body), new RegExp(`node ${run.id} \\(with its run\\): gone, pruned`));
  assert.equal((await p.request('GET', `/api/v1/nodes/${build.id}`)).status, 410);
  assert.equal((await p.request('GET', '/api/v1/nodes/999999')).status, 404, 'never there is not gone');
  assert.equal(
    (await p.request('GET', '/api/v2.0/results?limit=100')).body.data.length,
    resultsBefore,
    'results are the audit trail: kept',
  );
});
