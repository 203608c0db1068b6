import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { requireBroker } from '../support/broker.js';
import { CliProcess, cliEnv } from '../support/cli.js';
import { tempDir } from '../support/paths.js';
import { startPipeline } from '../support/pipeline-harness.js';
import { waitFor } from '../support/wait-for.js';

test('a runner process of its own takes the jobs over RabbitMQ; the server only orchestrates', {
  timeout: 90_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const shared = tempDir('artifacts-');
  const p = await startPipeline(
    t,
    {
      artifactsDir: shared,
      runner: { enabled: false },
      jobs: [
        {
          name: 'remote',
          kind: 'test',
          on: { kind: 'checkout', state: 'available' },
          command: 'echo "ran in pid $$" && echo out > result.txt',
          artifacts: ['result.txt'],
        },
      ],
    },
    { amqpUrl: url },
  );
  const { bus } = p.service.ctx.config;
  const dir = tempDir('runner-');
  const file = path.join(dir, 'runner.yaml');
  writeFileSync(
    file,
    stringify({
      db: { path: path.join(dir, 'runner.db') },
      bus: {
        url,
        topicPrefix: bus.topicPrefix,
        queuePrefix: bus.queuePrefix,
        deadLetterQueue: bus.deadLetterQueue,
      },
      log: { level: 'info' },
      pipeline: { artifactsDir: shared, builders: [{ name: 'elsewhere', type: 'local', labels: ['local'] }] },
    }),
  );
  const runner = new CliProcess(['runner', '--config', file], cliEnv(), dir);
  t.after(() => runner.kill());
  // Its durable queue exists once it has started: from then on no job message is lost, runner or not.
  await waitFor('the runner to take jobs', () => {
    if (runner.exit) throw new Error(`sluice runner exited: ${runner.stderr}`);
    return runner.stderr.includes('runner is taking jobs');
  });

  const root = await p.startRun({ repo: 'r', branch: 'main', revision: 'abc1234' });
  const node = await p.finished(root.id, 'remote', 60_000);
  assert.equal(node.result, 'pass', `${JSON.stringify(node.data)} ${runner.stderr}`);
  assert.equal(node.data.builder, 'elsewhere');
  assert.match(await p.log(node.id), /^ran in pid \d+\n$/);
  assert.equal(await (await fetch(node.artifacts['result.txt']!.url)).text(), 'out\n');
  runner.signal('SIGTERM');
  assert.equal((await runner.exitWithin(15_000, 'sluice runner')).code, 0, runner.stderr);
});
