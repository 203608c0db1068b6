import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { BusMessage, ConsumerSpec, HandlerResult } from '../../bus/bus.js';
import { storeOf } from '../../bus/effect-transaction.js';
import { EmbeddedBus } from '../../bus/embedded-bus.js';
import type { CompiledConfig } from '../../config/config-types.js';
import { migrate } from '../../db/migrate.js';
import { openDatabase, type Db } from '../../db/open-database.js';
import { tempDir } from '../support/paths.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

const registry = testRegistry();

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
    const sql = queue
      ? 'SELECT COUNT(*) AS n FROM bus_queue WHERE queue = ?'
      : 'SELECT COUNT(*) AS n FROM bus_queue';
    return (db.prepare(sql).get(...(queue ? [queue] : [])) as { n: number }).n;
  }
}

/** A consumer that records what it is given. */
function recorder(
  name: string,
  topics: string[],
  handle: (m: BusMessage) => HandlerResult | Promise<HandlerResult> = () => undefined,
) {
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

// What every bus does is in bus-contract.test.ts; these are what the SQLite queues add: several
// connections (processes) on one store, leases released by a restart, durability on disk.
describe('EmbeddedBus: idempotency and durability on a shared store', () => {
  function effectsTable(db: Db): void {
    db.exec('CREATE TABLE IF NOT EXISTS effects (message_id TEXT NOT NULL, n INTEGER NOT NULL)');
  }
  function effectsOf(db: Db): Array<{ message_id: string; n: number }> {
    return db.prepare('SELECT message_id, n FROM effects ORDER BY rowid').all() as Array<{
      message_id: string;
      n: number;
    }>;
  }
  /** A consumer whose effect (a row in `effects`) is applied through ctx.effect. */
  function effectConsumer(name: string, outcomes: boolean[] = []): ConsumerSpec {
    return {
      name,
      topics: ['test.#'],
      handle(m, ctx) {
        const outcome = ctx.effect((tx) =>
          storeOf(tx)
            .prepare('INSERT INTO effects (message_id, n) VALUES (?, ?)')
            .run(m.messageId, (m.body as { n: number }).n),
        );
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
    assert.ok(
      outcomes.filter((applied) => applied).length === 2,
      `two effects applied, got ${JSON.stringify(outcomes)}`,
    );
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
            ctx.effect((tx) =>
              storeOf(tx).prepare('INSERT INTO effects (message_id, n) VALUES (?, ?)').run(m.messageId, 1),
            );
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
