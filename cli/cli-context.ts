import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Logger } from 'pino';
import { AmqpBus } from '../bus/amqp-bus.js';
import type { CompiledConfig } from '../config/config-types.js';
import { loadConfig } from '../service/load-config.js';
import { SchemaRegistry } from '../schemas/schema-registry.js';
import { createLogger } from '../service/create-logger.js';
import { UsageError, type CliIo } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export const CONFIG_OPTION = {
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/** parseArgs that turns its errors into usage errors. */
export function parse<O extends Options>(argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function cliConfig(file: string | undefined, io: CliIo): CompiledConfig {
  return loadConfig({ file, env: io.env, cwd: io.cwd });
}

export function cliLogger(config: CompiledConfig): Logger {
  // Commands talk to people on stdout/stderr; only warnings from the parts are worth showing.
  return createLogger(config.log.level === 'info' ? 'warn' : config.log.level);
}

/** A bus handle for commands that publish or browse, never consume (so it needs no store). */
export async function cliAmqpBus(config: CompiledConfig, registry = new SchemaRegistry()): Promise<AmqpBus> {
  const bus = new AmqpBus(registry, config.bus, cliLogger(config));
  await bus.start();
  return bus;
}

/** Talks to a running `sluice serve`, with an error that says what to do when none answers. */
export async function serverRequest(
  config: CompiledConfig,
  path: string,
  init?: RequestInit,
): Promise<Response> {
  const url = config.serverUrl + path;
  const headers = new Headers(init?.headers);
  const token = process.env.SLUICE_TOKEN;
  if (token && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
  try {
    return await fetch(url, { ...init, headers });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new Error(
      `no Sluice server answers at ${config.serverUrl} (${cause}); start one with "sluice serve", or configure bus.url to reach RabbitMQ directly`,
    );
  }
}

export function writeLine(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
}
