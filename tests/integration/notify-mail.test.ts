import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeJson } from '../../pipeline/pipeline-node.js';
import {
  decisionUpdate,
  missing,
  nodeEvent,
  REVISION,
  SATISFIED,
  UNSATISFIED,
} from '../support/notify-fixtures.js';
import { notifyHarness } from '../support/notify-service.js';
import { SmtpTestServer } from '../support/smtp-test-server.js';
import { waitFor } from '../support/wait-for.js';

const sorted = (xs: string[]) => [...xs].sort();

/** A job's log as the pipeline serves it, honouring `Range: bytes=-N`; records the ranges asked for. */
async function logServer(t: TestContext, lines: number): Promise<{ base: string; ranges: string[] }> {
  const log = Buffer.from(
    `${Array.from(
      { length: lines },
      (_, i) => `line ${String(i + 1).padStart(3, '0')}: compiling <stuff> & more`,
    ).join('\n')}\n`,
  );
  const ranges: string[] = [];
  const server = http.createServer((req, res) => {
    if (req.url !== '/api/v1/nodes/3/log') {
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=-(\d+)$/.exec(req.headers.range ?? '');
    ranges.push(req.headers.range ?? '');
    if (!m) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(log);
      return;
    }
    const start = Math.max(0, log.length - Number(m[1]));
    res
      .writeHead(206, {
        'content-type': 'text/plain',
        'content-range': `bytes ${start}-${log.length - 1}/${log.length}`,
      })
      .end(log.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ranges };
}

describe('mails at a real SMTP server', () => {
  test("a gating decision that changed: one mail to the rule's address and the package's maintainers, with subject and body", {
    timeout: 30_000,
  }, async (t) => {
    const h = await notifyHarness(t, {
      maintainers: { bash: ['bash-maint@example.org'] },
      rules: [
        {
          name: 'gating',
          mail: 'decision-changed',
          recipients: ['qa@example.org', 'maintainers'],
          debounceSeconds: 0,
        },
      ],
    });
    const sourceId = await h.publish('greenwave.decision.update', decisionUpdate(SATISFIED, UNSATISFIED));
    const [mail] = await h.smtp.waitForMails(1);
    assert.deepEqual(sorted(mail!.to), ['bash-maint@example.org', 'qa@example.org']);
    assert.equal(mail!.from, 'sluice@ci.example.org');
    assert.equal(
      mail!.subject,
      '[sluice] gating bash-5.2.26-3.fc41 (fedora-41, bodhi_update_push_stable): satisfied → unsatisfied',
    );
    assert.match(mail!.text, /The gating decision for bash-5\.2\.26-3\.fc41 is no longer satisfied\./);
    assert.match(
      mail!.text,
      /- dist\.rpmdeplint: failed \[new\]\n {4}http:\/\/127\.0\.0\.1:\d+\/api\/v2\.0\/results\/9/,
    );
    assert.match(
      mail!.text,
      /sluice waive koji_build bash-5\.2\.26-3\.fc41 dist\.rpmdeplint --product-version fedora-41 --comment 'WHY'/,
    );
    assert.match(mail!.html, /<b>dist\.rpmdeplint<\/b>: failed/);
    assert.equal(mail!.parsed.headers.get('x-sluice-rule'), 'gating');
    assert.equal(mail!.parsed.headers.get('auto-submitted'), 'auto-generated');

    const { data } = await h.outbox();
    assert.equal(data.length, 1);
    assert.equal(data[0]!.state, 'sent');
    assert.equal(data[0]!.attempts, 1);
    assert.equal(data[0]!.message_id, mail!.messageId, 'the Message-ID is the one the outbox stored');
    assert.equal(data[0]!.source_message_id, sourceId);
    assert.deepEqual(sorted(data[0]!.recipients), ['bash-maint@example.org', 'qa@example.org']);
  });

  test("a job that failed: a mail to the run's author and the repo's maintainers with the end of its log and links", {
    timeout: 30_000,
  }, async (t) => {
    const logs = await logServer(t, 100);
    const h = await notifyHarness(t, {
      people: { jdoe: 'Jane Doe <jane@example.org>' },
      maintainers: { 'rpms/bash': ['bash-maint@example.org'] },
      logTailLines: 5,
      logTailBytes: 2048,
      logUrlPrefixes: [logs.base],
      rules: [{ name: 'job-failures', mail: 'job-failed', recipients: ['author', 'maintainers'] }],
    });
    // The run's root is in the pipeline's node store, where the mail finds the change and its author.
    const { nodes, transact } = h.service.ctx.pipeline;
    const root = transact(() =>
      nodes.create({
        kind: 'checkout',
        name: 'checkout',
        repo: 'rpms/bash',
        branch: 'rawhide',
        revision: REVISION,
        data: { author: 'jdoe' },
      }),
    );
    const build = nodeEvent(
      {
        id: 3,
        run_id: root.id,
        name: 'build',
        parent_id: root.id,
        state: 'running',
        result: null,
        previous_state: null,
        artifacts: {
          'build.log': {
            size: 9,
            sha256: '0'.repeat(64),
            url: `${logs.base}/api/v1/nodes/3/artifacts/build.log`,
          },
        },
      },
      logs.base,
    );
    await h.publish('pipeline.node.created', build);
    await h.publish('pipeline.node.updated', {
      ...build,
      state: 'done',
      previous_state: 'running',
      result: 'fail',
      data: { builder: 'builder-7', exit_code: 2, reason: 'make failed' },
    });
    // A later update of the same failed node (say, its holdoff ended) is no second failure.
    await h.publish('pipeline.node.updated', {
      ...build,
      state: 'done',
      previous_state: 'done',
      result: 'fail',
      previous_result: 'fail',
    });

    const [mail] = await h.smtp.waitForMails(1);
    await sleep(300);
    assert.equal(h.smtp.received.length, 1, 'one mail for one failure');
    assert.deepEqual(sorted(mail!.to), ['bash-maint@example.org', 'jane@example.org']);
    assert.equal(
      mail!.parsed.to && !Array.isArray(mail!.parsed.to) ? mail!.parsed.to.text : '',
      '"Jane Doe" <jane@example.org>, bash-maint@example.org',
    );
    assert.equal(mail!.subject, '[sluice] rpms/bash/rawhide 4f2a9c1e0b7d: build failed');
    assert.match(mail!.text, /Job build failed on builder-7\./);
    assert.match(mail!.text, /Reason: +make failed/);
    assert.ok(mail!.text.includes(`Log:       ${logs.base}/api/v1/nodes/3/log`), mail!.text);
    assert.ok(mail!.text.includes(`build.log  ${logs.base}/api/v1/nodes/3/artifacts/build.log`));
    assert.ok(
      mail!.text.includes('The end of the log:\n\n    line 096: compiling <stuff> & more\n'),
      mail!.text,
    );
    assert.ok(mail!.text.includes('    line 100: compiling <stuff> & more'));
    assert.ok(!mail!.text.includes('line 095'));
    assert.ok(
      mail!.html.includes('line 100: compiling &lt;stuff&gt; &amp; more'),
      'the log is escaped in the HTML',
    );
    assert.deepEqual(logs.ranges, ['bytes=-2048'], 'only the end of the log was asked for');
  });

  test('a log URL outside this server and notify.logUrlPrefixes is not fetched; the mail says so', {
    timeout: 30_000,
  }, async (t) => {
    const logs = await logServer(t, 10);
    const h = await notifyHarness(t, {
      rules: [{ name: 'job-failures', mail: 'job-failed', recipients: ['ops@example.org'] }],
    });
    const build = nodeEvent(
      { id: 3, name: 'build', parent_id: 1, state: 'done', previous_state: 'running', result: 'fail' },
      logs.base,
    );
    await h.publish('pipeline.node.updated', build);
    const [mail] = await h.smtp.waitForMails(1);
    assert.ok(
      mail!.text.includes(
        `No log to quote: ${logs.base}/api/v1/nodes/3/log is not under this server's URL or notify.logUrlPrefixes, so it was not fetched.`,
      ),
      mail!.text,
    );
    assert.deepEqual(logs.ranges, [], 'nothing was asked of the other server');
  });

  test("a run's report when its root is done: jobs, results and failing tests, at most once", {
    timeout: 30_000,
  }, async (t) => {
    const h = await notifyHarness(t, {
      people: { jdoe: 'jane@example.org' },
      rules: [{ name: 'reports', mail: 'run-report', recipients: ['author', 'ci-watch@example.org'] }],
    });
    const base = h.base;
    // The run as the pipeline keeps it in its node store (the report reads it there), times set.
    const { nodes, transact } = h.service.ctx.pipeline;
    const t0 = Date.now() - 3_600_000;
    const root = transact(() =>
      nodes.create(
        {
          kind: 'checkout',
          name: 'checkout',
          repo: 'rpms/bash',
          branch: 'rawhide',
          revision: REVISION,
          data: { author: 'jdoe', message: 'Update to 5.2.26' },
        },
        t0,
      ),
    );
    transact(() => nodes.update(root.id, { state: 'available' }, t0 + 1000));
    const build = transact(() =>
      nodes.create(
        {
          parentId: root.id,
          kind: 'build',
          name: 'build',
          job: 'build',
          data: { builder: 'b1', duration_ms: 90_000 },
        },
        t0 + 2000,
      ),
    );
    const tier1 = transact(() =>
      nodes.create(
        { parentId: build.id, kind: 'test', name: 'tier1', job: 'tier1', data: { builder: 'b2' } },
        t0 + 3000,
      ),
    );
    transact(() => nodes.update(build.id, { state: 'done', result: 'pass' }, t0 + 92_000));
    transact(() => nodes.update(tier1.id, { state: 'done', result: 'fail' }, t0 + 98_000));
    // The pipeline files the job's test results with the run and node they came from.
    for (const [name, outcome] of [
      ['tier1.test_ok', 'PASSED'],
      ['tier1.test_frob', 'FAILED'],
    ] as const) {
      const res = await fetch(`${base}/api/v2.0/results`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          testcase: name,
          outcome,
          note: outcome === 'FAILED' ? 'assert 1 == 2' : '',
          data: {
            item: 'bash-5.2.26-3.fc41',
            type: 'koji_build',
            run_id: String(root.id),
            node_id: String(tier1.id),
          },
        }),
      });
      assert.equal(res.status, 201, await res.text());
    }
    transact(() => nodes.update(root.id, { state: 'closing' }));
    const done = transact(() => nodes.update(root.id, { state: 'done', result: 'pass' }));
    // The same "root is done" published again (a publisher that retried) makes no second report.
    await h.publish('pipeline.node.updated', {
      ...nodeJson(done.node, base),
      previous_state: 'closing',
      previous_result: null,
    });

    const [mail] = await h.smtp.waitForMails(1);
    await sleep(300);
    assert.equal(h.smtp.received.length, 1, 'at most one report per run');
    assert.deepEqual(sorted(mail!.to), ['ci-watch@example.org', 'jane@example.org']);
    assert.equal(mail!.subject, '[sluice] rpms/bash/rawhide 4f2a9c1e0b7d: 2 jobs, 1 failure');
    assert.match(mail!.text, /Jobs: +2: 1 passed, 1 failed, 0 skipped, 0 incomplete/);
    assert.match(mail!.text, /Commit: +Update to 5\.2\.26/);
    assert.match(mail!.text, /\nbuild +pass +1m 30s +b1\n/);
    assert.match(mail!.text, /\nbuild › tier1 +fail +1m 35s +b2\n/);
    assert.match(
      mail!.text,
      /Failing tests \(1\):\n {2}FAILED tier1\.test_frob \(assert 1 == 2\)\n +http:\/\/127\.0\.0\.1:\d+\/api\/v2\.0\/results\/2\n/,
    );
    assert.ok(!mail!.text.includes('test_ok'));
    assert.match(
      mail!.html,
      /<a href="http:\/\/127\.0\.0\.1:\d+\/api\/v2\.0\/results\/2">tier1\.test_frob<\/a>/,
    );
    const { data } = await h.outbox('?kind=mail');
    assert.equal(data.length, 1);
  });

  test('SMTP server down while 100 mails are due: all 100 arrive once it is back, none twice', {
    timeout: 60_000,
  }, async (t) => {
    const smtp = await SmtpTestServer.create({ listening: false });
    const h = await notifyHarness(
      t,
      {
        rules: [
          { name: 'gating', mail: 'decision-changed', recipients: ['qa@example.org'], debounceSeconds: 0 },
        ],
      },
      { smtp },
    );
    for (let i = 0; i < 100; i++) {
      await h.publish(
        'greenwave.decision.update',
        decisionUpdate(SATISFIED, UNSATISFIED, { type: 'koji_build', id: `pkg${i}-1.0-1.fc41` }),
      );
    }
    // Every mail was tried and failed for want of a server, and waits for its next attempt.
    const waiting = await waitFor('100 mails tried and waiting', async () => {
      const o = await h.outbox('?limit=1000');
      return o.data.length === 100 && o.data.every((e) => e.state !== 'sent' && e.attempts >= 1)
        ? o
        : undefined;
    });
    assert.ok(
      waiting.data.every((e) => /ECONNREFUSED/.test(e.last_error ?? '')),
      JSON.stringify(waiting.data[0]),
    );
    assert.equal(waiting.counts.sent, 0);
    // The mail server is reported away in /readyz, without making Sluice unready: mail waits.
    let ready = (await (await fetch(`${h.base}/readyz`)).json()) as {
      status: string;
      checks: Record<string, { ok: boolean; detail: string; critical: boolean }>;
    };
    assert.equal(ready.status, 'ready');
    assert.equal(ready.checks.smtp!.ok, false);
    assert.equal(ready.checks.smtp!.critical, false);
    assert.match(ready.checks.smtp!.detail, /ECONNREFUSED/);

    await smtp.start();
    await smtp.waitForMails(100, 30_000);
    const after = await waitFor('100 sent', async () => {
      const o = await h.outbox('?limit=1000');
      return o.counts.sent === 100 ? o : undefined;
    });
    await sleep(500);
    assert.equal(smtp.received.length, 100, 'none twice');
    const ids = new Set(smtp.received.map((m) => m.messageId));
    assert.equal(ids.size, 100);
    assert.deepEqual([...ids].sort(), after.data.map((e) => e.message_id).sort());
    assert.equal(new Set(smtp.received.map((m) => m.subject)).size, 100);
    ready = (await (await fetch(`${h.base}/readyz`)).json()) as typeof ready;
    assert.equal(ready.checks.smtp!.ok, true);
    const metrics = await (await fetch(`${h.base}/metrics`)).text();
    assert.match(metrics, /^sluice_notifications_total\{channel="mail",outcome="sent"\} 100$/m);
    const deferred = Number(
      /^sluice_notifications_total\{channel="mail",outcome="deferred"\} (\d+)$/m.exec(metrics)?.[1],
    );
    assert.ok(deferred >= 100, `every mail was deferred at least once: ${deferred}`);
  });

  test('a 4xx answer is retried until the mail goes; a 5xx refusal is marked failed with the reason, visible over HTTP', {
    timeout: 30_000,
  }, async (t) => {
    const smtp = await SmtpTestServer.create();
    let deferrals = 0;
    smtp.rcpt = (address) => {
      if (address === 'nobody@example.org') return { code: 550, message: '5.1.1 nobody: no such user here' };
      if (address === 'busy@example.org' && deferrals < 2) {
        deferrals++;
        return { code: 451, message: '4.3.2 mailbox busy, try later' };
      }
      return undefined;
    };
    const h = await notifyHarness(
      t,
      {
        rules: [
          {
            name: 'refused',
            mail: 'decision-changed',
            recipients: ['nobody@example.org'],
            debounceSeconds: 0,
          },
          {
            name: 'deferred',
            mail: 'decision-changed',
            recipients: ['busy@example.org'],
            debounceSeconds: 0,
          },
        ],
      },
      { smtp },
    );
    await h.publish('greenwave.decision.update', decisionUpdate(SATISFIED, UNSATISFIED));
    await smtp.waitForMails(1);
    const failedOnes = await waitFor('the refusal recorded', async () => {
      const o = await h.outbox('?state=failed');
      return o.data.length ? o : undefined;
    });
    assert.equal(failedOnes.data.length, 1);
    const refusal = failedOnes.data[0]!;
    assert.equal(refusal.rule, 'refused');
    assert.equal(refusal.attempts, 1, 'a permanent refusal is not tried again');
    assert.match(refusal.last_error ?? '', /^EENVELOPE at RCPT TO: 550 5\.1\.1 nobody: no such user here$/);
    assert.equal(failedOnes.counts.failed, 1);

    const sent = await h.outbox('?state=sent');
    assert.equal(sent.data.length, 1);
    assert.equal(sent.data[0]!.rule, 'deferred');
    assert.equal(sent.data[0]!.attempts, 3, 'two deferrals, then delivered');
    assert.equal(smtp.received[0]!.to[0], 'busy@example.org');

    const bad = await fetch(`${h.base}/api/v1/outbox?state=lost`);
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), {
      message: 'state: must be one of pending, sending, sent, failed, cancelled (got "lost")',
    });
    assert.equal((await fetch(`${h.base}/api/v1/outbox/999`)).status, 404);

    // Once the address exists, an operator puts the mail back in line; a sent one cannot be.
    smtp.rcpt = () => undefined;
    const retried = await fetch(`${h.base}/api/v1/outbox/${refusal.id}/retry`, { method: 'POST' });
    assert.equal(retried.status, 200);
    await smtp.waitForMails(2);
    await waitFor(
      'the retried mail sent',
      async () =>
        ((await (await fetch(`${h.base}/api/v1/outbox/${refusal.id}`)).json()) as { state: string }).state ===
        'sent',
    );
    const again = await fetch(`${h.base}/api/v1/outbox/${refusal.id}/retry`, { method: 'POST' });
    assert.equal(again.status, 409);
    assert.match(
      ((await again.json()) as { message: string }).message,
      /is sent: only a failed one can be sent again/,
    );
  });

  test('a decision that flips back and forth within the window sends one mail with the final state; one back where it started sends none', {
    timeout: 30_000,
  }, async (t) => {
    const h = await notifyHarness(t, {
      rules: [
        { name: 'gating', mail: 'decision-changed', recipients: ['qa@example.org'], debounceSeconds: 1 },
      ],
    });
    const other = { type: 'koji_build', id: 'zsh-5.9-4.fc41' };
    const finalState = {
      ...UNSATISFIED,
      summary: 'Of 2 required tests, 1 result missing',
      unsatisfied_requirements: [missing('fedora-ci.koji-build.tier1.functional')],
    };
    // bash: satisfied → unsatisfied → satisfied → unsatisfied (another reason); zsh: satisfied → unsatisfied → satisfied.
    await h.publish('greenwave.decision.update', decisionUpdate(SATISFIED, UNSATISFIED));
    await h.publish('greenwave.decision.update', decisionUpdate(SATISFIED, UNSATISFIED, other));
    await h.publish('greenwave.decision.update', decisionUpdate(UNSATISFIED, SATISFIED));
    await h.publish('greenwave.decision.update', decisionUpdate(UNSATISFIED, SATISFIED, other));
    await h.publish('greenwave.decision.update', decisionUpdate(SATISFIED, finalState));

    const [mail] = await h.smtp.waitForMails(1);
    await waitFor('the window of zsh closed', async () =>
      (await h.outbox()).data.every((e) => Date.parse(e.due) < Date.now() - 200),
    );
    await sleep(300);
    assert.equal(h.smtp.received.length, 1, 'one mail for bash, none for zsh');
    assert.match(mail!.subject, /^\[sluice\] gating bash-5\.2\.26-3\.fc41 .*: satisfied → unsatisfied$/);
    assert.match(mail!.text, /After: +unsatisfied: Of 2 required tests, 1 result missing/);
    assert.match(mail!.text, /fedora-ci\.koji-build\.tier1\.functional: no result yet \[new\]/);
    assert.ok(
      !mail!.text.includes('dist.rpmdeplint: failed'),
      'the mail tells the final state, not the first',
    );

    const { data, counts } = await h.outbox();
    assert.deepEqual(counts, { pending: 0, sending: 0, sent: 1, failed: 0, cancelled: 1 });
    const cancelled = data.find((e) => e.state === 'cancelled')!;
    assert.match(cancelled.subject, /zsh-5\.9-4\.fc41/);
    assert.match(cancelled.last_error ?? '', /went back to what it was before the first change/);
  });

  test('the embedded default writes each mail as an .eml file under the mail folder', {
    timeout: 30_000,
  }, async (t) => {
    const h = await notifyHarness(t, {
      transport: 'file',
      rules: [
        { name: 'gating', mail: 'decision-changed', recipients: ['qa@example.org'], debounceSeconds: 0 },
      ],
    });
    await h.publish('greenwave.decision.update', decisionUpdate(SATISFIED, UNSATISFIED));
    const { readdir, readFile } = await import('node:fs/promises');
    const { simpleParser } = await import('mailparser');
    const dir = h.service.ctx.config.notify.mailDir;
    const files = await waitFor('a mail file', async () => {
      const emls = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.eml'));
      return emls.length ? emls : undefined;
    });
    assert.equal(files.length, 1);
    const parsed = await simpleParser(await readFile(`${dir}/${files[0]}`));
    assert.match(parsed.subject ?? '', /satisfied → unsatisfied$/);
    assert.equal(!Array.isArray(parsed.to) ? parsed.to?.text : '', 'qa@example.org');
    const [entry] = (await h.outbox()).data;
    assert.equal(parsed.messageId, entry!.message_id);
    assert.equal(entry!.state, 'sent');
    assert.equal(h.smtp.received.length, 0, 'nothing went to the SMTP server');
  });
});
