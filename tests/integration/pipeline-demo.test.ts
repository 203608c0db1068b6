import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startPipeline } from '../support/pipeline-harness.js';
import { waitFor } from '../support/wait-for.js';

test('the embedded default runs the demo pipeline end to end on this machine', {
  timeout: 60_000,
}, async (t) => {
  const p = await startPipeline(t, { checkout: { holdoffSeconds: 1 } });
  const root = await p.startRun({ repo: 'demo', branch: 'main' });
  const nodes = await p.waitRun(
    root.id,
    (ns) => ns.length === 6 && ns.every((n) => n.result !== null),
    30_000,
  );
  assert.deepEqual(
    nodes.map((n) => [n.name, n.result]),
    [
      ['checkout', 'pass'],
      ['build', 'pass'],
      ['unit', 'pass'],
      ['functional', 'pass'],
      ['compose', 'pass'],
      ['integration', 'pass'],
    ],
  );
  // The NVR follows the branch (main: the package demo), not the run, so the README can name it.
  const nvr = 'demo-1.0-1.fc41';
  const build = nodes.find((n) => n.name === 'build')!;
  assert.equal(build.data.nvr, nvr);
  assert.deepEqual(Object.keys(build.artifacts), ['demo.tar.gz']);
  const compose = nodes.find((n) => n.name === 'compose')!;
  assert.deepEqual(compose.data.known_good, [nvr], 'the compose gets the known-good set with the candidate');
  assert.equal(await (await fetch(compose.artifacts['compose-packages.txt']!.url)).text(), `${nvr}\n`);
  const results = await waitFor('the unit test results', async () => {
    const r = await p.results({ item: nvr, type: 'koji_build', 'testcases:like': 'sluice.unit.demo.*' });
    return r.length === 2 ? r : undefined;
  });
  assert.ok(results.every((r) => r.outcome === 'PASSED'));
  // The run ends done once its holdoff is over and no child is left.
  await p.waitRun(root.id, (ns) => ns.every((n) => n.state === 'done'), 20_000);

  // What an operator sees of it: the five jobs per builder in /metrics, the builder in /readyz.
  const metrics = await (await fetch(`${p.base}/metrics`)).text();
  assert.match(metrics, /^sluice_jobs_finished_total\{builder="local",outcome="pass"\} 5$/m);
  assert.match(metrics, /^sluice_job_duration_seconds_count\{builder="local",outcome="pass"\} 5$/m);
  assert.match(metrics, /^sluice_builder_up\{builder="local"\} 1$/m);
  const ready = (await (await fetch(`${p.base}/readyz`)).json()) as {
    checks: Record<string, { ok: boolean; detail: string; critical: boolean }>;
  };
  assert.deepEqual(ready.checks['builder:local'], { ok: true, detail: '0/4 jobs', critical: false });
});
