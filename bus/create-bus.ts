import type { Logger } from 'pino';
import type { CompiledConfig } from '../config/config-types.js';
import type { Db } from '../db/open-database.js';
import type { SchemaRegistry } from '../schemas/schema-registry.js';
import { AmqpBus } from './amqp-bus.js';
import type { Bus, BusObserver } from './bus.js';
import { EmbeddedBus } from './embedded-bus.js';

export function createBus(
  config: CompiledConfig,
  db: Db,
  registry: SchemaRegistry,
  log: Logger,
  observer?: BusObserver,
): Bus {
  return config.busKind === 'amqp'
    ? new AmqpBus(registry, config.bus, log.child({ part: 'bus' }), db, observer)
    : new EmbeddedBus(db, registry, config.bus, log.child({ part: 'bus' }), observer);
}
