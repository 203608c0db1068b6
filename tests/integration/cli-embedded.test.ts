import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CliProcess, cliEnv, freePort, runCli } from '../support/cli.js';
import { tempDir } from '../support/paths.js';
import { waitFor } from '../support/wait-for.js';

describe('the README demo: sluice serve, tail, publish, dlq on the embedded bus', () => {
  const cwd = tempDir('sluice-demo-');
  const dbFile = path.join(cwd, 'data', 's.db');
  let port: number;
  let env: NodeJS.ProcessEnv;
  let server: CliProcess;
  const started: CliProcess[] = [];
  const launch = (args: string[]) => {
    const p = new CliProcess(args, env, cwd);
    started.push(p);
    return p;
  };

  before(async () => {
    port = await freePort();
    env = cliEnv({ SLUICE_DB: dbFile, SLUICE_PORT: String(port), SLUICE_LOG_LEVEL: 'warn' });
    server = launch(['serve']);
    await waitFor(
      'the server to answer /healthz',
      async () => {
        if (server.exit)
          throw new Error(`sluice serve exited early (${JSON.stringify(server.exit)}): ${server.stderr}`);
        try {
          const res = await fetch(`http://127.0.0.1:${port}/healthz`);
          return res.status === 200 && ((await res.json()) as { status: string }).status === 'ok';
        } catch {
          return false;
        }
      },
      20_000,
      50,
    );
  });
  after(async () => {
    for (const p of started) await p.kill();
  });

  test('the server uses the SQLite file SLUICE_DB names', () => {
    assert.ok(existsSync(dbFile), `${dbFile} exists`);
    assert.ok(!existsSync(path.join(cwd, 'var')), 'the default ./var/sluice.db is not used');
  });

  test('tail prints exactly the published message, then exits after --count 1', async () => {
    const tail = launch(['tail', 'git.#', '--count', '1', '--json']);
    await waitFor('tail to follow', () => {
      if (tail.exit) throw new Error(`tail exited early (${JSON.stringify(tail.exit)}): ${tail.stderr}`);
      return tail.stderr.includes('sluice tail: following git.#');
    });

    const body = { repo: 'rpms/bash', branch: 'rawhide', revision: 'abcdef1' };
    const published = await runCli(['publish', 'git.receive', JSON.stringify(body), '--json'], {
      env,
      cwd,
    });
    assert.equal(published.code, 0, published.stderr);
    const lines = published.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1, published.stdout);
    const receipt = JSON.parse(lines[0]!) as { message_id: string; topic: string };
    assert.match(receipt.message_id, /^[0-9a-f-]{36}$/);
    assert.equal(receipt.topic, 'git.receive');

    const exit = await tail.exitWithin(10_000, 'sluice tail --count 1');
    assert.deepEqual(exit, { code: 0, signal: null }, tail.stderr);
    const printed = tail.stdout.trimEnd().split('\n');
    assert.equal(printed.length, 1, `one line: ${tail.stdout}`);
    const line = JSON.parse(printed[0]!) as {
      id: string;
      topic: string;
      headers: Record<string, unknown>;
      body: unknown;
    };
    assert.equal(line.id, receipt.message_id);
    assert.equal(line.topic, 'git.receive');
    assert.deepEqual(line.body, body);
    assert.equal(typeof line.headers, 'object');
  });

  test('publish refuses an invalid body with exit 1 and the problem on stderr', async () => {
    const r = await runCli(['publish', 'git.receive', '{"repo":"rpms/bash","revision":"abcdef1"}'], {
      env,
      cwd,
    });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^sluice publish: refused: /);
    assert.match(r.stderr, /body\.branch: is required/);
  });

  test('publish refuses a body that is not JSON with exit 1', async () => {
    const r = await runCli(['publish', 'git.receive', '{not json'], { env, cwd });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^sluice publish: the body is not valid JSON/);
  });

  test('dlq list says there are no dead letters (--json: prints nothing), and exits 0', async () => {
    const r = await runCli(['dlq', 'list'], { env, cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'no dead letters\n');
    const json = await runCli(['dlq', 'list', '--json'], { env, cwd });
    assert.equal(json.stdout, '');
  });

  test('SIGTERM stops the server cleanly within a few seconds', async () => {
    assert.equal(server.exit, undefined, 'the server is still running');
    server.signal('SIGTERM');
    const exit = await server.exitWithin(5_000, 'sluice serve after SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, server.stderr);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'nothing answers on the port any more');
  });

  test('without a server, publish says how to start one and exits 1', async () => {
    const r = await runCli(['publish', 'git.receive', '{"repo":"r","branch":"b","revision":"abcdef1"}'], {
      env,
      cwd,
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(`no Sluice server answers at http://127\\.0\\.0\\.1:${port}.*sluice serve`),
    );
  });
});
