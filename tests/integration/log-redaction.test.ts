import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashToken } from '../../api/auth.js';
import { SluiceService } from '../../service/sluice-service.js';
import { capturingLogger, testConfig, testRegistry } from '../support/test-config.js';

const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';

test('secrets are censored at every depth: passwords, tokens, private keys, authorization headers, credentials in URLs', () => {
  const { log, lines, text } = capturingLogger();
  log.info({ password: 'pw-depth-1' }, 'one');
  log.info({ config: { bus: { tls: { passphrase: 'pw-depth-3' } } } }, 'three');
  log.info({ a: { b: { c: { d: { e: { token: 'tok-depth-6', kept: 'visible-6' } } } } } }, 'six');
  log.info(
    { req: { headers: { authorization: 'Bearer tok-in-header', 'user-agent': 'visible-agent' } } },
    'headers',
  );
  log.info({ smtp: [{ auth: { user: 'mailer', pass: 'smtp-pass-in-array' } }] }, 'array');
  log.info(
    {
      builder: {
        ssh: { privateKey: 'ssh-key-material', private_key: 'more-key-material', host: 'visible-host' },
      },
    },
    'keys',
  );
  log.info({ note: `key follows ${PEM}` }, 'pem');
  log.info({ url: 'amqps://sluice:url-pass@broker.example:5671/' }, 'url field');
  log.warn(`cannot reach amqp://sluice:msg-pass@broker.example`);
  log.error({ err: new Error('connect to amqp://sluice:err-pass@broker.example failed') }, 'error object');
  log.child({ credentials: { apiKey: 'child-binding-secret' }, part: 'visible-part' }).info('child');

  const out = text();
  for (const secret of [
    'pw-depth-1',
    'pw-depth-3',
    'tok-depth-6',
    'tok-in-header',
    'smtp-pass-in-array',
    'ssh-key-material',
    'more-key-material',
    'MIIEvQIBADAN',
    'url-pass',
    'msg-pass',
    'err-pass',
    'child-binding-secret',
  ]) {
    assert.ok(!out.includes(secret), `"${secret}" leaked: ${out}`);
  }
  // What is not a secret stays, so the logs remain useful.
  for (const kept of [
    'visible-6',
    'visible-agent',
    'mailer',
    'visible-host',
    'visible-part',
    'amqps://sluice:***@broker.example',
    'connect to amqp://sluice:***@broker.example failed',
  ]) {
    assert.ok(out.includes(kept), `"${kept}" missing: ${out}`);
  }
  // Still one JSON object per line, the censored values marked.
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(parsed.length, 11);
  assert.equal(
    (parsed[2] as { a: { b: { c: { d: { e: { token: string } } } } } }).a.b.c.d.e.token,
    '[redacted]',
  );
  assert.equal((parsed[9] as { err: { type: string } }).err.type, 'Error');
});

test('an HTTP request with a bearer token and a publish refused for a bad body log nothing secret; each line carries the request id the response names', async (t) => {
  const { log, lines, text } = capturingLogger('debug');
  const config = testConfig({
    log: { level: 'debug' },
    auth: { tokens: [{ user: 'ci', sha256: hashToken('very-secret-token'), scopes: ['messages:publish'] }] },
  });
  const service = await SluiceService.create({
    config,
    log,
    registry: testRegistry(),
    processMetrics: false,
  });
  const base = await service.start();
  t.after(() => service.stop());
  const res = await fetch(`${base}/api/v1/messages`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer very-secret-token',
      'content-type': 'application/json',
      'x-request-id': 'trace-me-42',
    },
    body: JSON.stringify({ topic: 'test.redaction', body: { n: 1, password: 'body-password' } }),
  });
  assert.equal(res.status, 400); // the test schema refuses the extra field
  assert.equal(res.headers.get('x-request-id'), 'trace-me-42');
  const ok = await fetch(`${base}/api/v1/messages`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer very-secret-token',
      'content-type': 'application/json',
      'x-request-id': 'trace-me-43',
    },
    body: JSON.stringify({ topic: 'test.redaction', body: { n: 2 } }),
  });
  assert.equal(ok.status, 202);
  const { message_id } = (await ok.json()) as { message_id: string };
  assert.ok(!text().includes('very-secret-token'));
  assert.ok(!text().includes('body-password'));
  const mine = lines
    .map((l) => JSON.parse(l) as { reqId?: string; messageId?: string; msg?: string })
    .filter((l) => l.reqId === 'trace-me-43');
  assert.ok(
    mine.some((l) => l.msg === 'message published' && l.messageId === message_id),
    text(),
  );
  assert.ok(
    mine.some((l) => l.msg === 'request completed'),
    text(),
  );
});

test('a request without a usable X-Request-ID gets one made up: distinct per request, prefixed by a random per-process part', async (t) => {
  const config = testConfig();
  const service = await SluiceService.create({
    config,
    log: capturingLogger().log,
    registry: testRegistry(),
    processMetrics: false,
  });
  const base = await service.start();
  t.after(() => service.stop());
  const ids: string[] = [];
  for (const given of [undefined, undefined, 'has spaces/and slashes', 'x'.repeat(129)]) {
    const res = await fetch(`${base}/healthz`, {
      headers: given === undefined ? {} : { 'x-request-id': given },
    });
    assert.equal(res.status, 200);
    ids.push(res.headers.get('x-request-id') ?? '');
  }
  assert.equal(new Set(ids).size, ids.length, ids.join(' '));
  for (const id of ids) assert.match(id, /^[0-9a-f]{12}-[0-9a-z]+$/);
  assert.equal(new Set(ids.map((id) => id.split('-')[0])).size, 1, 'one process, one prefix');
});

test("fastify's request lines carry the method, URL, status code and duration (not {} from a copied request)", async (t) => {
  const { log, lines } = capturingLogger('info');
  const service = await SluiceService.create({
    config: testConfig(),
    log,
    registry: testRegistry(),
    processMetrics: false,
  });
  const base = await service.start();
  t.after(() => service.stop());
  const res = await fetch(`${base}/api/v1/nodes/424242?x=1`, {
    headers: { authorization: 'Bearer tok-must-not-show' },
  });
  assert.equal(res.status, 404);
  const id = res.headers.get('x-request-id');
  const mine = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.reqId === id);
  const incoming = mine.find((l) => l.msg === 'incoming request');
  const completed = mine.find((l) => l.msg === 'request completed');
  assert.deepEqual((incoming?.req as { method?: string; url?: string }) ?? {}, {
    method: 'GET',
    url: '/api/v1/nodes/424242?x=1',
    host: new URL(base!).hostname,
  });
  assert.deepEqual(completed?.res, { statusCode: 404 });
  assert.equal((completed?.req as { url?: string } | undefined)?.url, '/api/v1/nodes/424242?x=1');
  assert.equal(typeof completed?.responseTime, 'number');
  assert.ok(!lines.join('\n').includes('tok-must-not-show'));
});
