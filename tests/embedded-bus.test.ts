import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BusMessage, ConsumerSpec, HandlerResult } from '../bus/bus.js';
import { EmbeddedBus } from '../bus/embedded-bus.js';
import type { CompiledConfig } from '../config/config-types.js';
import { migrate } from '../db/migrate.js';
import { openDatabase, type Db } from '../db/open-database.js';
import { MessageValidationError } from '../errors/message-validation-error.js';
import { tempDir } from './support/paths.js';
import { silentLogger, testConfig, testRegistry } from './support/test-config.js';
import { waitFor } from './support/wait-for.js';

const registry = testRegistry();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Databases and buses for one test, torn down in the right order (buses stop before their
 * database closes). `file` is a store that several connections (several "processes") share.
 */
class Harness {
  readonly file = path.join(tempDir('sluice-bus-'), 'sluice.db');
  readonly config: CompiledConfig['bus'];
  private readonly dbs: Db[] = [];
  private readonly buses: EmbeddedBus[] = [];

  constructor(t: TestContext, config: CompiledConfig['bus'] = testConfig().bus) {
    this.config = config;
    t.after(async () => {
      for (const bus of this.buses) await bus.stop();
      for (const db of this.dbs) if (db.open) db.close();
    });
  }

  /** A new connection to the shared file, migrated. */
  db(): Db {
    const db = openDatabase(this.file);
    migrate(db);
    this.dbs.push(db);
    return db;
  }

  /** A bus on a new connection (or `db`), with `consumers` registered; not started. */
  bus(consumers: ConsumerSpec[] = [], db: Db = this.db(), { stopAtEnd = true } = {}): EmbeddedBus {
    const bus = new EmbeddedBus(db, registry, this.config, silentLogger());
    for (const c of consumers) bus.consume(c);
    if (stopAtEnd) this.buses.push(bus);
    return bus;
  }

  queued(db: Db, queue?: string): number {
    const sql = queue ? 'SELECT COUNT(*) AS n FROM bus_queue WHERE queue = ?' : 'SELECT COUNT(*) AS n FROM bus_queue';
    return (db.prepare(sql).get(...(queue ? [queue] : [])) as { n: number }).n;
  }
}

/** A consumer that records what it is given. */
function recorder(name: string, topics: string[], handle: (m: BusMessage) => HandlerResult | Promise<HandlerResult> = () => undefined) {
  const seen: BusMessage[] = [];
  const spec: ConsumerSpec = {
    name,
    topics,
    handle: (m) => {
      seen.push(m);
      return handle(m);
    },
  };
  return { spec, seen };
}

describe('EmbeddedBus: publish and consume', () => {
  test('a published message reaches its consumer with id, topic, body and headers', async (t) => {
    const h = new Harness(t);
    const c = recorder('round-trip', ['test.#']);
    const bus = h.bus([c.spec]);
    await bus.start();

    const receipt = await bus.publish('test.item', { n: 1, label: 'hello' }, { headers: { trace: 'abc' } });
    assert.match(receipt.messageId, UUID);
    assert.equal(receipt.topic, 'test.item');
    assert.equal(receipt.routingKey, h.config.topicPrefix + 'test.item');
    assert.equal(receipt.schemaId, 'https://sluice.dev/schemas/test/test.item.json');

    await waitFor('the delivery', () => c.seen.length === 1);
    const m = c.seen[0]!;
    assert.equal(m.messageId, receipt.messageId);
    assert.equal(m.topic, 'test.item');
    assert.deepEqual(m.body, { n: 1, label: 'hello' });
    assert.equal(m.attempt, 1);
    assert.equal(m.headers.trace, 'abc');
    assert.equal(m.headers.sluice_schema, receipt.schemaId);
    assert.ok(!Number.isNaN(Date.parse(String(m.headers['sent-at']))), 'sent-at is a timestamp');
    // The same fedora-messaging headers as on RabbitMQ, for taps and consumers alike.
    assert.equal(m.headers.fedora_messaging_schema, 'base.message');
    assert.equal(m.headers.fedora_messaging_severity, 20);
  });

  test('a consumer with skipHandled never gets what was published as handled by it; everybody else does', async (t) => {
    const h = new Harness(t);
    const db = h.db();
    const skipping = recorder('skips', ['test.#']);
    const all = recorder('all', ['test.#']);
    const bus = h.bus([{ ...skipping.spec, skipHandled: true }, all.spec], db);
    await bus.start();
    await bus.publish('test.a', { n: 1 }, { handledBy: 'skips' });
    await bus.publish('test.a', { n: 2 }, { handledBy: 'someone-else' });
    await bus.publish('test.a', { n: 3 });
    await waitFor('every queue to drain', () => h.queued(db) === 0 && all.seen.length === 3);
    assert.deepEqual(skipping.seen.map((m) => (m.body as { n: number }).n).sort(), [2, 3]);
    assert.equal(all.seen.find((m) => (m.body as { n: number }).n === 1)!.headers['sluice-handled-by'], h.config.queuePrefix + 'skips');
  });

  test('a given messageId is kept', async (t) => {
    const h = new Harness(t);
    const c = recorder('keeps-id', ['test.#']);
    const bus = h.bus([c.spec]);
    await bus.start();
    const receipt = await bus.publish('test.a', { n: 2 }, { messageId: 'my-own-id' });
    assert.equal(receipt.messageId, 'my-own-id');
    await waitFor('the delivery', () => c.seen.length === 1);
    assert.equal(c.seen[0]!.messageId, 'my-own-id');
  });

  test('routes by `*` and `#` bindings, each consumer getting only what it is bound to', async (t) => {
    const h = new Harness(t);
    const db = h.db();
    const consumers = {
      oneWord: recorder('one-word', ['test.*']),
      anyDepth: recorder('any-depth', ['test.#']),
      exact: recorder('exact', ['test.b.c']),
      endsInC: recorder('ends-in-c', ['#.c']),
      twoBindings: recorder('two-bindings', ['test.a', 'test.*.z']),
      git: recorder('git', ['git.*']),
    };
    const bus = h.bus(Object.values(consumers).map((c) => c.spec), db);
    await bus.start();
    for (const [i, topic] of ['test.a', 'test.b.c', 'test.x.y.z', 'test.c', 'test.q.z'].entries()) await bus.publish(topic, { n: i });
    await waitFor('every queue to drain', () => h.queued(db) === 0);

    const topics = (c: { seen: BusMessage[] }) => c.seen.map((m) => m.topic).sort();
    assert.deepEqual(topics(consumers.oneWord), ['test.a', 'test.c']);
    assert.deepEqual(topics(consumers.anyDepth), ['test.a', 'test.b.c', 'test.c', 'test.q.z', 'test.x.y.z']);
    assert.deepEqual(topics(consumers.exact), ['test.b.c']);
    assert.deepEqual(topics(consumers.endsInC), ['test.b.c', 'test.c']);
    assert.deepEqual(topics(consumers.twoBindings), ['test.a', 'test.q.z']);
    assert.deepEqual(topics(consumers.git), []);
  });

  test('a consumer gets its messages in the order they were published', async (t) => {
    const h = new Harness(t);
    const c = recorder('ordered', ['test.#']);
    const bus = h.bus([{ ...c.spec, prefetch: 1 }]);
    await bus.start();
    for (let n = 0; n < 20; n++) await bus.publish('test.seq', { n });
    await waitFor('all 20', () => c.seen.length === 20);
    assert.deepEqual(
      c.seen.map((m) => (m.body as { n: number }).n),
      Array.from({ length: 20 }, (_, n) => n),
    );
  });

  test('subscribe taps matching topics until closed', async (t) => {
    const h = new Harness(t);
    const bus = h.bus();
    await bus.start();
    const tapped: string[] = [];
    const sub = await bus.subscribe(['test.*'], (m) => tapped.push(m.topic));
    await bus.publish('test.a', { n: 1 });
    await bus.publish('test.a.b', { n: 2 });
    await sub.close();
    await bus.publish('test.c', { n: 3 });
    assert.deepEqual(tapped, ['test.a']);
  });

  test('a consumer name registered twice is refused', (t) => {
    const h = new Harness(t);
    const bus = h.bus([recorder('twice', ['#']).spec]);
    assert.throws(() => bus.consume(recorder('twice', ['test.#']).spec), { code: 'CONSUMER_DUPLICATE' });
  });
});

describe('EmbeddedBus: publish refuses what no schema accepts', () => {
  const invalid: Array<[what: string, topic: string, body: unknown, code: string, problem: string]> = [
    ['a wrong type', 'test.a', { n: 'one' }, 'MESSAGE_INVALID', 'body.n: must be integer'],
    ['a value out of range', 'test.a', { n: -1 }, 'MESSAGE_INVALID', 'body.n: must be >= 0'],
    ['a missing field', 'test.a', { label: 'x' }, 'MESSAGE_INVALID', 'body.n: is required'],
    ['an unknown field', 'test.a', { n: 1, colour: 'red' }, 'MESSAGE_INVALID', 'body.colour: is not an allowed property'],
    ['a body that is not an object', 'test.a', 'text', 'MESSAGE_INVALID', 'body: must be object'],
    ['a topic without a schema', 'nobody.knows', { n: 1 }, 'TOPIC_UNKNOWN', 'topic: no schema is registered for "nobody.knows"'],
    ['a malformed topic', 'test..a', { n: 1 }, 'TOPIC_INVALID', 'topic: must be dot-separated words of letters, digits, "-" or "_"'],
  ];
  for (const [what, topic, body, code, problem] of invalid) {
    test(`${what}: rejects with ${code} naming "${problem.split(':')[0]}", and queues nothing`, async (t) => {
      const h = new Harness(t);
      const db = h.db();
      const c = recorder('validating', ['#']);
      const tapped: unknown[] = [];
      const bus = h.bus([c.spec], db);
      await bus.start();
      await bus.subscribe(['#'], (m) => tapped.push(m));
      await assert.rejects(bus.publish(topic, body), (err: unknown) => {
        assert.ok(err instanceof MessageValidationError, `a MessageValidationError, not ${String(err)}`);
        assert.equal(err.code, code);
        assert.equal(err.topic, topic);
        assert.ok(err.problems.includes(problem), `problems ${JSON.stringify(err.problems)} include ${JSON.stringify(problem)}`);
        assert.ok(err.message.includes(problem));
        return true;
      });
      assert.equal(h.queued(db), 0);
      assert.deepEqual(tapped, []);
      assert.deepEqual(c.seen, []);
    });
  }
});

describe('EmbeddedBus: retries and dead letters', () => {
  const failures: Array<[what: string, fail: () => HandlerResult]> = [
    [
      'throws',
      () => {
        throw new Error('boom: the disk is on fire');
      },
    ],
    ['returns {retry}', () => ({ retry: 'boom: the disk is on fire' })],
  ];
  for (const [what, fail] of failures) {
    test(`a handler that always ${what} is tried maxAttempts times, dead-lettered with the reason, and can be replayed`, async (t) => {
      const h = new Harness(t);
      const db = h.db();
      let broken = true;
      let handled = 0;
      const c = recorder('flaky', ['test.#'], () => {
        if (broken) return fail();
        handled++;
        return undefined;
      });
      const bus = h.bus([c.spec], db);
      await bus.start();
      const { messageId } = await bus.publish('test.flaky', { n: 7 });
      const maxAttempts = h.config.retry.maxAttempts;
      assert.equal(maxAttempts, 3, 'testConfig() allows 3 attempts');

      const [letter] = await waitFor('the dead letter', async () => {
        const list = await bus.listDeadLetters();
        return list.length ? list : undefined;
      });
      assert.equal(c.seen.length, maxAttempts, 'the handler was called exactly maxAttempts times');
      assert.deepEqual(
        c.seen.map((m) => m.attempt),
        [1, 2, 3],
      );
      assert.ok(c.seen.every((m) => m.messageId === messageId));
      assert.equal(letter!.messageId, messageId);
      assert.equal(letter!.topic, 'test.flaky');
      assert.equal(letter!.queue, h.config.queuePrefix + 'flaky');
      assert.equal(letter!.attempts, maxAttempts);
      assert.deepEqual(letter!.body, { n: 7 });
      assert.match(letter!.reason, /boom: the disk is on fire/);
      assert.match(letter!.reason, /3 times/);
      assert.ok(!Number.isNaN(Date.parse(letter!.deadAt)));
      assert.equal(h.queued(db), 0, 'nothing is left on the queue');

      // No further delivery happens on its own.
      await sleep(h.config.retry.delayMs * 4);
      assert.equal(c.seen.length, maxAttempts);

      broken = false;
      assert.deepEqual(await bus.replayDeadLetters(), { replayed: 1, notReplayed: [] });
      await waitFor('the replayed message to be handled', () => handled === 1);
      assert.deepEqual(await bus.listDeadLetters(), []);
      await waitFor('the queue to drain', () => h.queued(db) === 0);
      await sleep(h.config.retry.delayMs * 4);
      assert.equal(handled, 1, 'handled exactly once');
      assert.equal(c.seen.length, maxAttempts + 1);
      assert.equal(c.seen.at(-1)!.attempt, 1, 'a replayed message starts a fresh retry budget');
      assert.equal(c.seen.at(-1)!.messageId, messageId);
    });
  }

  test('a handler that returns {deadLetter} dead-letters the message at once', async (t) => {
    const h = new Harness(t);
    const c = recorder('refuser', ['test.#'], () => ({ deadLetter: 'not for me' }));
    const bus = h.bus([c.spec]);
    await bus.start();
    const { messageId } = await bus.publish('test.refused', { n: 1 });
    const [letter] = await waitFor('the dead letter', async () => {
      const list = await bus.listDeadLetters();
      return list.length ? list : undefined;
    });
    assert.equal(letter!.messageId, messageId);
    assert.equal(letter!.reason, 'not for me');
    assert.equal(letter!.attempts, 1);
    await sleep(h.config.retry.delayMs * 4);
    assert.equal(c.seen.length, 1, 'no retry');
  });

  test('replay with ids brings back only the named dead letters', async (t) => {
    const h = new Harness(t);
    let accept = false;
    const c = recorder('picky', ['test.#'], () => (accept ? undefined : { deadLetter: 'not yet' }));
    const bus = h.bus([c.spec]);
    await bus.start();
    const first = await bus.publish('test.one', { n: 1 });
    const second = await bus.publish('test.two', { n: 2 });
    const third = await bus.publish('test.three', { n: 3 });
    const letters = await waitFor('three dead letters', async () => {
      const list = await bus.listDeadLetters();
      return list.length === 3 ? list : undefined;
    });
    accept = true;
    const byMessage = new Map(letters.map((l) => [l.messageId, l]));
    // one named by its dead-letter id, one by its message id
    assert.deepEqual(await bus.replayDeadLetters({ ids: [byMessage.get(first.messageId)!.id, third.messageId] }), { replayed: 2, notReplayed: [] });
    await waitFor('two replays handled', () => c.seen.length === 5);
    assert.deepEqual(
      c.seen.slice(3).map((m) => m.messageId).sort(),
      [first.messageId, third.messageId].sort(),
    );
    assert.deepEqual(
      (await bus.listDeadLetters()).map((l) => l.messageId),
      [second.messageId],
    );
    assert.deepEqual(await bus.replayDeadLetters({ ids: ['no-such-id'] }), { replayed: 0, notReplayed: [] });
  });
});

describe('EmbeddedBus: idempotency, graceful stop, durability', () => {
  function effectsTable(db: Db): void {
    db.exec('CREATE TABLE IF NOT EXISTS effects (message_id TEXT NOT NULL, n INTEGER NOT NULL)');
  }
  function effectsOf(db: Db): Array<{ message_id: string; n: number }> {
    return db.prepare('SELECT message_id, n FROM effects ORDER BY rowid').all() as Array<{ message_id: string; n: number }>;
  }
  /** A consumer whose effect (a row in `effects`) is applied through ctx.effect. */
  function effectConsumer(name: string, outcomes: boolean[] = []): ConsumerSpec {
    return {
      name,
      topics: ['test.#'],
      handle(m, ctx) {
        const outcome = ctx.effect((db) => db.prepare('INSERT INTO effects (message_id, n) VALUES (?, ?)').run(m.messageId, (m.body as { n: number }).n));
        outcomes.push(outcome.applied);
      },
    };
  }

  test('the same message id delivered twice (from two buses on one store) has its effect applied once', async (t) => {
    const h = new Harness(t);
    const dbA = h.db();
    const dbB = h.db();
    effectsTable(dbA);
    const outcomes: boolean[] = [];
    const busA = h.bus([effectConsumer('effects', outcomes)], dbA);
    const busB = h.bus([effectConsumer('effects', outcomes)], dbB);
    await busA.start();
    await busB.start();

    await busA.publish('test.dup', { n: 1 }, { messageId: 'dup-1' });
    await busB.publish('test.dup', { n: 1 }, { messageId: 'dup-1' });
    await busB.publish('test.other', { n: 2 }, { messageId: 'other-1' });
    await waitFor('both queues to drain', () => h.queued(dbA) === 0);

    assert.deepEqual(effectsOf(dbA), [
      { message_id: 'dup-1', n: 1 },
      { message_id: 'other-1', n: 2 },
    ]);
    assert.ok(outcomes.filter((applied) => applied).length === 2, `two effects applied, got ${JSON.stringify(outcomes)}`);
    assert.deepEqual(await busA.listDeadLetters(), [], 'the duplicate is acknowledged, not dead-lettered');
  });

  test('a message redelivered after a crash between effect and ack does not apply its effect again', async (t) => {
    const h = new Harness(t);
    const dbA = h.db();
    effectsTable(dbA);
    let release!: () => void;
    const hang = new Promise<void>((r) => (release = r));
    let effectDone = false;
    // The first "process" applies the effect, then hangs before its handler returns (no ack).
    const busA = h.bus(
      [
        {
          name: 'effects',
          topics: ['test.#'],
          async handle(m, ctx) {
            ctx.effect((db) => db.prepare('INSERT INTO effects (message_id, n) VALUES (?, ?)').run(m.messageId, 1));
            effectDone = true;
            await hang;
          },
        },
      ],
      dbA,
      { stopAtEnd: false },
    );
    await busA.start();
    await busA.publish('test.crash', { n: 1 });
    await waitFor('the effect', () => effectDone);
    const stoppingA = busA.stop(); // no new deliveries; its in-flight one stays leased ("crashed")
    t.after(async () => {
      release();
      await stoppingA;
    });
    assert.equal(h.queued(dbA), 1, 'the delivery is still on the queue, unacknowledged');

    // The restarted "process" takes over the leased delivery.
    const dbB = h.db();
    const outcomes: boolean[] = [];
    const busB = h.bus([effectConsumer('effects', outcomes)], dbB);
    await busB.start();
    await waitFor('the redelivery to be settled', () => h.queued(dbB) === 0);
    assert.equal(effectsOf(dbB).length, 1, 'the effect was applied once');
    assert.ok(!outcomes.includes(true), 'the second handling applied nothing');
    assert.deepEqual(await busB.listDeadLetters(), []);
  });

  test('stop waits for an in-flight handler, which is acknowledged and not redelivered later', async (t) => {
    const h = new Harness(t);
    const db = h.db();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let finished = false;
    const c = recorder('slow', ['test.#'], async () => {
      await gate;
      finished = true;
    });
    const bus = h.bus([c.spec], db, { stopAtEnd: false });
    await bus.start();
    const { messageId } = await bus.publish('test.slow', { n: 1 });
    await waitFor('the handler to start', () => c.seen.length === 1);

    let stopped = false;
    const stopping = bus.stop().then(() => (stopped = true));
    await sleep(150);
    assert.equal(stopped, false, 'stop() does not return while a handler runs');
    assert.equal(bus.health().ok, false);
    await assert.rejects(bus.publish('test.late', { n: 2 }), { code: 'BUS_STOPPED' });

    release();
    await stopping;
    assert.equal(finished, true, 'the handler ran to its end before stop() returned');
    assert.equal(h.queued(db), 0, 'the message was acknowledged');

    // A new bus over the same store does not see it again.
    const again = recorder('slow', ['test.#']);
    const next = h.bus([again.spec]);
    await next.start();
    const marker = await next.publish('test.marker', { n: 3 });
    await waitFor('the marker', () => again.seen.length > 0);
    await waitFor('the queue to drain', () => h.queued(db) === 0);
    assert.deepEqual(
      again.seen.map((m) => m.messageId),
      [marker.messageId],
      `${messageId} was not redelivered`,
    );
  });

  test('messages published before a restart are delivered, in order, by a new bus on the same file', async (t) => {
    const h = new Harness(t);
    const before = h.db();
    // Bound but not yet consuming: the queue holds the messages.
    const first = h.bus([recorder('durable', ['test.#']).spec], before, { stopAtEnd: false });
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) ids.push((await first.publish('test.durable', { n })).messageId);
    await first.stop();
    before.close();

    const after = h.db();
    assert.equal(h.queued(after), 5, 'the messages are on disk');
    const c = recorder('durable', ['test.#']);
    const second = h.bus([{ ...c.spec, prefetch: 1 }], after);
    await second.start();
    await waitFor('all five', () => c.seen.length === 5);
    assert.deepEqual(
      c.seen.map((m) => m.messageId),
      ids,
    );
    assert.deepEqual(
      c.seen.map((m) => (m.body as { n: number }).n),
      [0, 1, 2, 3, 4],
    );
    await waitFor('the queue to drain', () => h.queued(after) === 0);
  });

  test('a message published to a queue with no binding is not kept', async (t) => {
    const h = new Harness(t);
    const db = h.db();
    const bus = h.bus([recorder('git-only', ['git.#']).spec], db);
    await bus.publish('test.nobody', { n: 1 });
    assert.equal(h.queued(db), 0);
  });
});
