import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { compileConfig, validateConfig } from '../../service/load-config.js';
import { type CliProcess, cliEnv, freePort, runCli, serveUntilHealthy } from '../support/cli.js';
import { ROOT, tempDir } from '../support/paths.js';

/**
 * The README's promise to a newcomer: after `npm start` on the embedded defaults, every
 * command of its `console` blocks prints what the README shows. The blocks are read from the
 * README itself, so an output that changes fails here until the README says the same.
 */
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

interface Step {
  command: string;
  expected: string;
}

function consoleSteps(text: string): Step[] {
  const steps: Step[] = [];
  for (const block of text.matchAll(/^```console\n([\s\S]*?)^```$/gm)) {
    for (const line of block[1]!.split('\n')) {
      if (line.startsWith('$ ')) steps.push({ command: line.slice(2), expected: '' });
      else if (line !== '' || steps.at(-1)?.expected) {
        const step = steps.at(-1);
        assert.ok(step, `output before any command: ${line}`);
        step.expected += `${line}\n`;
      }
    }
  }
  // A block ends with the newline after its last line: trailing blank lines are not output.
  for (const s of steps) s.expected = s.expected.replace(/\n+$/, '\n');
  return steps;
}

/** Words as a POSIX shell splits them, for the quoting the README uses ('…' and "…" without escapes). */
function shellWords(command: string): string[] {
  const words: string[] = [];
  for (const m of command.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** What truly differs from run to run: clock times, durations, result ids (jobs race), tokens. */
function normalise(text: string): string {
  return text
    .replace(/sluice_[A-Za-z0-9_-]{32}/g, 'TOKEN')
    .replace(/\b[0-9a-f]{64}\b/g, 'SHA256')
    .replace(/\b\d\d:\d\d:\d\d\b/g, 'HH:MM:SS')
    .replace(/\b(\d+h)?(\d+m)?\d+(\.\d+)?s\b/g, 'Ns')
    .replace(/\bresult \d+\b/g, 'result N');
}

/** `sluice watch` prints a line per node as results arrive: parallel jobs may finish in either order. */
function comparable(command: string, output: string): string {
  const text = normalise(output);
  if (!command.startsWith('sluice watch ')) return text;
  const lines = text.trimEnd().split('\n');
  const last = lines.pop();
  return `${lines.sort().join('\n')}\n${last}\n`;
}

test("the README's console blocks are the tour, in order, and only sluice commands", () => {
  const steps = consoleSteps(README);
  assert.ok(steps.length >= 8, `found ${steps.length} commands`);
  for (const s of steps) assert.match(s.command, /^sluice /, s.command);
  const commands = steps.map((s) => s.command.split(' ').slice(0, 2).join(' '));
  for (const needed of ['sluice run', 'sluice watch', 'sluice status', 'sluice waive'])
    assert.ok(commands.includes(needed), `the tour shows ${needed}`);
});

test("the README's configuration examples are valid configurations", () => {
  const blocks = [...README.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  assert.ok(blocks.length >= 2);
  for (const yaml of blocks) {
    const config = compileConfig(validateConfig(parse(yaml), 'README'), 'README', ROOT);
    assert.ok(config);
  }
});

describe('the README tour on the embedded defaults, from a fresh store', { timeout: 180_000 }, () => {
  const cwd = tempDir('sluice-tour-');
  let server: CliProcess;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    const port = await freePort();
    // What `npm start` runs, in a folder of its own: no configuration file, a new ./var.
    env = cliEnv({ SLUICE_PORT: String(port) });
    server = await serveUntilHealthy(['serve'], env, cwd, port);
  });
  after(async () => {
    server?.signal('SIGTERM');
    await server?.exitWithin(15_000, 'sluice serve').catch(() => server.kill());
  });

  for (const step of consoleSteps(README)) {
    test(step.command, { timeout: 60_000 }, async () => {
      const [, ...args] = shellWords(step.command);
      const r = await runCli(args, { env, cwd, timeoutMs: 60_000 });
      assert.equal(r.stderr, '', `${step.command} wrote to stderr`);
      assert.ok(r.code === 0 || r.code === 1, `${step.command} exited ${r.code}`);
      assert.equal(comparable(step.command, r.stdout), comparable(step.command, step.expected));
    });
  }
});
