import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { CompiledConfig, RawConfig } from '../../config/config-types.js';
import { applyEnvOverrides, compileConfig, validateConfig } from '../../service/load-config.js';
import { BUILTIN_SCHEMA_DIR, SchemaRegistry } from '../../schemas/schema-registry.js';
import { createLogger } from '../../service/create-logger.js';
import { TEST_SCHEMA_DIR, tempDir } from './paths.js';

/**
 * A configuration of its own for one test: a fresh SQLite file, and queue and topic prefixes
 * no other test shares, so tests can run side by side on one broker.
 */
export function testConfig(
  raw: RawConfig = {},
  { amqpUrl }: { amqpUrl?: string | undefined } = {},
): CompiledConfig {
  const id = randomBytes(4).toString('hex');
  const dir = tempDir();
  const base: RawConfig = {
    server: { port: 0, ...raw.server },
    db: { path: path.join(dir, 'sluice.db'), ...raw.db },
    bus: {
      url: amqpUrl ?? null,
      topicPrefix: `t${id}.`,
      queuePrefix: `t${id}.`,
      deadLetterQueue: `t${id}.dead-letter`,
      ...raw.bus,
      retry: { maxAttempts: 3, delayMs: 50, backoffFactor: 1, maxDelayMs: 1000, ...raw.bus?.retry },
    },
    outbox: { pollIntervalMs: 50, retryDelayMs: 100, maxRetryDelayMs: 500, ...raw.outbox },
    log: { level: 'silent', ...raw.log },
  };
  const source = `test ${id}`;
  return compileConfig(validateConfig(applyEnvOverrides({ ...raw, ...base }, {}), source), source, dir);
}

export function testRegistry(): SchemaRegistry {
  return new SchemaRegistry([BUILTIN_SCHEMA_DIR, TEST_SCHEMA_DIR]);
}

export function silentLogger(): Logger {
  return pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });
}

/** The service's logger at `level`, writing its JSON lines into an array. */
export function capturingLogger(level = 'trace'): { log: Logger; lines: string[]; text: () => string } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { log: createLogger(level, sink), lines, text: () => lines.join('\n') };
}
