import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceService } from '../../service/sluice-service.js';
import { SseStream, type SseEvent } from '../support/sse-stream.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';

test('SSE resume after a dropped connection misses nothing: a burst read half, dropped, resumed with Last-Event-ID, arrives whole, in order, once', {
  timeout: 60_000,
}, async (t) => {
  const service = await SluiceService.create({
    config: testConfig(),
    log: silentLogger(),
    registry: testRegistry(),
  });
  const base = (await service.start())!;
  t.after(() => service.stop());
  const TOTAL = 200;
  const publish = async (n: number) => {
    const res = await fetch(`${base}/api/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'test.burst', body: { n } }),
    });
    assert.equal(res.status, 202);
  };
  const first = await SseStream.open(`${base}/api/v1/events?topic=test.burst`);
  t.after(() => first.close());
  await first.ready();

  // Messages keep coming while the client reads, drops its connection, and comes back.
  const publishing = (async () => {
    for (let n = 0; n < TOTAL; n++) {
      await publish(n);
      if (n % 20 === 0) await sleep(5);
    }
  })();
  const got: SseEvent[] = [];
  while (got.length < 40) got.push(await first.next());
  first.close();
  await sleep(100);
  const second = await SseStream.open(`${base}/api/v1/events?topic=test.burst`, {
    'last-event-id': got[got.length - 1]!.id!,
  });
  t.after(() => second.close());
  while (got.length < TOTAL) got.push(await second.next());
  await publishing;

  const ns = got.map((e) => (JSON.parse(e.data) as { body: { n: number } }).body.n);
  assert.deepEqual(
    ns,
    Array.from({ length: TOTAL }, (_, i) => i),
    'every message once, in the order it was published',
  );
  const ids = got.map((e) => Number(e.id));
  assert.ok(
    ids.every((id, i) => i === 0 || id > ids[i - 1]!),
    'event ids increase across the reconnection',
  );
  // And nothing more is pending: the next event is one published now.
  await publish(TOTAL);
  assert.equal((JSON.parse((await second.next()).data) as { body: { n: number } }).body.n, TOTAL);
});
