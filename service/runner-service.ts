import type { Logger } from 'pino';
import { AmqpBus } from '../bus/amqp-bus.js';
import type { CompiledConfig } from '../config/config-types.js';
import { migrate } from '../db/migrate.js';
import { openDatabase } from '../db/open-database.js';
import { ConfigError } from '../errors/config-error.js';
import { Outbox } from '../db/outbox.js';
import { OutboxRelay } from '../producers/outbox-relay.js';
import { Runner } from '../builders/runner.js';
import { SchemaRegistry } from '../schemas/schema-registry.js';

/**
 * A runner process of its own (`sluice runner`), beside servers whose `pipeline.runner.enabled`
 * is false: it takes job messages from RabbitMQ and reports back on it, with a SQLite file of
 * its own for the idempotency ledger and its outbox. Artifacts go to `pipeline.artifactsDir`,
 * which the servers must see (a shared filesystem) to serve them.
 */
export class RunnerService {
  readonly runner: Runner;
  private readonly bus: AmqpBus;
  private readonly relay: OutboxRelay;
  private readonly close: () => void;

  constructor(config: CompiledConfig, log: Logger) {
    if (config.busKind !== 'amqp')
      throw new ConfigError(config.source, [
        'bus.url: a separate runner needs RabbitMQ (bus.url); the embedded bus lives inside one server',
      ]);
    const db = openDatabase(config.db.path, { busyTimeoutMs: config.db.busyTimeoutMs });
    migrate(db);
    const registry = new SchemaRegistry();
    this.bus = new AmqpBus(registry, config.bus, log.child({ part: 'bus' }), db);
    const outbox = new Outbox(db, registry);
    this.relay = new OutboxRelay(outbox, this.bus, config.outbox, log.child({ part: 'outbox' }));
    this.runner = new Runner(
      config.pipeline,
      this.bus,
      outbox,
      () => this.relay.kick(),
      log.child({ part: 'runner' }),
    );
    this.bus.consume(this.runner.consumer());
    this.close = () => db.close();
  }

  async start(): Promise<void> {
    await this.bus.start();
    await this.runner.start();
    this.relay.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    // The reports of the jobs just stopped are in the outbox: send them while the bus is open.
    await this.relay.stop({ flush: true });
    await this.bus.stop();
    await this.runner.close();
    this.close();
  }
}
