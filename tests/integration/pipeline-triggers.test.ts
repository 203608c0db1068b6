import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { hashToken } from '../../api/auth.js';
import type { RawConfig } from '../../config/config-types.js';
import type { NodeJson } from '../../pipeline/pipeline-node.js';
import { cliEnv, runCli } from '../support/cli.js';
import { tempDir } from '../support/paths.js';
import { startPipeline } from '../support/pipeline-harness.js';
import { waitFor } from '../support/wait-for.js';

const git = promisify(execFile);
type Job = NonNullable<NonNullable<RawConfig['pipeline']>['jobs']>[number];
const job = (name: string, command: string, over: Partial<Job> = {}): Job =>
  ({ name, kind: 'test', on: { kind: 'checkout', state: 'available' }, command, ...over }) as Job;

/** A git repository of its own with one commit on main; `commit()` adds another and returns its hash. */
async function gitRepo() {
  const dir = tempDir('repo-');
  const g = (...args: string[]) =>
    git('git', ['-C', dir, '-c', 'user.name=T', '-c', 'user.email=t@example.org', ...args]);
  await g('init', '-q', '-b', 'main');
  const commit = async (msg: string) => {
    await g('commit', '-q', '--allow-empty', '-m', msg);
    return (await g('rev-parse', 'HEAD')).stdout.trim();
  };
  const first = await commit('first');
  return { dir, first, commit };
}

describe('triggers', () => {
  test("git.receive in Fedora dist-git's shape starts a run; selective checks run only what the changed files touch", async (t) => {
    const p = await startPipeline(t, {
      jobs: [
        job('spec-lint', 'echo lint', { paths: ['*.spec'] }),
        job('docs', 'echo docs', { paths: ['docs/**'] }),
      ],
    });
    await p.service.ctx.bus.publish('git.receive', {
      commit: {
        repo: 'bash',
        namespace: 'rpms',
        branch: 'rawhide',
        rev: '4f2a9c1d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b',
        username: 'jdoe',
        summary: 'Update to 5.2.26',
        message: 'Update to 5.2.26\n',
        stats: { files: { 'bash.spec': { additions: 2, deletions: 1, lines: 3 } } },
      },
    });
    const runs = await waitFor(
      'the run',
      async () => ((await p.request('GET', '/api/v1/runs?repo=bash')).body.data as NodeJson[])[0],
    );
    assert.equal(runs.branch, 'rawhide');
    assert.equal(runs.revision, '4f2a9c1d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b');
    assert.equal(runs.data.namespace, 'rpms');
    assert.equal(runs.data.author, 'jdoe');
    assert.deepEqual(runs.data.changed_files, ['bash.spec']);
    const lint = await p.finished(runs.id, 'spec-lint');
    assert.equal(lint.result, 'pass');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      (await p.waitRun(runs.id, () => true)).map((n) => n.name),
      ['checkout', 'spec-lint'],
      'docs/** did not match',
    );
  });

  test('polling a remote: a new head triggers once, never twice for the same revision', async (t) => {
    const repo = await gitRepo();
    const p = await startPipeline(t, {
      repos: [{ name: 'polled', url: repo.dir, branches: ['main'], poll: '* * * * * *' }],
      jobs: [job('j', 'echo {{ revision }}')],
    });
    const runsOf = async () =>
      ((await p.request('GET', '/api/v1/runs?repo=polled')).body.data as NodeJson[]).map((r) => r.revision);
    await waitFor('the first head to trigger', async () => (await runsOf()).length === 1, 10_000);
    assert.deepEqual(await runsOf(), [repo.first]);
    await new Promise((r) => setTimeout(r, 2500)); // two more polls, same head
    assert.deepEqual(await runsOf(), [repo.first]);
    const second = await repo.commit('second');
    await waitFor('the new head to trigger', async () => (await runsOf()).length === 2, 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await runsOf(), [second, repo.first]);
  });

  test('a cron schedule starts periodic runs whose jobs run', async (t) => {
    const p = await startPipeline(t, {
      schedules: [{ name: 'nightly-compose', cron: '* * * * * *' }],
      jobs: [
        job('compose', 'echo composing', {
          kind: 'compose',
          on: { kind: 'schedule', name: 'nightly-compose', state: 'available' },
        }),
      ],
    });
    const run = await waitFor(
      'a scheduled run',
      async () => ((await p.request('GET', '/api/v1/runs')).body.data as NodeJson[]).at(-1),
      5000,
    );
    assert.equal(run.kind, 'schedule');
    assert.equal(run.name, 'nightly-compose');
    assert.equal((await p.finished(run.id, 'compose')).result, 'pass');
  });
});

describe('runs by hand', () => {
  test('POST /api/v1/runs needs runs:write; bad bodies are refused naming the field; no revision = the remote head', async (t) => {
    const repo = await gitRepo();
    const p = await startPipeline(t, {
      repos: [{ name: 'bash', url: repo.dir, branches: ['main'] }],
      jobs: [job('j', 'echo {{ revision }}')],
    });
    // The harness is open on loopback; a server with tokens is checked through the CLI below.
    const bad = await p.request('POST', '/api/v1/runs', { repo: 'bash' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.message, 'branch: is required');
    const badRev = await p.request('POST', '/api/v1/runs', {
      repo: 'bash',
      branch: 'main',
      revision: 'HEAD; rm -rf /',
    });
    assert.equal(badRev.status, 400);
    assert.equal(badRev.body.message, 'revision: must be a commit hash (7 to 64 hex digits)');
    const noBranch = await p.request('POST', '/api/v1/runs', { repo: 'bash', branch: 'nope' });
    assert.equal(noBranch.status, 400);
    assert.match(noBranch.body.message, /has no branch "nope"/);
    const run = await p.startRun({ repo: 'bash', branch: 'main' });
    assert.equal(run.revision, repo.first);
    assert.equal(await p.log((await p.finished(run.id, 'j')).id), `${repo.first}\n`);
  });

  test('sluice run and sluice retry talk to the server with a token; a token without runs:write is refused', async (t) => {
    const tokens = { writer: 's3cret-writer', reader: 's3cret-reader' };
    const { SluiceService } = await import('../../service/sluice-service.js');
    const { testConfig, silentLogger } = await import('../support/test-config.js');
    const { freePort } = await import('../support/cli.js');
    const port = await freePort();
    const config = testConfig({
      server: { port },
      auth: {
        tokens: [
          { user: 'alice', sha256: hashToken(tokens.writer), scopes: ['runs:write'] },
          { user: 'bob', sha256: hashToken(tokens.reader), scopes: ['results:write'] },
        ],
      },
      pipeline: { jobs: [job('flaky', 'exit 1')] },
    });
    const service = await SluiceService.create({ config, log: silentLogger() });
    await service.start();
    t.after(() => service.stop());
    const env = (token: string) => cliEnv({ SLUICE_PORT: String(port), SLUICE_TOKEN: token });
    const refused = await runCli(['run', 'bash', 'main', 'abc1234'], { env: env(tokens.reader) });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refused by the server \(403\): user bob lacks the scope "runs:write"/);
    const ok = await runCli(['run', 'bash', 'main', 'abc1234', '--json'], { env: env(tokens.writer) });
    assert.equal(ok.code, 0, ok.stderr);
    const root = JSON.parse(ok.stdout) as NodeJson;
    assert.equal(root.data.author, 'alice');
    const failed = await waitFor('the job to fail', () =>
      service.ctx.pipeline.nodes
        .list({ runId: root.id, limit: 10 })
        .find((n) => n.job === 'flaky' && n.result === 'fail'),
    );
    const retried = await runCli(['retry', String(failed.id), '--json'], { env: env(tokens.writer) });
    assert.equal(retried.code, 0, retried.stderr);
    const again = JSON.parse(retried.stdout) as NodeJson;
    assert.deepEqual([again.retry_count, again.retry_of, again.name], [1, failed.id, 'flaky']);
    const usage = await runCli(['retry', 'x'], { env: env(tokens.writer) });
    assert.equal(usage.code, 2);
  });
});
