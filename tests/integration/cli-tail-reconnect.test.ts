import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { CliProcess, cliEnv, freePort, runCli } from '../support/cli.js';
import { tempDir } from '../support/paths.js';
import { waitFor } from '../support/wait-for.js';

test('sluice tail on the embedded bus follows the server across a restart and misses nothing', {
  timeout: 60_000,
}, async (t) => {
  const cwd = tempDir('sluice-tail-');
  const env = cliEnv({
    SLUICE_DB: path.join(cwd, 's.db'),
    SLUICE_PORT: String(await freePort()),
    SLUICE_LOG_LEVEL: 'warn',
  });
  const processes: CliProcess[] = [];
  const launch = (args: string[]) => {
    const p = new CliProcess(args, env, cwd);
    processes.push(p);
    return p;
  };
  t.after(async () => {
    for (const p of processes) await p.kill();
  });
  const healthy = async () => {
    try {
      return (await fetch(`http://127.0.0.1:${env.SLUICE_PORT}/healthz`)).ok;
    } catch {
      return false;
    }
  };
  const publish = async (revision: string) => {
    const r = await runCli(
      ['publish', 'git.receive', JSON.stringify({ repo: 'rpms/bash', branch: 'rawhide', revision })],
      { env, cwd },
    );
    assert.equal(r.code, 0, r.stderr);
  };

  let server = launch(['serve']);
  await waitFor('the server', healthy);
  const tail = launch(['tail', 'git.receive', '--count', '3', '--json']);
  await waitFor('tail to follow', () => tail.stderr.includes('following'));
  await publish('aaaaaaa');
  await waitFor('the first line', () => tail.stdout.split('\n').filter(Boolean).length === 1);

  server.signal('SIGTERM');
  assert.equal((await server.exitWithin(10_000, 'the server')).code, 0);
  server = launch(['serve']);
  await waitFor('the server again', healthy);
  await publish('bbbbbbb');
  await publish('ccccccc');

  assert.equal((await tail.exitWithin(20_000, 'tail')).code, 0);
  const revisions = tail.stdout
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { body: { revision: string } }).body.revision);
  assert.deepEqual(revisions, ['aaaaaaa', 'bbbbbbb', 'ccccccc']);
  server.signal('SIGTERM');
  await server.exitWithin(10_000, 'the server');
});
