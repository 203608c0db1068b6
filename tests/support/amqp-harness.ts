import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import amqp from 'amqplib';
import { AmqpBus } from '../../bus/amqp-bus.js';
import type { ConsumerSpec } from '../../bus/bus.js';
import type { CompiledConfig, RawConfig } from '../../config/config-types.js';
import { migrate } from '../../db/migrate.js';
import { openDatabase, type Db } from '../../db/open-database.js';
import { SluiceService, type SluiceServiceOptions } from '../../service/sluice-service.js';
import { createEffectsTable } from './effects-consumer.js';
import { tempDir } from './paths.js';
import { silentLogger, testConfig, testRegistry } from './test-config.js';

export interface AmqpHarness {
  config: CompiledConfig;
  db: Db;
  bus: AmqpBus;
  /** A YAML file with this harness's settings, for CLI commands and child processes. */
  configFile: string;
  close(): Promise<void>;
}

/** An AmqpBus on its own store and prefixes, with the test-effects table ready. */
export async function amqpHarness(
  amqpUrl: string,
  consumers: ConsumerSpec[],
  raw: RawConfig = {},
  start = true,
): Promise<AmqpHarness> {
  const config = testConfig(raw, { amqpUrl });
  const db = openDatabase(config.db.path);
  migrate(db);
  createEffectsTable(db);
  const bus = new AmqpBus(testRegistry(), config.bus, silentLogger(), db);
  for (const c of consumers) bus.consume(c);
  if (start) await bus.start();
  const configFile = writeConfigFile(config);
  return {
    config,
    db,
    bus,
    configFile,
    async close() {
      await bus.stop();
      db.close();
    },
  };
}

export function writeConfigFile(config: CompiledConfig): string {
  const file = path.join(tempDir('cfg-'), 'sluice.yaml');
  const yaml = [
    'db:',
    `  path: ${JSON.stringify(config.db.path)}`,
    'bus:',
    `  url: ${JSON.stringify(config.bus.url)}`,
    `  topicPrefix: ${JSON.stringify(config.bus.topicPrefix)}`,
    `  queuePrefix: ${JSON.stringify(config.bus.queuePrefix)}`,
    `  deadLetterQueue: ${JSON.stringify(config.bus.deadLetterQueue)}`,
    `  confirmTimeoutMs: ${config.bus.confirmTimeoutMs}`,
    '  retry:',
    `    maxAttempts: ${config.bus.retry.maxAttempts}`,
    `    delayMs: ${config.bus.retry.delayMs}`,
    `    backoffFactor: ${config.bus.retry.backoffFactor}`,
    '  reconnect:',
    `    initialDelayMs: ${config.bus.reconnect.initialDelayMs}`,
    `    maxDelayMs: ${config.bus.reconnect.maxDelayMs}`,
    'log:',
    `  level: ${process.env.SLUICE_TEST_LOG ?? 'warn'}`,
    '',
  ].join('\n');
  writeFileSync(file, yaml);
  return file;
}

export interface ServiceWithSubscriber {
  service: SluiceService;
  /** The service's HTTP address. */
  base: string;
  /** An outside client's connection, and a channel on it consuming nothing yet. */
  connection: amqp.ChannelModel;
  channel: amqp.Channel;
  /** An exclusive queue bound to each of the binding keys given. */
  queue: string;
}

/**
 * A started SluiceService on RabbitMQ and a subscriber of its own beside it, bound as any other
 * system would bind to the exchange; both are closed when the test ends.
 */
export async function serviceWithSubscriber(
  t: TestContext,
  config: CompiledConfig,
  bindingKeys: readonly string[],
  options: Partial<SluiceServiceOptions> = {},
): Promise<ServiceWithSubscriber> {
  const service = await SluiceService.create({
    config,
    log: silentLogger(),
    registry: testRegistry(),
    ...options,
  });
  const base = (await service.start())!;
  const conn = await amqp.connect(config.bus.url!);
  t.after(async () => {
    await conn.close();
    await service.stop();
  });
  const channel = await conn.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true });
  for (const key of bindingKeys) await channel.bindQueue(queue, config.bus.exchange, key);
  return { service, base, connection: conn, channel, queue };
}
