import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SluiceService } from '../../service/sluice-service.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';
import { SseStream, type SseEvent } from '../support/sse-stream.js';
import { waitFor } from '../support/wait-for.js';

describe('the HTTP API', () => {
  let service: SluiceService;
  let base: string;

  before(async () => {
    service = await SluiceService.create({
      config: testConfig(),
      log: silentLogger(),
      registry: testRegistry(),
    });
    const address = await service.start();
    assert.ok(address, 'start() returns the address');
    base = address;
  });
  after(() => service?.stop());

  const post = (body: string, contentType = 'application/json') =>
    fetch(`${base}/api/v1/messages`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const publish = async (topic: string, body: unknown): Promise<string> => {
    const res = await post(JSON.stringify({ topic, body }));
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as { message_id: string }).message_id;
  };

  describe('health', () => {
    test('GET /healthz answers 200 {status: "ok"}', async () => {
      const res = await fetch(`${base}/healthz`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: 'ok' });
    });

    test('GET /readyz answers 200 with the store and bus checks passing', async () => {
      const res = await fetch(`${base}/readyz`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        status: string;
        checks: { store: { ok: boolean }; bus: { ok: boolean; kind: string } };
      };
      assert.equal(body.status, 'ready');
      assert.equal(body.checks.store.ok, true);
      assert.equal(body.checks.bus.ok, true);
      assert.equal(body.checks.bus.kind, 'embedded');
    });
  });

  describe('POST /api/v1/messages', () => {
    test('a valid message is accepted with 202 and its message_id', async () => {
      const res = await post(JSON.stringify({ topic: 'test.a', body: { n: 1 } }));
      assert.equal(res.status, 202);
      const answer = (await res.json()) as Record<string, unknown>;
      assert.match(String(answer.message_id), /^[0-9a-f-]{36}$/);
      assert.equal(answer.topic, 'test.a');
      assert.equal(answer.schema, 'https://sluice.dev/schemas/test/test.item.json');
      // and it crossed the bus: the event log has it
      await waitFor('the event log to record it', () =>
        service.ctx.eventLog.after(0, ['test.a']).events.some((e) => e.messageId === answer.message_id),
      );
    });

    const refusals: Array<[what: string, send: () => Promise<Response>, status: number, message: RegExp]> = [
      [
        'an invalid body',
        () => post(JSON.stringify({ topic: 'test.a', body: { n: 'one' } })),
        400,
        /body\.n: must be integer/,
      ],
      [
        'a body with an unknown field',
        () => post(JSON.stringify({ topic: 'test.a', body: { n: 1, x: 2 } })),
        400,
        /body\.x: is not an allowed property/,
      ],
      ['a missing topic', () => post(JSON.stringify({ body: { n: 1 } })), 400, /topic/],
      ['a missing body', () => post(JSON.stringify({ topic: 'test.a' })), 400, /body/],
      [
        'an unknown topic',
        () => post(JSON.stringify({ topic: 'nobody.knows', body: {} })),
        400,
        /no schema is registered for "nobody\.knows"/,
      ],
      ['invalid JSON', () => post('{"topic": "test.a", "body": '), 400, /JSON/i],
      [
        'a body that is not a JSON object',
        () => post('topic=test.a', 'text/plain'),
        400,
        /^body must be object$/,
      ],
    ];
    for (const [what, send, status, message] of refusals) {
      test(`${what} is refused with ${status} {message}`, async () => {
        const res = await send();
        assert.equal(res.status, status);
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        const answer = (await res.json()) as { message?: unknown };
        assert.equal(typeof answer.message, 'string');
        assert.match(answer.message as string, message);
      });
    }

    test('a refused message is not published', async () => {
      const before = service.ctx.eventLog.lastId();
      await post(JSON.stringify({ topic: 'test.refused', body: { n: -1 } }));
      const marker = await publish('test.marker', { n: 0 });
      const events = await waitFor('the marker in the event log', () => {
        const found = service.ctx.eventLog.after(before, []).events;
        return found.some((e) => e.messageId === marker) ? found : undefined;
      });
      assert.deepEqual(
        events.map((e) => e.topic),
        ['test.marker'],
      );
    });
  });

  // Port 0 in the configuration: links carry the port the server got, and the configuration,
  // frozen at start-up, still says what was configured.
  test('links carry the port bound for port 0 without rewriting the frozen configuration', async () => {
    const res = await fetch(`${base}/api/v2.0/`);
    const body = (await res.json()) as { results: string };
    assert.equal(body.results, `${base}/api/v2.0/results`);
    assert.equal(service.ctx.config.serverUrl, 'http://127.0.0.1:0');
    assert.ok(Object.isFrozen(service.ctx.config) && Object.isFrozen(service.ctx.config.server));
  });

  test('an unknown route answers 404 {message}', async () => {
    const res = await fetch(`${base}/api/v1/nothing-here?x=1`);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { message: 'no route for GET /api/v1/nothing-here' });
  });

  describe('GET /api/v1/events (server-sent events)', () => {
    test('streams matching messages as id/event/data blocks, and resumes from Last-Event-ID', async (t) => {
      const first = await SseStream.open(`${base}/api/v1/events?topic=test.*`);
      t.after(() => first.close());
      assert.equal(first.response.status, 200);
      assert.match(first.response.headers.get('content-type') ?? '', /^text\/event-stream/);
      await first.ready();

      const id1 = await publish('test.first', { n: 1, label: 'one' });
      const e1 = await first.next();
      assert.match(e1.id ?? '', /^\d+$/);
      assert.equal(e1.event, 'test.first');
      const data1 = JSON.parse(e1.data) as {
        id: string;
        topic: string;
        headers: Record<string, unknown>;
        body: unknown;
      };
      assert.equal(data1.id, id1);
      assert.equal(data1.topic, 'test.first');
      assert.deepEqual(data1.body, { n: 1, label: 'one' });
      assert.equal(data1.headers.sluice_schema, 'https://sluice.dev/schemas/test/test.item.json');
      first.close();

      // While nobody listens: two matching messages and two that `test.*` does not match.
      const missed = [await publish('test.second', { n: 2 })];
      await publish('test.deeper.topic', { n: 3 });
      await publish('git.receive', { repo: 'rpms/bash', branch: 'rawhide', revision: 'abcdef1' });
      missed.push(await publish('test.third', { n: 4 }));

      const resumed = await SseStream.open(`${base}/api/v1/events?topic=test.*`, { 'last-event-id': e1.id! });
      t.after(() => resumed.close());
      assert.equal(resumed.response.status, 200);
      const got: SseEvent[] = [await resumed.next(), await resumed.next()];
      // One more, published now, is the next thing the stream gives: nothing else slipped in.
      const live = await publish('test.fourth', { n: 5 });
      got.push(await resumed.next());
      const ids = got.map((e) => (JSON.parse(e.data) as { id: string }).id);
      assert.deepEqual(ids, [...missed, live]);
      assert.deepEqual(
        got.map((e) => e.event),
        ['test.second', 'test.third', 'test.fourth'],
      );
      const eventIds = got.map((e) => Number(e.id));
      assert.ok(
        eventIds.every((id, i) => id > (i === 0 ? Number(e1.id) : eventIds[i - 1]!)),
        `event ids increase: ${eventIds}`,
      );
    });

    test('without Last-Event-ID a new stream starts at the present', async (t) => {
      await publish('test.old', { n: 1 });
      await waitFor(
        'the event log to catch up',
        () => service.ctx.eventLog.after(0, ['test.old']).events.length > 0,
      );
      const stream = await SseStream.open(`${base}/api/v1/events?topic=test.%23`);
      t.after(() => stream.close());
      await stream.ready();
      const fresh = await publish('test.new', { n: 2 });
      const e = await stream.next();
      assert.equal((JSON.parse(e.data) as { id: string }).id, fresh);
    });

    test('several patterns, as repeated topic parameters, are all followed', async (t) => {
      const stream = await SseStream.open(`${base}/api/v1/events?topic=git.%23&topic=test.x`);
      t.after(() => stream.close());
      await stream.ready();
      await publish('test.y', { n: 1 });
      await publish('test.x', { n: 2 });
      await publish('git.receive', { repo: 'r', branch: 'b', revision: '1234567' });
      assert.deepEqual([(await stream.next()).event, (await stream.next()).event], ['test.x', 'git.receive']);
    });

    const badRequests: Array<
      [what: string, query: string, headers: Record<string, string>, message: RegExp]
    > = [
      ['a bad pattern', '?topic=test.a*', {}, /topic: "test\.a\*" is not a topic pattern/],
      ['an empty word in a pattern', '?topic=test..a', {}, /is not a topic pattern/],
      ['a Last-Event-ID that is not a number', '?topic=test.*', { 'last-event-id': 'abc' }, /Last-Event-ID/],
    ];
    for (const [what, query, headers, message] of badRequests) {
      test(`${what} is refused with 400 {message}`, async () => {
        const res = await fetch(`${base}/api/v1/events${query}`, { headers });
        assert.equal(res.status, 400);
        const answer = (await res.json()) as { message: string };
        assert.match(answer.message, message);
      });
    }
  });
});
