import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { hashToken } from '../../api/auth.js';
import { type CliProcess, cliEnv, freePort, runCli, serveUntilHealthy } from '../support/cli.js';
import { ROOT, tempDir } from '../support/paths.js';

const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('sluice for people: hints, --version, token entries', () => {
  test('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    assert.deepEqual([r.code, r.stdout], [0, `sluice ${version}\n`]);
  });

  test('an unknown command, topic or scope gets the closest known one', async () => {
    const cmd = await runCli(['wacth', '1']);
    assert.equal(cmd.code, 2);
    assert.match(cmd.stderr, /^sluice: unknown command "wacth" \(did you mean "watch"\?\)\n/);
    const topic = await runCli(['publish', 'git.recieve', '{}']);
    assert.equal(topic.code, 1);
    assert.equal(
      topic.stderr,
      'sluice publish: refused: topic: no schema is registered for "git.recieve" (did you mean "git.receive"?)\n',
    );
    const scope = await runCli(['token', 'new', 'alice', '--scopes', 'waivers:wirte']);
    assert.equal(scope.code, 2);
    assert.match(scope.stderr, /"waivers:wirte" is not a scope \(did you mean "waivers:write"\?\)/);
  });

  test("token new prints YAML whose entry is the token's, ready for auth.tokens", async () => {
    const r = await runCli([
      'token',
      'new',
      'alice',
      '--scopes',
      'waivers:write,runs:write',
      '--groups',
      'qa',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const token = /^#\s+(sluice_\S+)$/m.exec(r.stdout)![1]!;
    const entries = parse(r.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(entries, [
      { user: 'alice', sha256: hashToken(token), scopes: ['waivers:write', 'runs:write'], groups: ['qa'] },
    ]);
    const plain = parse((await runCli(['token', 'new', 'bob'])).stdout) as Array<{ scopes: string[] }>;
    assert.ok(!plain[0]!.scopes.includes('admin'), 'admin only when asked for');
  });
});

describe('serve --port, and what a server answers people', () => {
  const cwd = tempDir('sluice-people-');
  let server: CliProcess;
  let env: NodeJS.ProcessEnv;
  let port: number;

  before(async () => {
    port = await freePort();
    env = cliEnv({ SLUICE_PORT: String(port) });
    // --port, not the environment: the server gets none.
    server = await serveUntilHealthy(['serve', '--port', String(port)], cliEnv(), cwd, port);
  });
  after(async () => {
    server?.signal('SIGTERM');
    await server?.exitWithin(15_000, 'sluice serve').catch(() => server.kill());
  });

  test('serve refuses a port that is not a number', async () => {
    const r = await runCli(['serve', '--port', 'eighty'], { cwd });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--port must be a port number/);
  });

  test('a run of a mistyped repo is refused with the repo the pipeline knows; nothing is started', async () => {
    const r = await runCli(['run', 'dmeo', 'main'], { env, cwd });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'sluice run: refused by the server (400): repo: no pipeline job starts on a checkout of "dmeo" (did you mean "demo"?)\n',
    );
    const runs = await runCli(['runs'], { env, cwd });
    assert.equal(runs.stdout, 'no runs yet; start one with: sluice run demo main\n');
  });

  test('status says when no policy gates a subject, and watch names a run that does not exist', async () => {
    const none = await runCli(['status', 'koji_build', 'bash-5.2-1.el9'], { env, cwd });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no loaded policy applies to koji_build subjects in rhel-9/);
    const watch = await runCli(['watch', '424242'], { env, cwd });
    assert.equal(watch.code, 1);
    assert.match(watch.stderr, /sluice watch: the server answered 404: node 424242 not found/);
  });

  test('status of a demo build before any result: both required tests missing, exit 1', async () => {
    const r = await runCli(['status', 'demo-9.9-1.fc41'], { env, cwd });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stdout,
      [
        'FAIL  koji_build demo-9.9-1.fc41  (fedora-41, demo)',
        'Of 2 required tests, 2 results missing',
        '',
        'TEST                     STATUS   WHY',
        'sluice.unit.functional   missing  no result yet',
        'sluice.tier0.functional  missing  no result yet',
        '',
      ].join('\n'),
    );
    const json = await runCli(['status', 'demo-9.9-1.fc41', '--json'], { env, cwd });
    assert.equal((JSON.parse(json.stdout) as { policies_satisfied: boolean }).policies_satisfied, false);
  });

  test('status tells queued and running results from missing ones', async () => {
    const base = `http://127.0.0.1:${port}`;
    for (const [name, outcome] of [
      ['sluice.unit.functional', 'QUEUED'],
      ['sluice.tier0.functional', 'RUNNING'],
    ] as const) {
      const res = await fetch(`${base}/api/v2.0/results`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          testcase: { name },
          outcome,
          data: { item: 'demo-9.8-1.fc41', type: 'koji_build' },
        }),
      });
      assert.equal(res.status, 201, await res.text());
    }
    const r = await runCli(['status', 'demo-9.8-1.fc41'], { env, cwd });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^sluice\.unit\.functional\s+queued\s+result \d+$/m);
    assert.match(r.stdout, /^sluice\.tier0\.functional\s+running\s+result \d+$/m);
  });
});
