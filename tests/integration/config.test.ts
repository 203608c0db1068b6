import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { consumedPrefixes } from '../../bus/amqp-bus.js';
import { EMBEDDED_DEFAULTS, loadConfig } from '../../service/load-config.js';
import { ConfigError } from '../../errors/config-error.js';
import { cliEnv, runCli } from '../support/cli.js';
import { tempDir } from '../support/paths.js';

/** Writes `text` to a fresh temp dir and returns the directory and the file's path. */
function configFile(text: string, name = 'sluice.yaml'): { dir: string; file: string } {
  const dir = tempDir('sluice-config-');
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return { dir, file };
}

/** The ConfigError `fn` throws (fails the test when it throws nothing or something else). */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.code, 'CONFIG_INVALID');
    return err;
  }
  assert.fail('expected the configuration to be refused');
}

const GOOD_YAML = `
server:
  host: 0.0.0.0
  port: 9090
db:
  path: data/store.db
  busyTimeoutMs: 250
bus:
  prefetch: 7
  retry:
    maxAttempts: 9
log:
  level: debug
`;

const BAD_YAML = `
server:
  host: 123
bus:
  prefetch: 0
  prefech: 5
  retry:
    maxAttempts: many
log:
  level: loud
`;

describe('loadConfig', () => {
  test('with no file, gives the embedded defaults (db path resolved against cwd)', () => {
    const cwd = tempDir('sluice-cwd-');
    const config = loadConfig({ env: {}, cwd });
    assert.equal(config.source, EMBEDDED_DEFAULTS);
    assert.equal(config.busKind, 'embedded');
    assert.equal(config.bus.url, null);
    assert.equal(config.db.path, path.join(cwd, 'var', 'sluice.db'));
    assert.ok(path.isAbsolute(config.db.path));
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.server.port, 8080);
    assert.equal(config.serverUrl, 'http://127.0.0.1:8080');
    assert.equal(config.bus.retry.maxAttempts, 4);
    assert.equal(config.log.level, 'info');
  });

  test('the compiled configuration is frozen all the way down: a write fails loudly', () => {
    const config = loadConfig({ env: {}, cwd: tempDir('sluice-cwd-') });
    assert.throws(() => {
      (config as { serverUrl: string }).serverUrl = 'http://elsewhere';
    }, TypeError);
    assert.throws(() => {
      (config.bus.retry as { maxAttempts: number }).maxAttempts = 9;
    }, TypeError);
    assert.throws(() => config.notify.rules.push({ name: 'x', when: {}, recipients: [] }), TypeError);
    assert.equal(config.serverUrl, 'http://127.0.0.1:8080');
    assert.equal(config.bus.retry.maxAttempts, 4);
  });

  test('an empty file also gives the defaults', () => {
    const { file } = configFile('');
    const config = loadConfig({ file, env: {} });
    assert.equal(config.source, file);
    assert.equal(config.server.port, 8080);
    assert.equal(config.busKind, 'embedded');
  });

  test('takes values from a YAML file and keeps defaults for the rest', () => {
    const { dir, file } = configFile(GOOD_YAML);
    const config = loadConfig({ file: 'sluice.yaml', env: {}, cwd: dir });
    assert.equal(config.source, file);
    assert.equal(config.server.host, '0.0.0.0');
    assert.equal(config.server.port, 9090);
    // 0.0.0.0 is where to listen, not where to connect: the CLI talks to loopback
    assert.equal(config.serverUrl, 'http://127.0.0.1:9090');
    assert.equal(config.db.path, path.join(dir, 'data', 'store.db'));
    assert.equal(config.db.busyTimeoutMs, 250);
    assert.equal(config.bus.prefetch, 7);
    assert.equal(config.bus.retry.maxAttempts, 9);
    assert.equal(config.bus.retry.delayMs, 1000, 'unset sibling keeps its default');
    assert.equal(config.log.level, 'debug');
  });

  test('SLUICE_CONFIG picks the file when none is given; an explicit file wins over it', () => {
    const { dir, file } = configFile('server:\n  port: 7001\n', 'from-env.yaml');
    const other = path.join(dir, 'explicit.yaml');
    writeFileSync(other, 'server:\n  port: 7002\n');
    const viaEnv = loadConfig({ env: { SLUICE_CONFIG: 'from-env.yaml' }, cwd: dir });
    assert.equal(viaEnv.source, file);
    assert.equal(viaEnv.server.port, 7001);
    const explicit = loadConfig({ file: other, env: { SLUICE_CONFIG: 'from-env.yaml' }, cwd: dir });
    assert.equal(explicit.server.port, 7002);
  });

  test('environment variables override the file', () => {
    const { dir, file } = configFile(GOOD_YAML);
    const config = loadConfig({
      file,
      cwd: dir,
      env: {
        SLUICE_AMQP_URL: 'amqp://guest:guest@broker.example:5672',
        SLUICE_DB: 'elsewhere/other.db',
        SLUICE_PORT: '8181',
        SLUICE_HOST: '10.1.2.3',
        SLUICE_LOG_LEVEL: 'warn',
      },
    });
    assert.equal(config.busKind, 'amqp');
    assert.equal(config.bus.url, 'amqp://guest:guest@broker.example:5672');
    assert.equal(config.db.path, path.join(dir, 'elsewhere', 'other.db'));
    assert.equal(config.server.port, 8181);
    assert.equal(config.server.host, '10.1.2.3');
    assert.equal(config.serverUrl, 'http://10.1.2.3:8181');
    assert.equal(config.log.level, 'warn');
    assert.equal(config.bus.prefetch, 7, 'settings without an override still come from the file');
  });

  test('SLUICE_AMQP_URL alone switches to the amqp bus; an empty one does not', () => {
    assert.equal(loadConfig({ env: { SLUICE_AMQP_URL: 'amqps://host' }, cwd: tempDir() }).busKind, 'amqp');
    assert.equal(loadConfig({ env: { SLUICE_AMQP_URL: '' }, cwd: tempDir() }).busKind, 'embedded');
  });

  test('a bad file lists every problem as `path: reason`', () => {
    const { file } = configFile(BAD_YAML);
    const err = configErrorOf(() => loadConfig({ file, env: { SLUICE_PORT: 'abc' } }));
    const expected = [
      'server.host: must be string',
      'server.port: must be integer',
      'bus.prefetch: must be >= 1',
      'bus.prefech: is not a known setting',
      'bus.retry.maxAttempts: must be integer',
      'log.level: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
    ];
    assert.deepEqual([...err.problems].sort(), [...expected].sort());
    assert.ok(err.message.includes(file), 'the message names the file');
    for (const p of expected) assert.ok(err.message.includes(p), `the message includes "${p}"`);
  });

  test('problems that involve two settings are reported too', () => {
    const { file } = configFile(
      'bus:\n  retry:\n    delayMs: 5000\n    maxDelayMs: 10\n  reconnect:\n    initialDelayMs: 1000\n    maxDelayMs: 100\n',
    );
    const err = configErrorOf(() => loadConfig({ file, env: {} }));
    assert.deepEqual([...err.problems].sort(), [
      'bus.reconnect.maxDelayMs: must be >= bus.reconnect.initialDelayMs',
      'bus.retry.maxDelayMs: must be >= bus.retry.delayMs',
    ]);
  });

  test('a bus.url that is not amqp:// or amqps:// is refused', () => {
    const err = configErrorOf(() =>
      loadConfig({ env: { SLUICE_AMQP_URL: 'http://broker' }, cwd: tempDir() }),
    );
    assert.equal(err.problems.length, 1);
    assert.match(err.problems[0]!, /^bus\.url: must match pattern/);
  });

  test('a file that is not a mapping is refused at the root', () => {
    const { file } = configFile('- a\n- b\n');
    const err = configErrorOf(() => loadConfig({ file, env: {} }));
    assert.deepEqual(err.problems, ['(root): must be object']);
  });

  test('a missing file is reported as unreadable', () => {
    const dir = tempDir();
    const err = configErrorOf(() => loadConfig({ file: 'nope.yaml', env: {}, cwd: dir }));
    assert.equal(err.problems.length, 1);
    assert.match(err.problems[0]!, /^\(file\): cannot be read: .*ENOENT/);
  });

  test('a YAML syntax error is reported with its line and column', () => {
    const { file } = configFile('server:\n  port: 8080\n  host: [a, b\n');
    const err = configErrorOf(() => loadConfig({ file, env: {} }));
    assert.ok(err.problems.length >= 1);
    for (const p of err.problems)
      assert.match(p, /^\(yaml\) line \d+, column \d+: \S/, `"${p}" gives a position`);
    assert.match(err.problems[0]!, /^\(yaml\) line 4, column 1: Flow sequence/);
  });

  test('YAML errors point at the offending line and column', () => {
    const cases: Array<[text: string, expected: string]> = [
      ['server:\n  port: 1\n  port: 2\n', '(yaml) line 3, column 3: Map keys must be unique'],
      ['server:\n  port: 1\n\thost: x\n', '(yaml) line 3, column 1: Tabs are not allowed as indentation'],
    ];
    for (const [text, expected] of cases) {
      const { file } = configFile(text);
      const err = configErrorOf(() => loadConfig({ file, env: {} }));
      assert.deepEqual(err.problems, [expected], JSON.stringify(text));
    }
  });
});

describe('sluice config check', () => {
  test('a good file: exit 0 and "FILE: ok"', async () => {
    const { file } = configFile(GOOD_YAML);
    const r = await runCli(['config', 'check', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${file}: ok\n`);
    assert.equal(r.stderr, '');
  });

  test('a bad file: exit 1 and every problem on stderr', async () => {
    const { file } = configFile(BAD_YAML);
    const r = await runCli(['config', 'check', file], { env: cliEnv({ SLUICE_PORT: 'abc' }) });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines[0], `${file}: 6 problems`);
    const problems = lines.slice(1).map((l) => l.trim());
    for (const p of [
      'server.host: must be string',
      'server.port: must be integer',
      'bus.prefetch: must be >= 1',
      'bus.prefech: is not a known setting',
      'bus.retry.maxAttempts: must be integer',
    ]) {
      assert.ok(problems.includes(p), `stderr lists "${p}":\n${r.stderr}`);
    }
    assert.equal(problems.length, 6);
  });

  test('a YAML syntax error: exit 1 with line and column', async () => {
    const { file } = configFile('server:\n  port: 8080\n  host: [a, b\n');
    const r = await runCli(['config', 'check', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\(yaml\) line 4, column 1: /);
  });

  test('without a FILE it is a usage error (exit 2)', async () => {
    const r = await runCli(['config', 'check']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /expected "config check FILE"/);
    assert.match(r.stderr, /usage: sluice config check FILE/);
  });
});

describe('sluice usage', () => {
  test('--help prints the overview and exits 0', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^usage: sluice COMMAND/);
    for (const name of ['serve', 'publish', 'tail', 'dlq', 'migrate', 'config']) {
      assert.match(r.stdout, new RegExp(`^  ${name} +\\S`, 'm'), `the overview lists ${name}`);
    }
  });

  test('publish --help prints the command usage and exits 0', async () => {
    const r = await runCli(['publish', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^sluice publish TOPIC \[JSON \| -\]/);
    assert.equal(r.stderr, '');
  });

  test('no command prints the overview and exits 2', async () => {
    const r = await runCli([]);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /^usage: sluice COMMAND/);
  });

  test('an unknown command exits 2 and says so', async () => {
    const r = await runCli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^sluice: unknown command "frobnicate"/);
    assert.match(r.stderr, /usage: sluice COMMAND/);
  });

  test('an unknown option exits 2 with the command usage', async () => {
    const r = await runCli(['migrate', '--frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^sluice migrate: /);
    assert.match(r.stderr, /usage: sluice migrate/);
  });
});

describe('bus.consumePrefixes', () => {
  test('defaults to none; takes a list of prefixes besides topicPrefix, consumed longest first', () => {
    const plain = loadConfig({
      file: configFile('bus:\n  topicPrefix: org.fedoraproject.prod.\n').file,
      env: {},
    });
    assert.deepEqual(plain.bus.consumePrefixes, []);
    assert.deepEqual(consumedPrefixes(plain.bus), ['org.fedoraproject.prod.']);
    const both = loadConfig({
      file: configFile(
        'bus:\n  topicPrefix: org.centos.prod.\n  consumePrefixes: [org.fedoraproject.prod., org.centos.prod.]\n',
      ).file,
      env: {},
    });
    assert.deepEqual(consumedPrefixes(both.bus), ['org.fedoraproject.prod.', 'org.centos.prod.']);
  });

  test('a prefix that does not end in a dot, or an empty one, is refused with the setting named', () => {
    const err = configErrorOf(() =>
      loadConfig({ file: configFile('bus:\n  consumePrefixes: [org.centos.prod, ""]\n').file, env: {} }),
    );
    assert.ok(
      err.problems.some((p) => p.startsWith('bus.consumePrefixes[0]: must match pattern')),
      err.problems.join('\n'),
    );
    assert.ok(
      err.problems.some((p) => p.startsWith('bus.consumePrefixes[1]: must match pattern')),
      err.problems.join('\n'),
    );
  });
});
