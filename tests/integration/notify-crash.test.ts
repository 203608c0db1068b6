import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import type { OutboxEntryJson } from '../../db/mail-outbox.js';
import { CliProcess, cliEnv, freePort } from '../support/cli.js';
import { decisionUpdate, SATISFIED, UNSATISFIED } from '../support/notify-fixtures.js';
import { tempDir } from '../support/paths.js';
import { SmtpTestServer, type DataVerdict } from '../support/smtp-test-server.js';
import { waitFor } from '../support/wait-for.js';

/**
 * `sluice serve` as its own process, mailing decision changes to a real SMTP server; the test
 * SIGKILLs it while a mail is on the wire and starts it again on the same store.
 */
async function crashAndRestart(t: TestContext, firstVerdict: DataVerdict) {
  const smtp = await SmtpTestServer.create();
  const cwd = tempDir('sluice-crash-');
  const port = await freePort();
  const file = path.join(cwd, 'sluice.yaml');
  writeFileSync(
    file,
    stringify({
      server: { port },
      db: { path: path.join(cwd, 'sluice.db') },
      log: { level: 'warn' },
      notify: {
        transport: 'smtp',
        from: 'sluice@ci.example.org',
        smtp: { host: '127.0.0.1', port: smtp.port, socketTimeoutMs: 60000 },
        pollIntervalMs: 50,
        rules: [
          { name: 'gating', mail: 'decision-changed', recipients: ['qa@example.org'], debounceSeconds: 0 },
        ],
      },
    }),
  );
  const processes: CliProcess[] = [];
  t.after(async () => {
    for (const p of processes) await p.kill();
    await smtp.stop();
  });
  const base = `http://127.0.0.1:${port}`;
  const serve = async () => {
    const p = new CliProcess(['serve', '--config', file], cliEnv(), cwd);
    processes.push(p);
    await waitFor('the server', async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.ok);
    return p;
  };

  smtp.data = () => firstVerdict;
  const first = await serve();
  const res = await fetch(`${base}/api/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      topic: 'greenwave.decision.update',
      body: decisionUpdate(SATISFIED, UNSATISFIED),
    }),
  });
  assert.equal(res.status, 202);
  // The mail's data reached the server, which has not answered: the sender waits for the 250.
  await waitFor('the mail on the wire', () => smtp.attempts.length === 1);
  const onTheWire = (await (await fetch(`${base}/api/v1/outbox`)).json()) as { data: OutboxEntryJson[] };
  assert.equal(onTheWire.data[0]!.state, 'sending');
  first.signal('SIGKILL');
  await first.exitWithin(10_000, 'the killed server');

  smtp.data = () => 'accept';
  await serve();
  await waitFor('the mail sent after the restart', async () => {
    const o = (await (await fetch(`${base}/api/v1/outbox`)).json()) as { data: OutboxEntryJson[] };
    return o.data[0]?.state === 'sent';
  });
  await sleep(500);
  const outbox = (await (await fetch(`${base}/api/v1/outbox`)).json()) as { data: OutboxEntryJson[] };
  return { smtp, attemptId: smtp.attempts[0]!.messageId, outbox: outbox.data };
}

describe('a crash between writing a mail and hearing it was sent', () => {
  test('killed while the mail was on the wire: sent once when Sluice starts again, under the same Message-ID', {
    timeout: 60_000,
  }, async (t) => {
    const { smtp, attemptId, outbox } = await crashAndRestart(t, 'hold');
    assert.equal(outbox.length, 1);
    assert.equal(smtp.received.length, 1, 'the server took the mail once');
    assert.equal(smtp.received[0]!.messageId, attemptId);
    assert.equal(outbox[0]!.message_id, attemptId);
  });

  test('killed after the server took the mail but before its answer arrived: the mail sent again is recognisable by its Message-ID', {
    timeout: 60_000,
  }, async (t) => {
    const { smtp, attemptId, outbox } = await crashAndRestart(t, 'swallow');
    assert.equal(outbox.length, 1);
    assert.equal(outbox[0]!.state, 'sent');
    assert.equal(smtp.received.length, 2, 'with no answer, Sluice cannot know the server had it');
    assert.deepEqual(
      smtp.received.map((m) => m.messageId),
      [attemptId, attemptId],
      'both copies carry one Message-ID, so a mail store or reader drops the second',
    );
  });
});
