import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { DEMO_JOBS } from '../../config/demo-pipeline.js';
import { MessageValidationError } from '../../errors/message-validation-error.js';
import { BRANCH_NAME_PATTERN, branchNameProblem } from '../../pipeline/git-ref.js';
import {
  commandTemplateProblems,
  renderTemplate,
  TemplateError,
  type TemplateValue,
} from '../../pipeline/template.js';
import { jobScript, START_MARKER } from '../../builders/job-script.js';
import { LocalBuilder } from '../../builders/local-builder.js';
import { BUILTIN_SCHEMA_DIR, SchemaRegistry } from '../../schemas/schema-registry.js';
import { ROOT, tempDir } from '../support/paths.js';

/**
 * Generated values and commands against real shells: every value in every quoting context
 * reaches the job's shell as exactly its text, or config check refuses the place. The job's
 * shell is the local runner's (/bin/sh through the job script: dash on Debian) and bash in
 * POSIX mode (Fedora's /bin/sh). FUZZ_SEED replays a run; SLUICE_FUZZ_QUOTING_RUNS scales it.
 */
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const scale = Number(process.env.SLUICE_FUZZ_QUOTING_RUNS ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * scale));

const BASH = '/bin/bash';
const work = tempDir('sluice-quoting-');
const sentinel = path.join(work, 'pwned');
const local = new LocalBuilder('local', ['local'], 1, work);

/** The job's shell through the local runner: its output, without the job script's start line. */
async function viaLocalRunner(command: string): Promise<string> {
  const chunks: Buffer[] = [];
  const { exit } = await local.exec(jobScript(command, {}, work), (c) => chunks.push(c));
  await withTimeout(exit, 10_000, command);
  const out = Buffer.concat(chunks).toString('utf8');
  assert.ok(out.startsWith(START_MARKER), `the job script started: ${JSON.stringify(out.slice(0, 200))}`);
  return out.slice(out.indexOf('\n') + 1);
}

async function viaBash(command: string): Promise<string> {
  const child = spawn(BASH, ['--posix', '-c', command], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.on('data', (c: Buffer) => chunks.push(c));
  await withTimeout(new Promise((resolve) => child.once('close', resolve)), 10_000, command);
  return Buffer.concat(chunks).toString('utf8');
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(
            () => reject(new Error(`the shell did not finish in ${ms} ms: ${JSON.stringify(what)}`)),
            ms,
          )),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Characters and pieces that mean something to a shell, and any text. */
const hostilePiece = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "'",
      '"',
      '$',
      '`',
      '\\',
      '(',
      ')',
      '{',
      '}',
      ';',
      '&',
      '|',
      '<',
      '>',
      '\n',
      '\t',
      ' ',
      '#',
      '*',
      '?',
      '[',
      ']',
      '~',
      '!',
      '%',
      '=',
      '\r',
      '\u0001',
      '\u007f',
      '-',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      `$(touch ${sentinel})`,
      `\`touch ${sentinel}\``,
      `'; touch ${sentinel}; '`,
      `"; touch ${sentinel}; "`,
      '${IFS}',
      '$((1+1))',
      '\nEOF\n',
      '\\n',
      "$'\\x41'",
      '%s',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }) },
);
const hostileValue = fc.array(hostilePiece, { maxLength: 12 }).map((a) => a.join(''));

/**
 * Each context with what the shell must print: printf '%s' of the value, in a context. Output
 * goes through base64 per line, so one run can check every context whatever the value holds.
 */
const CONTEXTS: Array<{
  name: string;
  template: string;
  expect: (v: string, list: readonly string[]) => string;
}> = [
  { name: 'unquoted', template: "printf '%s' {{ v }}", expect: (v) => v },
  { name: "inside '…'", template: "printf '%s' 'L{{ v }}R'", expect: (v) => `L${v}R` },
  { name: 'inside "…"', template: `printf '%s' "L{{ v }}R"`, expect: (v) => `L${v}R` },
  { name: 'assigned', template: `x={{ v }}; printf '%s' "$x"`, expect: (v) => v },
  {
    name: '"…" in "$(…)"',
    template: `x="$(printf '%s.' "L{{ v }}R")"; printf '%s' "\${x%.}"`,
    expect: (v) => `L${v}R`,
  },
  {
    name: 'unquoted in "$(…)"',
    template: `x="$(printf '%s.' {{ v }})"; printf '%s' "\${x%.}"`,
    expect: (v) => v,
  },
  {
    name: "'…' in $(…)",
    template: `x=$(printf '%s.' 'L{{ v }}R'); printf '%s' "\${x%.}"`,
    expect: (v) => `L${v}R`,
  },
  // printf uses its format once even with no arguments.
  {
    name: 'a list unquoted',
    template: "printf '[%s]' {{ l }}",
    expect: (_, l) => (l.length ? l.map((x) => `[${x}]`).join('') : '[]'),
  },
  { name: 'a list inside "…"', template: `printf '%s' "{{ l }}"`, expect: (_, l) => l.join(' ') },
];

function renderAll(v: string, l: readonly string[]): string {
  const lookup = (name: string): TemplateValue => (name === 'v' ? v : l);
  return CONTEXTS.map((c) => `{ ${renderTemplate(c.template, lookup, 'shell')}; } | base64 -w0; echo`).join(
    '\n',
  );
}

function decode(out: string): string[] {
  return out
    .split('\n')
    .slice(0, CONTEXTS.length)
    .map((line) => Buffer.from(line, 'base64').toString('utf8'));
}

test('every value in every quoting context reaches the shell literally (local runner and bash)', {
  timeout: 300_000,
}, async (t) => {
  assert.ok(existsSync(BASH), "bash is needed to check the values as Fedora's /bin/sh reads them");
  let cases = 0;
  await fc.assert(
    fc.asyncProperty(hostileValue, fc.array(hostileValue, { maxLength: 3 }), async (v, list) => {
      cases++;
      rmSync(sentinel, { force: true }); // each case (and each shrink) finds its own injection
      const command = renderAll(v, list);
      const expected = CONTEXTS.map((c) => c.expect(v, list));
      for (const [shell, run] of [
        ['local runner (/bin/sh)', viaLocalRunner],
        ['bash --posix', viaBash],
      ] as const) {
        const got = decode(await run(command));
        for (const [i, c] of CONTEXTS.entries())
          assert.equal(
            got[i],
            expected[i],
            `${shell}, ${c.name}: ${JSON.stringify(v)} / ${JSON.stringify(list)}\n${command}`,
          );
      }
      assert.ok(!existsSync(sentinel), 'nothing in a value ran');
    }),
    { numRuns: runs(150), seed },
  );
  t.diagnostic(`${cases} generated values, each in ${CONTEXTS.length} contexts, in 2 shells`);
  assert.equal(cases, runs(150));
});

test('a NUL byte in a value is refused in every context, naming the value; no shell sees it', () => {
  let cases = 0;
  fc.assert(
    fc.property(hostileValue, hostileValue, (a, b) => {
      cases++;
      const v = `${a}\u0000${b}`;
      for (const c of CONTEXTS) {
        assert.throws(
          () => renderTemplate(c.template, (name) => (name === 'v' ? v : [a, v]), 'shell'),
          (err: unknown) =>
            err instanceof TemplateError && /\{\{ [vl] \}\} holds a NUL byte/.test(err.message),
          c.name,
        );
      }
    }),
    { numRuns: runs(300), seed },
  );
  assert.equal(cases, runs(300));
});

/** Pieces of shell syntax, placeholders among them, in any order. */
const syntaxPiece = fc.constantFrom(
  ' ',
  '\n',
  "'",
  '"',
  '$(',
  ')',
  '`',
  '#',
  '\\',
  '${',
  '}',
  '$((',
  '))',
  '<<EOF\n',
  '\nEOF\n',
  '<<-E\n',
  "<<'Q'\n",
  '\nQ\n',
  "$'",
  'case ',
  ' in ',
  ';;',
  'esac',
  'a',
  'x=',
  '(',
  '$',
  ';',
  '|',
  '&&',
  "printf '%s' ",
  'printf %s ',
  '<<<',
  '$#',
  '$$',
  '"$(',
  '${#',
  '\t',
  '=',
  '{{ v }}',
  '{{ v }}',
  '{{ v }}',
  '{{ v }}',
  '{{ v }}',
);
const PAYLOADS = [
  `'"$(touch ${sentinel})\`touch ${sentinel}\`;touch ${sentinel};\ntouch ${sentinel}\n`,
  `\nEOF\ntouch ${sentinel}\nQ\ntouch ${sentinel}\nE\ntouch ${sentinel}\n`,
  `x\\"; touch ${sentinel}; : "\\`,
  `$'\\'; touch ${sentinel}; '\n#'"\`)}; touch ${sentinel} #`,
  `}; touch ${sentinel}; \${x:-`,
];

test("random commands: config check refuses the value's place, or no value runs anything in either shell", {
  timeout: 300_000,
}, async (t) => {
  let cases = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(syntaxPiece, { minLength: 1, maxLength: 16 }),
      fc.constantFrom(...PAYLOADS),
      async (pieces, payload) => {
        cases++;
        rmSync(sentinel, { force: true });
        const template = `${pieces.join('')} {{ v }}`;
        let problems: string[];
        try {
          problems = commandTemplateProblems(template);
        } catch (err) {
          if (!(err instanceof TemplateError)) throw err;
          refused++;
          return; // not a template at all: config check says so
        }
        let command: string | undefined;
        try {
          command = renderTemplate(template, () => payload, 'shell');
        } catch (err) {
          if (!(err instanceof TemplateError)) throw err;
        }
        // Config check and the engine agree on which places are refused.
        assert.equal(
          command === undefined,
          problems.length > 0,
          `${JSON.stringify(template)}: ${problems.join('; ')}`,
        );
        if (command === undefined) {
          refused++;
          return;
        }
        await viaLocalRunner(command);
        await viaBash(command);
        assert.ok(!existsSync(sentinel), `the value ran in ${JSON.stringify(template)}:\n${command}`);
      },
    ),
    { numRuns: runs(300), seed },
  );
  t.diagnostic(
    `${cases} generated commands (${refused} refused by config check), each run in 2 shells when accepted`,
  );
  assert.equal(cases, runs(300));
  assert.ok(refused > 0 && refused < cases, `some refused, some run: ${refused} of ${cases}`);
});

test('the demo build prints a branch with a backslash as it is (printf, not echo)', async () => {
  const build = DEMO_JOBS.find((j) => j.name === 'build')!;
  const line = build.command.split('\n').find((l) => l.includes('building demo'))!;
  const out = await viaLocalRunner(
    renderTemplate(line, (n) => (n === 'branch' ? 'a\\nb\\c' : 'abc1234'), 'shell'),
  );
  assert.equal(out, 'building demo for branch a\\nb\\c revision abc1234\n');
});

/** Characters git treats specially in ref names, and ordinary ones. */
const refPiece = fc.constantFrom(
  'a',
  'b',
  'z9',
  '/',
  '.',
  '..',
  '@',
  '@{',
  '{',
  '}',
  '-',
  '_',
  ' ',
  '~',
  '^',
  ':',
  '?',
  '*',
  '[',
  ']',
  '\\',
  '\u0001',
  '\u001f',
  '\u007f',
  '\t',
  '\n',
  '.lock',
  'é',
  'ß',
  '+',
  '$',
  "'",
  '"',
  '#',
  '%',
);
const refName = fc.array(refPiece, { minLength: 1, maxLength: 8 }).map((a) => a.join(''));

test('branch names: Sluice refuses exactly what git check-ref-format refuses, and the git.receive schema agrees', {
  timeout: 120_000,
}, async (t) => {
  const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas/messages/git.receive.json'), 'utf8')) as {
    anyOf: Array<{ properties: Record<string, any> }>;
  };
  assert.equal(
    schema.anyOf[0]!.properties.branch.pattern,
    BRANCH_NAME_PATTERN,
    'the schema has the same rule',
  );
  assert.equal(
    schema.anyOf[1]!.properties.commit.properties.branch.pattern,
    BRANCH_NAME_PATTERN,
    "and so does dist-git's shape",
  );
  const registry = new SchemaRegistry([BUILTIN_SCHEMA_DIR]);
  const schemaTakes = (branch: string) => {
    try {
      registry.validate('git.receive', { repo: 'bash', branch, revision: 'abc1234' });
      return true;
    } catch (err) {
      if (err instanceof MessageValidationError) return false;
      throw err;
    }
  };
  let cases = 0;
  let valid = 0;
  await fc.assert(
    fc.asyncProperty(refName, async (name) => {
      cases++;
      const gitTakes = await promisify(execFile)('git', ['check-ref-format', `refs/heads/${name}`]).then(
        () => true,
        () => false,
      );
      if (gitTakes) valid++;
      assert.equal(
        branchNameProblem(name) === undefined,
        gitTakes,
        `${JSON.stringify(name)}: git ${gitTakes ? 'takes' : 'refuses'} it; Sluice says ${branchNameProblem(name) ?? 'ok'}`,
      );
      assert.equal(schemaTakes(name), gitTakes, `${JSON.stringify(name)}: the schema`);
      // A NUL cannot go to git at all (an argv ends at it); Sluice refuses it wherever it is.
      assert.match(branchNameProblem(`${name}\u0000`) ?? '', /holds the control character U\+/);
      assert.equal(schemaTakes(`\u0000${name}`), false);
    }),
    { numRuns: runs(300), seed },
  );
  t.diagnostic(`${cases} generated names, ${valid} of them valid for git`);
  assert.equal(cases, runs(300));
  assert.ok(valid > 10 && valid < cases, `both kinds generated: ${valid} valid of ${cases}`);
});
