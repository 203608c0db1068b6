import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import type { RawConfig } from '../../config/config-types.js';
import { freePort } from '../support/cli.js';
import { startPipeline } from '../support/pipeline-harness.js';
import { requireSshd, sshServersForThisFile, TEST_USER, type SshFixture } from '../support/sshd.js';
import { waitFor } from '../support/wait-for.js';

const run = promisify(execFile);
const ssh = sshServersForThisFile(2);

type Job = NonNullable<NonNullable<RawConfig['pipeline']>['jobs']>[number];

function fixture(t: TestContext): SshFixture | undefined {
  if (!requireSshd(t)) return undefined;
  const f = ssh();
  assert.ok(f, 'the sshd servers started');
  return f;
}

function job(name: string, command: string, over: Partial<Job> = {}): Job {
  return {
    name,
    kind: 'test',
    on: { kind: 'checkout', state: 'available' },
    command,
    timeoutSeconds: 60,
    ...over,
  } as Job;
}

/** Processes of the test user whose command line contains `marker`, as the host sees them. */
async function processesMatching(marker: string): Promise<string[]> {
  try {
    const { stdout } = await run('pgrep', ['-u', TEST_USER, '-f', marker]);
    return stdout.split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('jobs on SSH builders (real OpenSSH)', () => {
  test('success: the command runs as the builder user in a working directory that is removed afterwards; its log is served', async (t) => {
    const f = fixture(t);
    if (!f) return;
    const p = await startPipeline(t, {
      builders: [f.servers[0]!.builder()],
      jobs: [job('hello', 'echo "hello from $(whoami)"; pwd; echo "$SLUICE_WORKDIR"')],
    });
    const root = await p.startRun({ repo: 'r', branch: 'main', revision: 'abc1234' });
    const node = await p.finished(root.id, 'hello');
    assert.equal(node.result, 'pass', JSON.stringify(node.data));
    assert.equal(node.data.builder, 'b1');
    const log = await p.log(node.id);
    assert.match(log, new RegExp(`^hello from ${TEST_USER}\\n`));
    const workdir = String(node.data.workdir);
    assert.match(workdir, /^\/tmp\/sluice-job\./);
    assert.ok(log.includes(workdir));
    assert.ok(!existsSync(workdir), 'the working directory is removed');
  });

  test('failure: a non-zero exit code fails the job and says which', async (t) => {
    const f = fixture(t);
    if (!f) return;
    const p = await startPipeline(t, {
      builders: [f.servers[0]!.builder()],
      jobs: [job('fails', 'echo about to fail; exit 3')],
    });
    const root = await p.startRun({ repo: 'r', branch: 'main', revision: 'abc1234' });
    const node = await p.finished(root.id, 'fails');
    assert.equal(node.result, 'fail');
    assert.equal(node.data.exit_code, 3);
    assert.equal(node.data.reason, 'the command exited with 3');
    assert.equal(node.state, 'done');
  });

  test('timeout: the whole remote process group is killed, checked on the host', async (t) => {
    const f = fixture(t);
    if (!f) return;
    const p = await startPipeline(t, {
      builders: [f.servers[1]!.builder()],
      // A background child and a trap that ignores TERM: closing the channel would leave both running.
      jobs: [job('slow', "trap '' TERM; sleep 3011 & sleep 3012; echo never", { timeoutSeconds: 2 })],
      runner: { killGraceMs: 500 },
    });
    const root = await p.startRun({ repo: 'r', branch: 'main', revision: 'abc1234' });
    const running = await p.waitRun(root.id, (ns) =>
      ns.some((n) => n.name === 'slow' && typeof n.data.pgid === 'number'),
    );
    const pgid = running.find((n) => n.name === 'slow')!.data.pgid as number;
    assert.ok(existsSync(`/proc/${pgid}`), 'the job runs');
    assert.equal((await processesMatching('^sleep 301[12]$')).length, 2);
    const node = await p.finished(root.id, 'slow');
    assert.equal(node.result, 'incomplete');
    assert.match(String(node.data.reason), /^timed out after 2 s; its process group was killed$/);
    assert.deepEqual(
      await processesMatching('^sleep 301[12]$'),
      [],
      'no process of the job is left on the builder',
    );
    assert.ok(!existsSync(`/proc/${pgid}`));
    assert.ok(!(await p.log(node.id)).includes('never'));
  });

  test('a changed host key is refused with a clear error, before any login', async (t) => {
    const f = fixture(t);
    if (!f) return;
    const p = await startPipeline(t, {
      builders: [f.servers[0]!.builder({ hostKey: f.strangerHostKey })],
      jobs: [job('j', 'echo should not run')],
    });
    const root = await p.startRun({ repo: 'r', branch: 'main', revision: 'abc1234' });
    const node = await p.finished(root.id, 'j');
    assert.equal(node.result, 'incomplete');
    assert.match(
      String(node.data.reason),
      /builder b1 \(sluiceci@127\.0\.0\.1:\d+\) presented the host key SHA256:\S+, not the pinned ssh-ed25519 key SHA256:\S+: connection refused/,
    );
    assert.equal(await p.log(node.id), '');
  });

  test('one builder down: the job runs on the other; with none left it ends incomplete with every reason', async (t) => {
    const f = fixture(t);
    if (!f) return;
    const deadPort = await freePort();
    const down = f.servers[0]!.builder({ name: 'down', port: deadPort, connectTimeoutMs: 1000 });
    const p = await startPipeline(t, {
      builders: [down, f.servers[1]!.builder()],
      jobs: [job('j', 'echo ran')],
    });
    const root = await p.startRun({ repo: 'r', branch: 'main', revision: 'abc1234' });
    const node = await p.finished(root.id, 'j');
    assert.equal(node.result, 'pass', JSON.stringify(node.data));
    assert.equal(node.data.builder, 'b2');

    const only = await startPipeline(t, { builders: [down], jobs: [job('j', 'echo ran')] });
    const root2 = await only.startRun({ repo: 'r', branch: 'main', revision: 'abc1234' });
    const lost = await only.finished(root2.id, 'j');
    assert.equal(lost.result, 'incomplete');
    assert.match(
      String(lost.data.reason),
      /builder down \(sluiceci@127\.0\.0\.1:\d+\) cannot be reached: .*ECONNREFUSED/,
    );
  });

  test('artifacts are fetched over SFTP, listed on the node and served over HTTP', async (t) => {
    const f = fixture(t);
    if (!f) return;
    const p = await startPipeline(t, {
      builders: [f.servers[0]!.builder()],
      jobs: [
        job(
          'arts',
          'mkdir -p out/deep && echo first > out/a.txt && printf "\\001\\002" > out/deep/b.bin && echo skip > other.txt',
          { artifacts: ['out/**'] },
        ),
      ],
    });
    const root = await p.startRun({ repo: 'r', branch: 'main', revision: 'abc1234' });
    const node = await p.finished(root.id, 'arts');
    assert.equal(node.result, 'pass', JSON.stringify(node.data));
    assert.deepEqual(Object.keys(node.artifacts).sort(), ['out/a.txt', 'out/deep/b.bin']);
    assert.equal(node.artifacts['out/a.txt']!.size, 6);
    const res = await fetch(node.artifacts['out/a.txt']!.url);
    assert.equal(await res.text(), 'first\n');
    const bin = Buffer.from(await (await fetch(node.artifacts['out/deep/b.bin']!.url)).arrayBuffer());
    assert.deepEqual([...bin], [1, 2]);
    assert.equal((await p.request('GET', `/api/v1/nodes/${node.id}/artifacts/other.txt`)).status, 404);
  });

  test('JUnit XML and STI results become one result per test with the job subject', async (t) => {
    const f = fixture(t);
    if (!f) return;
    const junit = `cat > junit.xml <<'XML'
<?xml version="1.0"?>
<testsuites><testsuite name="s">
<testcase classname="bash.builtins" name="echo" time="0.5"/>
<testcase classname="bash.builtins" name="printf"><failure message="wrong output">expected a &amp; b</failure></testcase>
<testcase classname="bash.builtins" name="ulimit"><skipped/></testcase>
</testsuite></testsuites>
XML`;
    const sti = `mkdir -p artifacts && printf 'results:\\n- {test: /tests/smoke, result: pass}\\n- {test: /tests/upgrade, result: error, logs: [upgrade.log]}\\n' > artifacts/results.yml`;
    const subject = { type: 'koji_build', item: 'bash-5.2.26-3.fc41' };
    const p = await startPipeline(t, {
      builders: [f.servers[0]!.builder()],
      jobs: [
        job('junit', junit, { results: { parser: 'junit' }, subject, ci: { type: 'unit' } }),
        job('sti', sti, { results: { parser: 'sti' }, subject, ci: { type: 'tier1' } }),
      ],
    });
    const root = await p.startRun({ repo: 'bash', branch: 'rawhide', revision: 'abc1234' });
    const j = await p.finished(root.id, 'junit');
    const s = await p.finished(root.id, 'sti');
    assert.equal(j.result, 'fail');
    assert.match(String(j.data.reason), /1 of 3 tests did not pass: bash\.builtins\.printf/);
    assert.equal(s.result, 'fail');
    const results = await waitFor('the five test results', async () => {
      const r = await p.results({
        item: subject.item,
        type: subject.type,
        'testcases:like': 'sluice.unit.bash*,sluice.tier1./*',
      });
      return r.length === 5 ? r : undefined;
    });
    const byName = Object.fromEntries(results.map((r) => [r.testcase.name, r]));
    assert.equal(byName['sluice.unit.bash.builtins.echo']!.outcome, 'PASSED');
    assert.equal(byName['sluice.unit.bash.builtins.printf']!.outcome, 'FAILED');
    assert.equal(byName['sluice.unit.bash.builtins.printf']!.note, 'wrong output: expected a & b');
    assert.equal(byName['sluice.unit.bash.builtins.ulimit']!.outcome, 'INFO');
    assert.equal(byName['sluice.tier1./tests/smoke']!.outcome, 'PASSED');
    assert.equal(byName['sluice.tier1./tests/upgrade']!.outcome, 'ERROR');
    assert.deepEqual(byName['sluice.unit.bash.builtins.echo']!.data.node_id, [String(j.id)]);
    // The stage itself is reported as a Fedora CI message, which becomes the stage's result.
    const stage = await waitFor(
      'the stage result',
      async () =>
        (await p.results({ item: subject.item, testcases: 'sluice.unit.functional', outcome: 'FAILED' }))[0],
    );
    assert.equal(stage.ref_url, j.href);
  });

  test('a hostile branch name is one literal word on the builder: it injects nothing', async (t) => {
    const f = fixture(t);
    if (!f) return;
    const target = `/tmp/sluice-pwned-${process.pid}-${Date.now()}`;
    // Hostile, yet a name git allows (no space in a ref, git-check-ref-format(1)): ${IFS} for spaces.
    const branch = `main';touch\${IFS}${target};echo\${IFS}'$(touch\${IFS}${target})\`touch\${IFS}${target}\``;
    const p = await startPipeline(t, {
      builders: [f.servers[0]!.builder()],
      jobs: [job('echo-branch', 'printf "%s\\n" {{ branch }} "b={{ branch }}" \'s={{ branch }}\'')],
    });
    const root = await p.startRun({ repo: 'r', branch, revision: 'abc1234' });
    const node = await p.finished(root.id, 'echo-branch');
    assert.equal(node.result, 'pass');
    assert.equal(
      await p.log(node.id),
      `${branch}\nb=${branch}\ns=${branch}\n`,
      'unquoted, in "…" and in \'…\' alike',
    );
    assert.ok(!existsSync(target), 'nothing was created');
  });

  test('the log is readable over HTTP while the job runs, following it to its end', async (t) => {
    const f = fixture(t);
    if (!f) return;
    const p = await startPipeline(t, {
      builders: [f.servers[0]!.builder()],
      jobs: [job('chatty', 'for i in 1 2 3 4 5 6; do echo line$i; sleep 0.4; done')],
      runner: { logFlushMs: 50 },
    });
    const root = await p.startRun({ repo: 'r', branch: 'main', revision: 'abc1234' });
    const running = await p.waitRun(root.id, (ns) =>
      ns.some((n) => n.name === 'chatty' && n.data.builder !== undefined),
    );
    const id = running.find((n) => n.name === 'chatty')!.id;
    const res = await fetch(`${p.base}/api/v1/nodes/${id}/log?follow=1`);
    const reader = res.body!.getReader();
    let text = '';
    let firstWhileRunning: boolean | undefined;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (firstWhileRunning === undefined) firstWhileRunning = (await p.node(id)).state === 'running';
      text += Buffer.from(value).toString();
    }
    assert.equal(firstWhileRunning, true, 'output came while the job was still running');
    assert.equal(text, 'line1\nline2\nline3\nline4\nline5\nline6\n');
    assert.equal((await p.node(id)).result, 'pass');
  });

  test('supersede: a newer revision cancels the older run and kills its job; retry makes a new node', async (t) => {
    const f = fixture(t);
    if (!f) return;
    const p = await startPipeline(t, {
      builders: [f.servers[0]!.builder(), f.servers[1]!.builder()],
      repos: [{ name: 'bash', branches: ['rawhide'], supersede: true }],
      jobs: [
        job('build', 'case {{ revision }} in aaaa*) sleep 3021;; *) echo built;; esac', { kind: 'build' }),
      ],
    });
    const older = await p.startRun({ repo: 'bash', branch: 'rawhide', revision: 'aaaaaaa' });
    await p.waitRun(older.id, (ns) => ns.some((n) => n.name === 'build' && n.data.pgid !== undefined));
    assert.equal((await processesMatching('^sleep 3021$')).length, 1);
    const newer = await p.startRun({ repo: 'bash', branch: 'rawhide', revision: 'bbbbbbb' });
    const old = await p.finished(older.id, 'build');
    assert.equal(old.result, 'incomplete');
    assert.equal(old.data.reason, `superseded by run ${newer.id} (revision bbbbbbb)`);
    await waitFor(
      'the superseded job to be killed on the builder',
      async () => (await processesMatching('^sleep 3021$')).length === 0,
      10_000,
    );
    const fresh = await p.finished(newer.id, 'build');
    assert.equal(fresh.result, 'pass');

    const again = await p.request('POST', `/api/v1/nodes/${old.id}/retry`);
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal(again.body.retry_count, 1);
    assert.equal(again.body.retry_of, old.id);
    assert.equal(again.body.parent_id, old.parent_id);
    assert.deepEqual(await p.node(old.id), old, 'the old node stays as it was');
    const busy = await p.request('POST', `/api/v1/nodes/${older.id}/retry`);
    assert.equal(busy.status, 400);
    assert.match(busy.body.message, /only jobs can be re-run/);
  });
});
