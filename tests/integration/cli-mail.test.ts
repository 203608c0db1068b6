import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { cliEnv, runCli } from '../support/cli.js';
import { tempDir } from '../support/paths.js';
import { SmtpTestServer } from '../support/smtp-test-server.js';

function configFile(notify: Record<string, unknown>): string {
  const dir = tempDir();
  const file = path.join(dir, 'sluice.yaml');
  writeFileSync(file, stringify({ db: { path: path.join(dir, 'sluice.db') }, notify }));
  return file;
}

const smtpTo = (port: number, extra: Record<string, unknown> = {}) => ({
  transport: 'smtp',
  from: 'sluice@ci.example.org',
  smtp: {
    host: '127.0.0.1',
    port,
    connectionTimeoutMs: 1000,
    greetingTimeoutMs: 1000,
    socketTimeoutMs: 3000,
    ...extra,
  },
});

describe('sluice mail test ADDRESS', () => {
  test('sends one mail through the configured SMTP server (with its login) and prints the answer', {
    timeout: 30_000,
  }, async (t) => {
    const smtp = await SmtpTestServer.create({ login: { user: 'sluice', pass: 'correct horse battery' } });
    t.after(() => smtp.stop());
    const dir = tempDir();
    writeFileSync(path.join(dir, 'smtp-password'), 'correct horse battery\n');
    const file = configFile(
      smtpTo(smtp.port, { user: 'sluice', passwordFile: path.join(dir, 'smtp-password') }),
    );
    const r = await runCli(['mail', 'test', 'jane@example.org', '--config', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `^sent <[0-9a-f-]{36}@ci\\.example\\.org> to jane@example\\.org through smtp://127\\.0\\.0\\.1:${smtp.port} as sluice: 250 `,
      ),
    );
    const [mail] = await smtp.waitForMails(1);
    assert.equal(mail!.subject, '[sluice] test mail');
    assert.deepEqual(mail!.to, ['jane@example.org']);
    assert.match(mail!.text, /If you read this, Sluice can send its notifications\./);
    assert.ok(r.stdout.includes(mail!.messageId));
  });

  test('a wrong password: could not send, and the password is not printed', {
    timeout: 30_000,
  }, async (t) => {
    const smtp = await SmtpTestServer.create({ login: { user: 'sluice', pass: 'correct horse battery' } });
    t.after(() => smtp.stop());
    const r = await runCli([
      'mail',
      'test',
      'jane@example.org',
      '--config',
      configFile(smtpTo(smtp.port, { user: 'sluice', password: 'wrong-password-123' })),
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^sluice mail: could not send through smtp:\/\/127\.0\.0\.1:\d+ as sluice: EAUTH at AUTH PLAIN: 535 5\.7\.8 authentication failed\n$/,
    );
    assert.ok(!`${r.stdout}${r.stderr}`.includes('wrong-password-123'));
    assert.equal(smtp.received.length, 0);
  });

  test('a refusal (5xx) and an unreachable server are told apart; exit 1', { timeout: 30_000 }, async (t) => {
    const smtp = await SmtpTestServer.create();
    t.after(() => smtp.stop());
    smtp.rcpt = () => ({ code: 550, message: '5.1.1 no such user' });
    const refused = await runCli([
      'mail',
      'test',
      'ghost@example.org',
      '--config',
      configFile(smtpTo(smtp.port)),
    ]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^sluice mail: refused through smtp:\/\/127\.0\.0\.1:\d+: EENVELOPE at RCPT TO: 550 5\.1\.1 no such user\n$/,
    );
    await smtp.stop();
    const down = await runCli([
      'mail',
      'test',
      'ghost@example.org',
      '--config',
      configFile(smtpTo(smtp.port)),
    ]);
    assert.equal(down.code, 1);
    assert.match(
      down.stderr,
      /^sluice mail: could not send through smtp:\/\/127\.0\.0\.1:\d+: ESOCKET at CONN: connect ECONNREFUSED 127\.0\.0\.1:\d+\n$/,
    );
  });

  test('with the embedded defaults the mail becomes a file under ./var/mail', async () => {
    const cwd = tempDir();
    const r = await runCli(['mail', 'test', 'jane@example.org'], { cwd, env: cliEnv() });
    assert.equal(r.code, 0, r.stderr);
    const files = readdirSync(path.join(cwd, 'var/mail'));
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^[0-9a-f-]{36}@localhost\.eml$/);
    assert.ok(r.stdout.includes(`written to ${path.join(cwd, 'var/mail', files[0]!)}`), r.stdout);
  });

  test('a bad address or command line is a usage error', async () => {
    const r = await runCli(['mail', 'test', 'not-an-address']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"not-an-address" is not a mail address/);
    assert.equal((await runCli(['mail', 'send', 'a@b.org'])).code, 2);
  });
});
