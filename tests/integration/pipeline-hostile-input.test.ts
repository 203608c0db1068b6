import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { newMessageId } from '../../schemas/message-id.js';
import { loadConfig } from '../../service/load-config.js';
import { ConfigError } from '../../errors/config-error.js';
import { renderTemplate } from '../../pipeline/template.js';
import { parseJobData } from '../../builders/job-script.js';
import { startPipeline } from '../support/pipeline-harness.js';
import { CLI, ROOT, tempDir } from '../support/paths.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Pushes and commands that used to wedge a run: a control character in a branch, a value that
 * cannot be put in a command, a value inside "…" in a command.
 */
const onCheckout = { kind: 'checkout', state: 'available' } as const;

describe('git.receive with a branch git cannot hold', () => {
  test('is dead-lettered at once with the reason, starts no run; real branch names still start runs', {
    timeout: 30_000,
  }, async (t) => {
    const p = await startPipeline(t, {
      jobs: [{ name: 'build', on: onCheckout, command: "printf '%s' {{ branch }}" }],
    });
    const bus = p.service.ctx.bus;
    // As a remote producer would send them (publishSerialized does not validate; the consumer does).
    const bad = ['rawhide\u0000', 'f41\nx', 'a\u007fb', 'a\tb', 'feature two', 'a..b', 'x~1', 'a\\nb'];
    const ids: string[] = [];
    for (const branch of bad) {
      const messageId = newMessageId();
      ids.push(messageId);
      await bus.publishSerialized(
        'git.receive',
        JSON.stringify({ repo: 'bash', branch, revision: 'abc1234' }),
        { messageId },
      );
    }
    // Fedora dist-git's shape (https://github.com/fedora-infra/fedmsg_meta_fedora_infrastructure scm: commit.branch).
    const distgitId = newMessageId();
    await bus.publishSerialized(
      'git.receive',
      JSON.stringify({
        commit: { repo: 'bash', namespace: 'rpms', branch: 'rawhide\u0000', rev: 'abc1234def' },
      }),
      { messageId: distgitId },
    );
    ids.push(distgitId);
    const dead = await waitFor('every bad push to be dead-lettered', async () => {
      const all = (await bus.listDeadLetters(1000)).filter((d) => ids.includes(d.messageId));
      return all.length === ids.length ? all : undefined;
    });
    for (const d of dead) {
      assert.match(d.reason, /branch/, `${JSON.stringify(d.body)}: ${d.reason}`);
      assert.equal(d.attempts, 1, 'a message its schema refuses is not retried');
    }
    // Names git allows, however odd, are real branches and start runs.
    const good = ['feature/x+y@z', 'release-1.0_rc', 'ветка', "it's-$(fine)", 'a]b{c}'];
    for (const branch of good)
      await bus.publish('git.receive', { repo: 'bash', branch, revision: 'abc1234' });
    const roots = await waitFor('the good pushes to start runs', async () => {
      const res = await p.request('GET', '/api/v1/runs?repo=bash');
      return res.body.data.length === good.length ? (res.body.data as Array<{ branch: string }>) : undefined;
    });
    assert.deepEqual(roots.map((r) => r.branch).sort(), [...good].sort());
  });

  test('POST /api/v1/runs refuses it with 400 naming the field; nothing is stored', async (t) => {
    const p = await startPipeline(t, { jobs: [] });
    const res = await p.request('POST', '/api/v1/runs', {
      repo: 'bash',
      branch: 'main\u0000x',
      revision: 'abc1234',
    });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(JSON.stringify(res.body), /branch: holds the control character U\+0000/);
    assert.equal(p.service.ctx.pipeline.nodes.list({ rootsOnly: true, limit: 10 }).length, 0);
  });
});

describe('an error while starting a job', () => {
  test('ends that node done/incomplete with the reason; the other jobs and the run go on', {
    timeout: 30_000,
  }, async (t) => {
    const p = await startPipeline(t, {
      checkout: { holdoffSeconds: 1 },
      jobs: [
        // A commit message may hold anything; a NUL cannot go into a shell command.
        { name: 'says-message', on: onCheckout, command: "printf '%s' {{ run.data.message }}" },
        // 20 copies of a 60 000-character message: over the 1 MiB a queued job may carry.
        {
          name: 'too-big',
          on: onCheckout,
          command: Array.from({ length: 20 }, () => 'printf %s {{ run.data.message }}').join('\n'),
        },
        { name: 'fine', on: onCheckout, command: "printf 'built %s\\n' {{ branch }}" },
      ],
    });
    const message = `fix\u0000${'x'.repeat(60_000)}`;
    await p.service.ctx.bus.publish('git.receive', {
      repo: 'bash',
      branch: 'main',
      revision: 'abc1234',
      message,
    });
    const root = await waitFor(
      'the run',
      () => p.service.ctx.pipeline.nodes.list({ rootsOnly: true, limit: 1 })[0],
    );
    const says = await p.finished(root.id, 'says-message');
    assert.deepEqual([says.state, says.result], ['done', 'incomplete']);
    assert.equal(
      says.data.reason,
      'the job cannot start: {{ run.data.message }} holds a NUL byte, which no shell command can hold',
    );

    const big = await p.finished(root.id, 'too-big');
    assert.deepEqual([big.state, big.result], ['done', 'incomplete']);
    assert.match(String(big.data.reason), /^the job cannot start: .*command/);

    const fine = await p.finished(root.id, 'fine');
    assert.equal(fine.result, 'pass');
    assert.equal(await p.log(fine.id), 'built main\n');
    // Nothing is left half-way: the whole run ends.
    await p.waitRun(root.id, (ns) => ns.every((n) => n.state === 'done'), 15_000);
    assert.deepEqual(await p.service.ctx.bus.listDeadLetters(100), [], 'no event was dead-lettered');
  });
});

describe('values inside quotes in a command', () => {
  test('"b={{ branch }}" gives the job the branch, literally, and runs nothing from it', {
    timeout: 30_000,
  }, async (t) => {
    const dir = tempDir();
    const p = await startPipeline(t, {
      jobs: [
        {
          name: 'quoted',
          on: onCheckout,
          command:
            'printf \'%s|\' "b={{ branch }}" \'s={{ branch }}\' u={{ branch }}\nprintf "data=%s\\n" "{{ run_id }}-x" >> "$SLUICE_DATA"',
        },
      ],
    });
    const branch = `x"$(touch${'${IFS}'}${dir}/pwned)'\`id\``;
    const root = await p.startRun({ repo: 'r', branch, revision: 'abc1234' });
    const node = await p.finished(root.id, 'quoted');
    assert.equal(node.result, 'pass', await p.log(node.id));
    assert.equal(await p.log(node.id), `b=${branch}|s=${branch}|u=${branch}|`);
    assert.equal(node.data.data, `${root.id}-x`, 'no quotes in the job data');
    await assert.rejects(
      import('node:fs/promises').then((fs) => fs.access(path.join(dir, 'pwned'))),
      'nothing from the branch ran',
    );
  });

  test('the demo build prints the branch as it is', { timeout: 60_000 }, async (t) => {
    const p = await startPipeline(t, { checkout: { holdoffSeconds: 1 } });
    const branch = `feature/%s-$(id)-'q'-"d"-\`x\``;
    const root = await p.startRun({ repo: 'demo', branch, revision: 'abc1234' });
    const build = await p.finished(root.id, 'build');
    assert.equal(build.result, 'pass');
    assert.match(
      await p.log(build.id),
      new RegExp(`^building demo for branch ${escapeRegExp(branch)} revision abc1234$`, 'm'),
    );
  });
});

describe('sluice config check', () => {
  test('names the job and the line of a value where no quoting is safe', async () => {
    const file = path.join(tempDir(), 'pipeline.yaml');
    writeFileSync(
      file,
      [
        'pipeline:',
        '  jobs:',
        '    - name: build',
        '      on: { kind: checkout, state: available }',
        '      command: |',
        '        printf "%s\\n" "b={{ branch }}"',
        '        # building {{ branch }}',
        '        cat <<EOF',
        '        {{ revision }}',
        '        EOF',
        '        echo `echo {{ repo }}`',
      ].join('\n'),
    );
    const problems = (() => {
      try {
        loadConfig({ file, env: {} });
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
      return [];
    })();
    assert.deepEqual(problems, [
      'pipeline.jobs[0].command: job "build", line 2: {{ branch }} is inside a comment, where a newline in the value would end the comment and run the rest',
      `pipeline.jobs[0].command: job "build", line 4: {{ revision }} is inside a here-document, where a line of the value could end it; pass it as an argument (printf '%s\\n' {{ … }}) instead`,
      'pipeline.jobs[0].command: job "build", line 6: {{ repo }} is inside `…` (backquotes), whose backslash rules no quoting survives; use "$(…)"',
    ]);
    // What an operator sees.
    const cli = await promisify(execFile)(process.execPath, [CLI, 'config', 'check', file]).catch(
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal((cli as { code: number }).code, 1);
    assert.match(
      (cli as { stderr: string }).stderr,
      /job "build", line 2: \{\{ branch \}\} is inside a comment/,
    );
  });

  test('the shipped Fedora example passes, and its stages write the ids their subjects name', async () => {
    const config = loadConfig({ file: path.join(ROOT, 'config/examples/fedora-ci.yaml'), env: {} });
    // Each stage's line that writes its id to $SLUICE_DATA, run by a real shell.
    for (const [name, key] of [
      ['compose', 'compose'],
      ['image', 'image'],
    ] as const) {
      const job = config.pipeline.jobs.find((j) => j.name === name)!;
      const lookup = (v: string) =>
        v === 'run_id' ? '41' : v === 'known_good' || v === 'parent.artifact_urls' ? ['a'] : 'x';
      const line = renderTemplate(job.command, lookup, 'shell')
        .split('\n')
        .find((l) => l.includes(`${key}=`) && l.includes('$SLUICE_DATA'));
      assert.ok(line, `${name} writes ${key}=`);
      const data = path.join(tempDir(), 'data');
      await promisify(execFile)('/bin/sh', ['-c', line], { env: { ...process.env, SLUICE_DATA: data } });
      assert.equal(
        parseJobData(readFileSync(data, 'utf8'))[key],
        renderTemplate(job.subject.item, lookup, 'plain'),
        `${name}: the data and the subject agree`,
      );
    }
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
