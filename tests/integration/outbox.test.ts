import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { Bus, BusMessage, PublishOptions, PublishReceipt } from '../../bus/bus.js';
import { EmbeddedBus } from '../../bus/embedded-bus.js';
import type { CompiledConfig } from '../../config/config-types.js';
import { migrate } from '../../db/migrate.js';
import { openDatabase, type Db } from '../../db/open-database.js';
import { BusUnavailableError } from '../../errors/bus-unavailable-error.js';
import { MessageValidationError } from '../../errors/message-validation-error.js';
import { Outbox } from '../../db/outbox.js';
import { OutboxRelay } from '../../producers/outbox-relay.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

const registry = testRegistry();

interface StoredRow {
  id: number;
  message_id: string;
  topic: string;
  body: string;
  attempts: number;
  last_error: string | null;
}

/**
 * A bus in front of a real one whose publish fails the first `failures` times: before sending
 * (the broker was down) or, with `afterSending`, after it (the confirm was lost on the way back).
 */
class FlakyBus implements Bus {
  readonly kind = 'embedded' as const;
  calls = 0;
  rejected = 0;
  constructor(
    private readonly inner: Bus,
    private failures: number,
    private readonly afterSending = false,
  ) {}

  async publish(topic: string, body: unknown, options?: PublishOptions): Promise<PublishReceipt> {
    return this.flaky(() => this.inner.publish(topic, body, options));
  }

  async publishSerialized(
    topic: string,
    json: string,
    options: PublishOptions & { messageId: string },
  ): Promise<PublishReceipt> {
    return this.flaky(() => this.inner.publishSerialized(topic, json, options));
  }

  private async flaky(send: () => Promise<PublishReceipt>): Promise<PublishReceipt> {
    this.calls++;
    if (this.failures > 0) {
      this.failures--;
      this.rejected++;
      if (this.afterSending) await send();
      throw new BusUnavailableError(`broker unreachable (failure ${this.rejected})`);
    }
    return send();
  }
  consume: Bus['consume'] = (spec) => this.inner.consume(spec);
  start: Bus['start'] = () => this.inner.start();
  subscribe: Bus['subscribe'] = (p, h) => this.inner.subscribe(p, h);
  listDeadLetters: Bus['listDeadLetters'] = (l) => this.inner.listDeadLetters(l);
  replayDeadLetters: Bus['replayDeadLetters'] = (f) => this.inner.replayDeadLetters(f);
  health: Bus['health'] = () => this.inner.health();
  stop: Bus['stop'] = () => this.inner.stop();
}

/** A bus in front of a real one whose confirms are held back until `release()`: a slow broker. */
class HeldBus extends FlakyBus {
  readonly sentIds: string[] = [];
  private held: Array<() => void> = [];
  constructor(inner: Bus) {
    super(inner, 0);
  }

  override async publishSerialized(
    topic: string,
    json: string,
    options: PublishOptions & { messageId: string },
  ): Promise<PublishReceipt> {
    this.sentIds.push(options.messageId);
    const receipt = await super.publishSerialized(topic, json, options);
    await new Promise<void>((resolve) => this.held.push(resolve));
    return receipt;
  }

  release(): void {
    for (const r of this.held.splice(0)) r();
  }
}

/** A store, an embedded bus with one recording consumer (in-order: prefetch 1), an outbox. */
async function setup(t: TestContext, outboxSettings: Partial<CompiledConfig['outbox']> = {}) {
  const config = testConfig({ outbox: outboxSettings });
  const db: Db = openDatabase(config.db.path);
  migrate(db);
  const bus = new EmbeddedBus(db, registry, config.bus, silentLogger());
  const seen: BusMessage[] = [];
  bus.consume({ name: 'outbox-reader', topics: ['#'], prefetch: 1, handle: (m) => void seen.push(m) });
  const outbox = new Outbox(db, registry);
  const relays: OutboxRelay[] = [];
  const relay = (through: Bus = bus) => {
    const r = new OutboxRelay(outbox, through, config.outbox, silentLogger());
    relays.push(r);
    return r;
  };
  const rows = () =>
    db
      .prepare('SELECT id, message_id, topic, body, attempts, last_error FROM outbox ORDER BY id')
      .all() as StoredRow[];
  const queued = () => (db.prepare('SELECT COUNT(*) AS n FROM bus_queue').get() as { n: number }).n;
  t.after(async () => {
    for (const r of relays) await r.stop();
    await bus.stop();
    db.close();
  });
  await bus.start();
  return { config, db, bus, seen, outbox, relay, rows, queued };
}

describe('Outbox.add', () => {
  test('stores a valid message under a fresh id', async (t) => {
    const { outbox, rows } = await setup(t);
    const id = outbox.addNamed('test.stored', { n: 5, label: 'x' });
    assert.match(id, /^[0-9a-f-]{36}$/);
    const [row] = rows();
    assert.equal(row!.message_id, id);
    assert.equal(row!.topic, 'test.stored');
    assert.deepEqual(JSON.parse(row!.body), { n: 5, label: 'x' });
    assert.equal(row!.attempts, 0);
    assert.equal(row!.last_error, null);
    assert.equal(outbox.depth().count, 1);
    assert.notEqual(outbox.addNamed('test.stored', { n: 5, label: 'x' }), id, 'each message gets its own id');
  });

  const invalid: Array<[what: string, topic: string, body: unknown, code: string]> = [
    ['an invalid body', 'test.bad', { n: 'five' }, 'MESSAGE_INVALID'],
    ['an unknown field', 'test.bad', { n: 1, extra: true }, 'MESSAGE_INVALID'],
    ['an unknown topic', 'nobody.knows', { n: 1 }, 'TOPIC_UNKNOWN'],
  ];
  for (const [what, topic, body, code] of invalid) {
    test(`${what} throws ${code} and stores nothing`, async (t) => {
      const { outbox, rows } = await setup(t);
      assert.throws(
        () => outbox.addNamed(topic, body),
        (err: unknown) => err instanceof MessageValidationError && err.code === code,
      );
      assert.deepEqual(rows(), []);
      assert.equal(outbox.depth().count, 0);
    });
  }

  test('an add inside a transaction that rolls back leaves no message', async (t) => {
    const { db, outbox, rows } = await setup(t);
    assert.throws(
      () =>
        db.transaction(() => {
          outbox.addNamed('test.rolled-back', { n: 1 });
          throw new Error('the change was refused');
        })(),
      /the change was refused/,
    );
    assert.deepEqual(rows(), []);
  });
});

describe('OutboxRelay', () => {
  test('delivers every row in order under its stored message id, then empties the outbox', async (t) => {
    const { outbox, relay, seen, rows, queued } = await setup(t, { batchSize: 4 });
    const ids = Array.from({ length: 10 }, (_, n) => outbox.addNamed(`test.relay.${n % 3}`, { n }));
    relay().start();
    await waitFor('all ten delivered', () => seen.length === 10);
    assert.deepEqual(
      seen.map((m) => m.messageId),
      ids,
    );
    assert.deepEqual(
      seen.map((m) => m.body),
      ids.map((_, n) => ({ n })),
    );
    assert.deepEqual(
      seen.map((m) => m.topic),
      ids.map((_, n) => `test.relay.${n % 3}`),
    );
    await waitFor('the outbox to empty', () => rows().length === 0);
    await waitFor('the bus queue to drain', () => queued() === 0);
    assert.equal(seen.length, 10, 'nothing twice');
  });

  test('picks up rows added while it runs, at once when kicked', async (t) => {
    const { outbox, relay, seen } = await setup(t, { pollIntervalMs: 60_000 });
    const r = relay();
    r.start();
    const first = outbox.addNamed('test.kick', { n: 1 });
    r.kick();
    await waitFor('the first message', () => seen.length === 1, 5_000);
    const second = outbox.addNamed('test.kick', { n: 2 });
    r.kick();
    await waitFor('the second message', () => seen.length === 2, 5_000);
    assert.deepEqual(
      seen.map((m) => m.messageId),
      [first, second],
    );
  });

  test('while the bus refuses, rows stay with attempts and the last error; all go out once it works, none twice', async (t) => {
    const { bus, outbox, relay, seen, rows, queued } = await setup(t);
    const ids = [0, 1, 2].map((n) => outbox.addNamed('test.retry', { n }));
    // The first two sends of each of the three rows fail: the whole batch, twice.
    const flaky = new FlakyBus(bus, 6);
    relay(flaky).start();

    await waitFor('a recorded failure on every row', () => {
      const now = rows();
      return now.length === 3 && now.every((r) => r.attempts >= 1);
    });
    const failing = rows();
    assert.deepEqual(
      failing.map((r) => r.message_id),
      ids,
      'the rows are still there',
    );
    for (const r of failing) assert.match(r.last_error ?? '', /^broker unreachable \(failure \d\)$/);
    assert.equal(seen.length, 0, 'nothing was delivered meanwhile');

    await waitFor('all three delivered', () => seen.length === 3);
    await waitFor('the outbox to empty', () => rows().length === 0);
    await waitFor('the bus queue to drain', () => queued() === 0);
    assert.deepEqual(
      seen.map((m) => m.messageId),
      ids,
      'in order, under the stored ids',
    );
    assert.equal(flaky.rejected, 6);
    assert.equal(flaky.calls, 9, 'each row was sent once more after its failures, and no more');
  });

  test('a send whose confirm was lost is repeated under the same id, and the consumer handles it once', async (t) => {
    const { bus, outbox, relay, seen, rows, queued } = await setup(t);
    const id = outbox.addNamed('test.lost-confirm', { n: 1 });
    const flaky = new FlakyBus(bus, 1, true);
    relay(flaky).start();
    await waitFor('the outbox to empty', () => rows().length === 0);
    await waitFor('the bus queue to drain', () => queued() === 0);
    assert.equal(flaky.calls, 2, 'sent twice');
    assert.deepEqual(
      seen.map((m) => m.messageId),
      [id],
      'handled once',
    );
  });

  test('a failure part-way through a batch: the rows that were confirmed are done, the failed one is retried, each delivered once', async (t) => {
    const { bus, outbox, relay, seen, rows } = await setup(t);
    const ids = [0, 1, 2].map((n) => outbox.addNamed('test.order', { n }));
    relay(new FlakyBus(bus, 1)).start(); // only the very first send fails
    await waitFor('all three delivered', () => seen.length === 3);
    await waitFor('the outbox to empty', () => rows().length === 0);
    // Order across a failure is not kept (no more than RabbitMQ keeps it across a redelivery).
    assert.deepEqual(seen.map((m) => m.messageId).sort(), [...ids].sort());
    assert.equal(seen[seen.length - 1]!.messageId, ids[0], 'the failed row arrives once, when retried');
  });

  test('a message added while earlier ones await their confirms goes out at once, not after them; each row is removed once confirmed', async (t) => {
    const { bus, outbox, relay, rows } = await setup(t, { pollIntervalMs: 60_000 });
    const held = new HeldBus(bus);
    const r = relay(held);
    r.start();
    const first = outbox.addNamed('test.kick', { n: 1 });
    r.kick();
    await waitFor('the first message sent', () => held.sentIds.length === 1, 5_000);
    const second = outbox.addNamed('test.kick', { n: 2 });
    r.kick();
    await waitFor(
      'the second message sent before the first was confirmed',
      () => held.sentIds.length === 2,
      5_000,
    );
    assert.deepEqual(held.sentIds, [first, second]);
    assert.equal(rows().length, 2, 'nothing removed before its confirm');
    held.release();
    await waitFor('both removed once confirmed', () => rows().length === 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(held.sentIds.length, 2, 'neither sent twice');
  });

  test('a row added right after the newest one was confirmed and removed is still sent (ids are never reused)', async (t) => {
    const { outbox, relay, seen, rows } = await setup(t, { pollIntervalMs: 60_000 });
    const r = relay();
    r.start();
    for (let n = 0; n < 3; n++) {
      outbox.addNamed('test.kick', { n });
      r.kick();
      await waitFor(
        `message ${n} delivered and its row removed`,
        () => seen.length === n + 1 && rows().length === 0,
        5_000,
      );
    }
    assert.deepEqual(
      seen.map((m) => (m.body as { n: number }).n),
      [0, 1, 2],
    );
  });

  test('stop() ends the relay: rows added afterwards stay in the outbox', async (t) => {
    const { outbox, relay, seen, rows } = await setup(t);
    const r = relay();
    r.start();
    outbox.addNamed('test.before-stop', { n: 1 });
    await waitFor('the first message', () => seen.length === 1);
    await r.stop();
    outbox.addNamed('test.after-stop', { n: 2 });
    r.kick();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(seen.length, 1);
    assert.equal(rows().length, 1);
  });
});
