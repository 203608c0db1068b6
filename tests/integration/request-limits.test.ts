import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { freePort } from '../support/cli.js';
import { opsService } from '../support/ops-service.js';

const json = (res: Response) => res.json() as Promise<{ message: string }>;

test('a body over server.bodyLimitBytes gets 413, invalid JSON 400, an unknown content type 415, each with a message', async (t) => {
  const service = await opsService({ server: { bodyLimitBytes: 4096 } });
  const base = (await service.start())!;
  t.after(() => service.stop());
  const post = (body: string, type = 'application/json') =>
    fetch(`${base}/api/v2.0/results`, { method: 'POST', headers: { 'content-type': type }, body });

  const big = await post(JSON.stringify({ testcase: 'x', outcome: 'PASSED', note: 'n'.repeat(10_000) }));
  assert.equal(big.status, 413);
  assert.match((await json(big)).message, /body/i);

  const broken = await post('{"testcase": "x", ');
  assert.equal(broken.status, 400);
  assert.match((await json(broken)).message, /JSON/);

  const wrongType = await post('testcase=x', 'application/x-www-form-urlencoded');
  assert.equal(wrongType.status, 415);
  assert.ok((await json(wrongType)).message.length > 0);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
});

test('page sizes are capped: a limit above 1000 gives 1000 at most, a limit that is not a number is refused with 400', async (t) => {
  const service = await opsService();
  const base = (await service.start())!;
  t.after(() => service.stop());
  const rows = Array.from({ length: 1005 }, (_, i) => ({
    testcase: 'cap.case',
    outcome: 'PASSED',
    data: { n: String(i) },
  }));
  for (const r of rows) service.ctx.resultIntake.submit(r);
  const huge = await fetch(`${base}/api/v2.0/results?limit=99999999999999999999`);
  assert.equal(huge.status, 200);
  const page = (await huge.json()) as { data: unknown[]; next: string | null };
  assert.equal(page.data.length, 1000);
  assert.ok(page.next);
  for (const url of [
    '/api/v2.0/results?limit=abc',
    '/api/v2.0/results?limit=-1',
    '/api/v1.0/waivers/?limit=x',
    '/api/v1/dlq?limit=100000',
    '/api/v1/dlq?limit=1e309',
  ]) {
    const res = await fetch(base + url);
    assert.equal(res.status, 400, url);
    assert.match((await json(res)).message, /limit/, url);
  }
  // Pages so far out that the offset would not fit SQLite (both were 500s before fuzzing found them).
  for (const url of [
    '/api/v2.0/groups?page=99999999999999999999999',
    '/api/v2.0/results?page=1e30',
    '/api/v1.0/waivers/?page=-99999999999999999999',
  ]) {
    const res = await fetch(base + url);
    assert.equal(res.status, 400, url);
    assert.match((await json(res)).message, /page/, url);
  }
});

test('a handler that does not answer within server.requestTimeoutMs gets 503 with a message (a publish to an unreachable broker)', async (t) => {
  const port = await freePort(); // nothing listens there
  const service = await opsService({
    server: { requestTimeoutMs: 400 },
    bus: {
      url: `amqp://sluice:broker-password@127.0.0.1:${port}`,
      connectTimeoutMs: 200,
      confirmTimeoutMs: 5000,
    },
  });
  const base = (await service.start())!;
  t.after(() => service.stop());
  const started = Date.now();
  const res = await fetch(`${base}/api/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic: 'test.slow', body: { n: 1 } }),
  });
  assert.equal(res.status, 503);
  const { message } = await json(res);
  assert.match(message, /requestTimeoutMs/);
  assert.ok(Date.now() - started < 3000, 'answered at the time limit, not when the bus gave up');
  assert.ok(!message.includes('broker-password'));
  const ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 503);
  const text = await ready.text();
  assert.ok(!text.includes('broker-password') && text.includes('sluice:***@'), text);
});

test('a request whose body never finishes arriving gets 408 with a message, and the connection is closed', async (t) => {
  const service = await opsService({ server: { requestTimeoutMs: 500 } });
  await service.start();
  t.after(() => service.stop());
  const { port } = service.http!.app.server.address() as net.AddressInfo;
  const socket = net.connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (d) => (answer += d.toString()));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.write(
    'POST /api/v2.0/results HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"testcase":',
  );
  const started = Date.now();
  await closed;
  assert.match(answer, /^HTTP\/1\.1 408/);
  assert.match(answer, /"message":"the request did not arrive completely within server.requestTimeoutMs"/);
  assert.ok(Date.now() - started < 5000);
});

test('event streams are bounded by server.maxEventStreams: one more gets 503 until one closes', async (t) => {
  const service = await opsService({ server: { maxEventStreams: 2 } });
  const base = (await service.start())!;
  t.after(() => service.stop());
  const open = async () => {
    const abort = new AbortController();
    const res = await fetch(`${base}/api/v1/events`, { signal: abort.signal });
    return { res, close: () => abort.abort() };
  };
  const first = await open();
  const second = await open();
  assert.equal(first.res.status, 200);
  assert.equal(second.res.status, 200);
  const third = await open();
  assert.equal(third.res.status, 503);
  assert.equal(third.res.headers.get('retry-after'), '5');
  assert.match((await json(third.res)).message, /maxEventStreams = 2/);
  first.close();
  let fourth: Awaited<ReturnType<typeof open>> | undefined;
  for (let i = 0; i < 50 && fourth?.res.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 50));
    fourth = await open();
  }
  assert.equal(fourth!.res.status, 200);
  second.close();
  fourth!.close();
});
