import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { connectionSecrets } from '../../bus/amqp-bus.js';
import { compileConfig, validateConfig } from '../../service/load-config.js';
import { runCli, cliEnv } from '../support/cli.js';
import { tempDir } from '../support/paths.js';

const compile = (raw: unknown) => compileConfig(validateConfig(raw, 'test'), 'test', '/etc/sluice');

test('the operations settings have defaults, and TLS files resolve against the configuration folder', () => {
  const c = compile({
    bus: { url: 'amqps://broker.example', tls: { caFile: 'ca.pem' }, passwordFile: 'amqp-password' },
  });
  assert.equal(c.server.requestTimeoutMs, 30000);
  assert.equal(c.server.maxEventStreams, 100);
  assert.equal(c.auth.readsRequireToken, false);
  assert.equal(c.scheduler.leaseSeconds, 30);
  assert.equal(c.bus.tls.caFile, '/etc/sluice/ca.pem');
  assert.equal(c.bus.passwordFile, '/etc/sluice/amqp-password');
  assert.equal(c.bus.tls.rejectUnauthorized, true);
});

test('TLS settings with an amqp:// URL, or a certificate without its key, are refused with the reason', () => {
  assert.throws(
    () => compile({ bus: { url: 'amqp://broker.example', tls: { caFile: 'ca.pem' } } }),
    /bus.tls: is set, but bus.url is not an amqps:\/\/ URL/,
  );
  assert.throws(
    () => compile({ bus: { url: 'amqps://broker.example', tls: { certFile: 'c.pem' } } }),
    /certFile and keyFile go together/,
  );
});

test('a secret file that cannot be read is an error naming the setting and the file, never a content', () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'pw'), 's3cret-in-file\n');
  const ok = connectionSecrets(
    compile({ bus: { url: 'amqps://u@h', passwordFile: path.join(dir, 'pw') } }).bus,
  );
  assert.equal(ok.password, 's3cret-in-file');
  assert.throws(
    () =>
      connectionSecrets(
        compile({ bus: { url: 'amqps://u@h', tls: { caFile: path.join(dir, 'missing.pem') } } }).bus,
      ),
    /bus.tls.caFile: cannot read .*missing.pem: ENOENT/,
  );
});

test('sluice backup copies the store consistently and refuses to overwrite', async () => {
  const dir = tempDir();
  const db = path.join(dir, 'sluice.db');
  const env = cliEnv({ SLUICE_DB: db });
  assert.equal((await runCli(['migrate'], { env })).code, 0);
  const live = new Database(db);
  live.exec("INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES ('probe', 'test', 1, 2)");
  const dest = path.join(dir, 'copy.db');
  const done = await runCli(['backup', dest], { env });
  assert.equal(done.code, 0, done.stderr);
  assert.equal((JSON.parse(done.stdout) as { backup: string }).backup, dest);
  const copy = new Database(dest, { readonly: true });
  assert.deepEqual(copy.prepare('SELECT name, holder FROM leases').all(), [
    { name: 'probe', holder: 'test' },
  ]);
  copy.close();
  live.close();
  const again = await runCli(['backup', dest], { env });
  assert.equal(again.code, 2);
  assert.match(again.stderr, /exists; a backup never overwrites/);
});

test('a command that cannot reach the broker says so without printing the password', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'sluice.yaml');
  writeFileSync(
    file,
    'bus:\n  url: amqp://sluice:cli-secret-pw@127.0.0.1:9\n  connectTimeoutMs: 200\n  confirmTimeoutMs: 300\n',
  );
  const res = await runCli([
    'publish',
    'result.submit',
    '{"testcase":"x","outcome":"PASSED"}',
    '--config',
    file,
  ]);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /sluice:\*\*\*@127\.0\.0\.1:9/);
  assert.ok(!(res.stdout + res.stderr).includes('cli-secret-pw'), res.stderr);
});
