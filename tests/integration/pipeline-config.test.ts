import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { BusMessage } from '../../bus/bus.js';
import type { RawConfig } from '../../config/config-types.js';
import { loadConfig } from '../../service/load-config.js';
import type { JobSettings } from '../../config/pipeline-types.js';
import { ConfigError } from '../../errors/config-error.js';
import { globToRegExp } from '../../pipeline/glob.js';
import { jobsFiredBy, type NodeEvent } from '../../pipeline/job-trigger.js';
import { commandTemplateProblems, renderTemplate } from '../../pipeline/template.js';
import { SluiceService } from '../../service/sluice-service.js';
import { ROOT, tempDir } from '../support/paths.js';
import { silentLogger, testConfig } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

function configProblems(yaml: string): { file: string; problems: string[] } {
  const file = path.join(tempDir(), 'pipeline.yaml');
  writeFileSync(file, yaml);
  try {
    loadConfig({ file, env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return { file, problems: err.problems };
    throw err;
  }
  return { file, problems: [] };
}

describe('pipeline YAML', () => {
  test('errors name the file and the path of each bad setting', () => {
    const { file, problems } = configProblems(
      `pipeline:\n  jobs:\n    - {name: build, on: {kind: checkout}, command: make, timeoutSeconds: 0}\n`,
    );
    assert.deepEqual(problems, ['pipeline.jobs[0].timeoutSeconds: must be >= 1']);
    assert.throws(
      () => loadConfig({ file, env: {} }),
      (err: Error) => err.message.startsWith(`invalid configuration in ${file}:`),
    );
    const semantic = configProblems(`
pipeline:
  builders:
    - name: b1
      type: ssh
      host: 127.0.0.1
      labels: [x86_64]
  jobs:
    - name: build
      kind: build
      on: {kind: checkout}
      runsOn: [aarch64]
      command: "make {{ branch }} {{ nope }}"
    - name: build
      on: {kind: compose}
      command: "echo {{ matrix.arch }}"
`).problems;
    for (const expected of [
      'pipeline.builders[0].user: is required for an ssh builder',
      'pipeline.builders[0].hostKey: is required for an ssh builder',
      'pipeline.jobs[1].name: "build" is used by an earlier job',
      'pipeline.jobs[0].command: {{ nope }} is not a value this template can use',
      'pipeline.jobs[0].runsOn: no builder has all of the labels aarch64',
      'pipeline.jobs[1].on.kind: no node of kind "compose" is ever created (there are: checkout, image, build, test)',
      'pipeline.jobs[1].command: {{ matrix.arch }} is not a value this template can use',
    ]) {
      assert.ok(semantic.includes(expected), `expected "${expected}" in:\n${semantic.join('\n')}`);
    }
  });

  test('a cron expression that does not parse is refused where it is', () => {
    const { problems } = configProblems(`pipeline:\n  schedules: [{name: nightly, cron: "every night"}]\n`);
    assert.deepEqual(problems, ['pipeline.schedules[0].cron: "every night" is not a cron expression']);
  });

  test('a compose on a release whose product version cannot be guessed must name it', () => {
    const compose = (knownGood: string) =>
      `pipeline:\n  jobs:\n    - {name: compose, kind: compose, on: {kind: checkout}, command: "echo {{ known_good }}", knownGood: ${knownGood}}\n`;
    assert.deepEqual(configProblems(compose('{release: mydistro1}')).problems, [
      'pipeline.jobs[0].knownGood.productVersion: is required: no product version can be guessed from release "mydistro1"',
    ]);
    assert.deepEqual(
      configProblems(compose('{release: mydistro1, productVersion: mydistro-1}')).problems,
      [],
    );
  });

  test('the embedded default is the demo pipeline on the local runner', () => {
    const config = loadConfig({ env: {} });
    assert.deepEqual(
      config.pipeline.builders.map((b) => [b.name, b.type]),
      [['local', 'local']],
    );
    assert.deepEqual(
      config.pipeline.jobs.map((j) => j.name),
      ['build', 'unit', 'functional', 'compose', 'integration'],
    );
  });
});

describe('templates', () => {
  test('substituted values are shell-quoted: a hostile branch name stays one literal word', () => {
    const branch = `main'; touch /tmp/pwned; echo '$(id)\`id\``;
    const out = renderTemplate(
      'git checkout {{ branch }} && echo {{ list }}',
      (n) => (n === 'branch' ? branch : ['a b', "c'd"]),
      'shell',
    );
    assert.equal(
      out,
      `git checkout 'main'\\''; touch /tmp/pwned; echo '\\''$(id)\`id\`' && echo 'a b' 'c'\\''d'`,
    );
  });

  test('a value is escaped for the quoting it stands in; where none is safe, the place is refused', () => {
    const v = `a'b"c$(id)\`x\`\\d`;
    const render = (t: string) => renderTemplate(t, () => v, 'shell');
    assert.equal(render('echo b={{ v }}'), `echo b='a'\\''b"c$(id)\`x\`\\d'`);
    assert.equal(render("echo 'b={{ v }}'"), `echo 'b=a'\\''b"c$(id)\`x\`\\d'`);
    assert.equal(render('echo "b={{ v }}"'), `echo "b=a'b\\"c\\$(id)\\\`x\\\`\\\\d"`);
    assert.equal(
      render('x="$(printf %s {{ v }})"'),
      `x="$(printf %s 'a'\\''b"c$(id)\`x\`\\d')"`,
      'unquoted again inside $(…)',
    );
    assert.equal(
      render("cat <<'EOF'\n$x\nEOF\necho {{ v }}"),
      `cat <<'EOF'\n$x\nEOF\necho 'a'\\''b"c$(id)\`x\`\\d'`,
      'after a here-document',
    );
    for (const [template, why] of [
      ['echo hi # {{ v }}', /line 1: \{\{ v \}\} is inside a comment/],
      ['cat <<EOF\n{{ v }}\nEOF', /line 2: \{\{ v \}\} is inside a here-document/],
      ['echo `echo {{ v }}`', /inside `…` \(backquotes\)/],
      ['echo ${x:-{{ v }}}', /inside \$\{…\}/],
      ['echo $(( {{ v }} + 1 ))', /inside \$\(\(…\)\)/],
      ['echo ${{ v }}', /right after a \$/],
      ['echo \\{{ v }}', /right after a backslash/],
      ["echo $'\\n' {{ v }}", /after a \$'…' string/],
      ['x=$(case a in a) echo;; esac; echo {{ v }})', /after a case statement inside \$\(…\)/],
    ] as const) {
      assert.throws(() => render(template), why, template);
      assert.match(commandTemplateProblems(template).join('\n'), why, template);
    }
  });

  test('a value with no value is an error naming it, not an empty string', () => {
    assert.throws(
      () => renderTemplate('x {{ parent.data.nvr }}', () => undefined, 'shell'),
      /\{\{ parent.data.nvr \}\} has no value here/,
    );
  });

  test('globs: ** spans folders for paths, * stays within one', () => {
    assert.ok(globToRegExp('src/**', true).test('src/a/b.c'));
    assert.ok(globToRegExp('**/*.xml', true).test('junit.xml'));
    assert.ok(globToRegExp('**/*.xml', true).test('a/b/junit.xml'));
    assert.ok(!globToRegExp('*.spec', true).test('a/b.spec'));
    assert.ok(globToRegExp('f4*', false).test('f41'));
  });
});

describe('jobs fire on transitions', () => {
  const job = (over: Partial<JobSettings> = {}): JobSettings => ({
    name: 'build',
    kind: 'build',
    on: { kind: 'checkout', state: 'available' },
    repos: [],
    branches: [],
    paths: [],
    runsOn: [],
    command: 'true',
    env: {},
    timeoutSeconds: 60,
    holdoffSeconds: 0,
    retries: 0,
    artifacts: [],
    results: { parser: 'exit-code', files: [] },
    matrix: {},
    subject: { type: 'koji_build', item: '' },
    ci: { namespace: 'sluice', type: null, category: 'functional' },
    knownGood: null,
    ...over,
  });
  const event = (over: Partial<NodeEvent> = {}): NodeEvent => ({
    kind: 'checkout',
    name: 'checkout',
    job: null,
    state: 'available',
    result: 'pass',
    previousState: 'running',
    repo: 'bash',
    branch: 'rawhide',
    changedFiles: null,
    ...over,
  });

  test('entering the state fires; an update that stays in it does not', () => {
    assert.equal(jobsFiredBy(event(), [job()]).length, 1);
    assert.equal(jobsFiredBy(event({ previousState: 'available' }), [job()]).length, 0);
    assert.equal(jobsFiredBy(event({ state: 'running', previousState: null }), [job()]).length, 0);
  });

  test('result, name, repo, branch and paths filters', () => {
    const tests = job({
      name: 'tests',
      on: { kind: 'build', name: 'build', state: 'available', result: 'pass' },
    });
    assert.equal(
      jobsFiredBy(event({ kind: 'build', name: 'build[arch=x86_64]', job: 'build', result: 'fail' }), [tests])
        .length,
      0,
    );
    assert.equal(
      jobsFiredBy(event({ kind: 'build', name: 'build[arch=x86_64]', job: 'build' }), [tests]).length,
      1,
      'a matrix node matches its job',
    );
    assert.equal(jobsFiredBy(event(), [job({ repos: ['kernel*'] })]).length, 0);
    assert.equal(jobsFiredBy(event(), [job({ branches: ['f4*', 'rawhide'] })]).length, 1);
    const docs = job({ paths: ['docs/**'] });
    assert.equal(jobsFiredBy(event({ changedFiles: ['bash.spec'] }), [docs]).length, 0);
    assert.equal(jobsFiredBy(event({ changedFiles: ['docs/x/y.md'] }), [docs]).length, 1);
    assert.equal(
      jobsFiredBy(event({ changedFiles: null }), [docs]).length,
      1,
      'unknown changes run everything',
    );
  });
});

async function startService(t: TestContext, raw: RawConfig) {
  const config = testConfig({
    ...raw,
    pipeline: {
      runner: { enabled: false },
      builders: [{ name: 'local', type: 'local', labels: ['x86_64', 'aarch64'] }],
      ...raw.pipeline,
    },
  });
  const service = await SluiceService.create({ config, log: silentLogger(), http: false });
  await service.start();
  const seen: BusMessage[] = [];
  const sub = await service.ctx.bus.subscribe(['pipeline.job.#'], (m) => seen.push(m));
  t.after(async () => {
    await sub.close();
    await service.stop();
  });
  return { service, seen };
}

describe('event-driven jobs', () => {
  test('a push starts its jobs through the bus: one per matrix value, labels and values rendered, once', async (t) => {
    const { service, seen } = await startService(t, {
      pipeline: {
        jobs: [
          {
            name: 'build',
            kind: 'build',
            on: { kind: 'checkout', state: 'available' },
            matrix: { arch: ['x86_64', 'aarch64'] },
            runsOn: ['{{ matrix.arch }}'],
            command: 'build {{ repo }} {{ branch }} {{ matrix.arch }}',
            paths: ['*.spec'],
            env: { MOCK_CONFIG: 'fedora-rawhide' },
          },
          {
            name: 'docs',
            kind: 'test',
            on: { kind: 'checkout', state: 'available' },
            command: 'docs',
            paths: ['docs/**'],
          },
        ],
      },
    });
    // A hostile name git allows (no space or ~ in a ref, see git-check-ref-format(1)).
    await service.ctx.bus.publish('git.receive', {
      repo: 'bash',
      branch: "x';rm${IFS}-rf${IFS}$HOME;'",
      revision: 'abc1234',
      changed_files: ['bash.spec'],
    });
    const queued = await waitFor('two jobs queued', () => {
      const q = seen.filter((m) => m.topic === 'pipeline.job.queued');
      return q.length === 2
        ? q.map(
            (m) =>
              m.body as { command: string; runs_on: string[]; env: Record<string, string>; node_id: number },
          )
        : undefined;
    });
    assert.deepEqual(
      queued.map((q) => q.runs_on),
      [['x86_64'], ['aarch64']],
    );
    assert.equal(queued[0]!.command, `build 'bash' 'x'\\'';rm\${IFS}-rf\${IFS}$HOME;'\\''' 'x86_64'`);
    assert.deepEqual(queued[0]!.env, { MOCK_CONFIG: 'fedora-rawhide' });
    const nodes = queued.map((q) => service.ctx.pipeline.nodes.require(q.node_id));
    assert.deepEqual(
      nodes.map((n) => [n.name, n.kind, n.state]),
      [
        ['build[arch=x86_64]', 'build', 'running'],
        ['build[arch=aarch64]', 'build', 'running'],
      ],
    );
    // An update of the already-available checkout starts nothing again.
    const root = nodes[0]!.parentId!;
    service.ctx.pipeline.transact(() =>
      service.ctx.pipeline.nodes.update(root, { data: { note: 'touched' } }),
    );
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(
      seen.filter((m) => m.topic === 'pipeline.job.queued').length,
      2,
      'no job fired twice, and docs/** did not match',
    );
  });
});

test('the Fedora CI example chains its stages: build → functional → compose → integration → image → smoke', () => {
  const config = loadConfig({ file: path.join(ROOT, 'config/examples/fedora-ci.yaml'), env: {} });
  const jobs = config.pipeline.jobs;
  const chain: string[] = [];
  let node: { kind: string; name: string; job: string | null } = {
    kind: 'checkout',
    name: 'checkout',
    job: null,
  };
  for (;;) {
    const next = jobsFiredBy(
      {
        ...node,
        state: 'available',
        result: 'pass',
        previousState: 'running',
        repo: 'bash',
        branch: 'rawhide',
        changedFiles: null,
      },
      jobs,
    );
    if (next.length === 0) break;
    chain.push(...next.map((j) => j.name));
    node = { kind: next[0]!.kind, name: next[0]!.name, job: next[0]!.name };
  }
  assert.deepEqual(chain, ['build', 'functional', 'compose', 'integration', 'image', 'image-smoke']);
  assert.ok(
    jobs
      .find((j) => j.name === 'build')!
      .command.includes('mock --root fedora-rawhide-{{ matrix.arch }} --rebuild'),
  );
  assert.deepEqual(
    jobs.find((j) => j.name === 'compose')!.knownGood,
    { release: 'fc42', decisionContext: 'bodhi_update_push_stable', productVersion: 'fedora-42' },
    'the product version guessed from the release',
  );
});
