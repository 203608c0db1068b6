import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { verifySignature } from '../../notify/webhook-signature.js';
import { freePort } from '../support/cli.js';
import { decisionUpdate, SATISFIED, UNSATISFIED } from '../support/notify-fixtures.js';
import { notifyHarness } from '../support/notify-service.js';
import { waitFor } from '../support/wait-for.js';

interface Call {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver on loopback that answers each call with the next status of `statuses` (the last one repeats). */
async function receiver(
  t: TestContext,
  statuses: Record<string, number[]>,
): Promise<{ base: string; calls: Call[] }> {
  const calls: Call[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      calls.push({ path: req.url ?? '', headers: req.headers, body });
      const list = statuses[req.url ?? ''] ?? [404];
      const n = calls.filter((c) => c.path === req.url).length;
      const status = list[Math.min(n, list.length) - 1]!;
      res
        .writeHead(status, { 'content-type': 'text/plain' })
        .end(status < 300 ? 'ok' : `no: status ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls };
}

const SECRET = 'a-webhook-secret-of-some-length';

test('a webhook receives the message body signed with HMAC-SHA256, retried after a 5xx under the same delivery id; a 4xx is a refusal', {
  timeout: 30_000,
}, async (t) => {
  const r = await receiver(t, { '/hooks/gating': [503, 200], '/hooks/gone': [410] });
  const h = await notifyHarness(t, {
    rules: [
      {
        name: 'to-ci-dashboard',
        topics: ['greenwave.decision.update'],
        when: { decision: 'became-unsatisfied' },
        webhook: { url: `${r.base}/hooks/gating`, secret: SECRET },
      },
      {
        name: 'to-old-tool',
        topics: ['greenwave.#'],
        webhook: { url: `${r.base}/hooks/gone`, secret: 'another-secret-0123456789' },
      },
    ],
  });
  const body = decisionUpdate(SATISFIED, UNSATISFIED);
  const messageId = await h.publish('greenwave.decision.update', body);
  // Became satisfied: not what the first rule posts; the second posts every decision.
  await h.publish('greenwave.decision.update', decisionUpdate(UNSATISFIED, SATISFIED));

  await waitFor(
    'the retried call and both calls of the other rule',
    () =>
      r.calls.filter((c) => c.path === '/hooks/gating').length >= 2 &&
      r.calls.filter((c) => c.path === '/hooks/gone').length >= 2,
  );
  await sleep(300);
  const gating = r.calls.filter((c) => c.path === '/hooks/gating');
  assert.equal(gating.length, 2, 'one call answered 503, then the same call again');
  const [first, second] = gating as [Call, Call];
  assert.equal(second.body, first.body);
  assert.deepEqual(JSON.parse(second.body), body, 'the body is the message body');
  const expected = `sha256=${createHmac('sha256', SECRET).update(second.body, 'utf8').digest('hex')}`;
  assert.equal(second.headers['x-sluice-signature'], expected);
  assert.equal(verifySignature(SECRET, second.body, second.headers['x-sluice-signature'] as string), true);
  assert.equal(
    verifySignature('not-the-secret', second.body, second.headers['x-sluice-signature'] as string),
    false,
  );
  assert.equal(second.headers['content-type'], 'application/json');
  assert.equal(second.headers['x-sluice-topic'], 'greenwave.decision.update');
  assert.equal(second.headers['x-sluice-message-id'], messageId);
  assert.match(String(second.headers['x-sluice-delivery']), /^[0-9a-f-]{36}$/);
  assert.equal(
    second.headers['x-sluice-delivery'],
    first.headers['x-sluice-delivery'],
    'a retry is recognisable as the same delivery',
  );

  const { data } = await h.outbox('?kind=webhook');
  const byRule = (rule: string) => data.filter((e) => e.rule === rule);
  assert.deepEqual(
    byRule('to-ci-dashboard').map((e) => [e.state, e.attempts]),
    [['sent', 2]],
  );
  assert.match(byRule('to-ci-dashboard')[0]!.last_error ?? 'none', /none|HTTP 503/);
  assert.deepEqual(
    byRule('to-old-tool').map((e) => [e.state, e.attempts]),
    [
      ['failed', 1],
      ['failed', 1],
    ],
  );
  assert.match(
    byRule('to-old-tool')[0]!.last_error ?? '',
    /^POST http:\/\/127\.0\.0\.1:\d+\/hooks\/gone: HTTP 410 no: status 410$/,
  );
  assert.deepEqual(byRule('to-old-tool')[0]!.recipients, [`${r.base}/hooks/gone`]);
});

test('a webhook that does not answer is retried, and the secret never shows in the outbox listing', {
  timeout: 30_000,
}, async (t) => {
  const port = await freePort(); // nothing listens there
  const h = await notifyHarness(t, {
    rules: [
      {
        name: 'nowhere',
        topics: ['greenwave.decision.update'],
        webhook: { url: `http://127.0.0.1:${port}/hook`, secret: SECRET },
      },
    ],
  });
  await h.publish('greenwave.decision.update', decisionUpdate(SATISFIED, UNSATISFIED));
  const entry = await waitFor('two failed attempts', async () =>
    (await h.outbox()).data.find((e) => e.attempts >= 2),
  );
  assert.equal(entry.state, 'pending');
  assert.equal(entry.last_error, `POST http://127.0.0.1:${port}/hook: ECONNREFUSED`);
  const listing = JSON.stringify(await h.outbox());
  assert.ok(!listing.includes(SECRET));
});
