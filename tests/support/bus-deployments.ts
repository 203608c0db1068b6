import type { TestContext } from 'node:test';
import amqp from 'amqplib';
import { AmqpBus } from '../../bus/amqp-bus.js';
import type { Bus, ConsumerSpec } from '../../bus/bus.js';
import { EmbeddedBus } from '../../bus/embedded-bus.js';
import type { CompiledConfig, RawConfig } from '../../config/config-types.js';
import { migrate } from '../../db/migrate.js';
import { openDatabase, type Db } from '../../db/open-database.js';
import { requireBroker } from './broker.js';
import { createEffectsTable } from './effects-consumer.js';
import { silentLogger, testConfig, testRegistry } from './test-config.js';

/**
 * One deployment of Sluice's bus as the contract suite drives it: its configuration, its store,
 * and as many buses (processes) on them as a test needs. Everything that differs between the
 * two buses is here; the test bodies are the same for both. The differences, stated once:
 * - Where a queue exists. RabbitMQ keeps a queue declared by any process that consumed it; the
 *   embedded bus puts a message on the queues of the consumers registered in the publishing
 *   process (so a process publishes to a stopped consumer by registering it, not starting it).
 * - What "a queue is gone" means for a replay: deleted on the broker; on the embedded bus, no
 *   consumer of the replaying process reads it.
 */
export interface BusDeployment {
  readonly config: CompiledConfig['bus'];
  /** The store every bus of the deployment uses, with the test-effects table. */
  readonly db: Db;
  /** A new bus (process) with `consumers` registered, started unless `start` is false; stopped when the test ends. */
  bus(consumers: ConsumerSpec[], options?: { start?: boolean }): Promise<Bus>;
  /** A bus that publishes to `consumers`' queues (consumed before) without consuming from them. */
  publisher(consumers: ConsumerSpec[]): Promise<Bus>;
  /** Messages on consumer `name`'s queue, delayed retries included, when none is in flight. */
  waiting(name: string): Promise<number>;
  /** Consumer `name` was removed from the deployment, and its queue with it. */
  dropQueue(name: string): Promise<void>;
}

export interface BusFactory {
  name: string;
  /** Undefined when the test is skipped (no broker outside CI; under CI=true that throws). */
  open(t: TestContext, raw?: RawConfig): BusDeployment | undefined;
}

/** Stops every bus, then closes every store, when the test ends. */
function teardown(t: TestContext, buses: Bus[], dbs: Db[]): void {
  t.after(async () => {
    for (const bus of buses) await bus.stop();
    for (const db of dbs) if (db.open) db.close();
  });
}

function openStore(file: string, dbs: Db[]): Db {
  const db = openDatabase(file);
  migrate(db);
  dbs.push(db);
  return db;
}

export const embeddedFactory: BusFactory = {
  name: 'EmbeddedBus',
  open(t, raw = {}) {
    const config = testConfig(raw);
    const buses: Bus[] = [];
    const dbs: Db[] = [];
    teardown(t, buses, dbs);
    const db = openStore(config.db.path, dbs);
    createEffectsTable(db);
    // Each bus on a connection of its own to the one file, as separate processes would be.
    const make = (consumers: ConsumerSpec[]) => {
      const bus = new EmbeddedBus(openStore(config.db.path, dbs), testRegistry(), config.bus, silentLogger());
      for (const c of consumers) bus.consume(c);
      buses.push(bus);
      return bus;
    };
    return {
      config: config.bus,
      db,
      async bus(consumers, { start = true } = {}) {
        const bus = make(consumers);
        if (start) await bus.start();
        return bus;
      },
      // Registered, never started: it queues for them and takes nothing.
      publisher: async (consumers) => make(consumers),
      async waiting(name) {
        return (
          db
            .prepare('SELECT COUNT(*) AS n FROM bus_queue WHERE queue = ?')
            .get(config.bus.queuePrefix + name) as { n: number }
        ).n;
      },
      async dropQueue() {
        // Nothing to delete: a queue is gone once no consumer of the process registers it.
      },
    };
  },
};

export const amqpFactory: BusFactory = {
  name: 'AmqpBus',
  open(t, raw = {}) {
    const url = requireBroker(t);
    if (!url) return undefined;
    const config = testConfig(raw, { amqpUrl: url });
    const buses: Bus[] = [];
    const dbs: Db[] = [];
    teardown(t, buses, dbs);
    const db = openStore(config.db.path, dbs);
    createEffectsTable(db);
    const make = async (consumers: ConsumerSpec[], start: boolean) => {
      const bus = new AmqpBus(testRegistry(), config.bus, silentLogger(), db);
      for (const c of consumers) bus.consume(c);
      buses.push(bus);
      if (start) await bus.start();
      return bus;
    };
    const onChannel = async <T>(fn: (ch: amqp.Channel) => Promise<T>): Promise<T> => {
      const conn = await amqp.connect(url);
      try {
        return await fn(await conn.createChannel());
      } finally {
        await conn.close();
      }
    };
    return {
      config: config.bus,
      db,
      bus: (consumers, { start = true } = {}) => make(consumers, start),
      // The queues are on the broker already: a process with no consumers reaches them.
      publisher: () => make([], true),
      waiting: (name) =>
        onChannel(async (ch) => {
          const queue = config.bus.queuePrefix + name;
          return (
            (await ch.checkQueue(queue)).messageCount + (await ch.checkQueue(`${queue}.retry`)).messageCount
          );
        }),
      dropQueue: (name) =>
        onChannel(async (ch) => {
          await ch.deleteQueue(config.bus.queuePrefix + name);
          await ch.deleteQueue(`${config.bus.queuePrefix}${name}.retry`);
        }),
    };
  },
};

export const busFactories: BusFactory[] = [embeddedFactory, amqpFactory];
