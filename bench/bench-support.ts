import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import amqp, { type Options } from 'amqplib';
import pino from 'pino';
import type { CompiledConfig, RawConfig } from '../config/config-types.js';
import { compileConfig, validateConfig } from '../service/load-config.js';
import { BUILTIN_SCHEMA_DIR, SchemaRegistry } from '../schemas/schema-registry.js';
import type { BusLatencyReport } from './bus-latency-load.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The broker the bench script started (scripts/with-rabbitmq.sh), or one named in the environment. */
export function benchAmqpUrl(): string {
  const url = process.env.SLUICE_BENCH_AMQP_URL;
  if (!url)
    throw new Error('SLUICE_BENCH_AMQP_URL is not set; run the npm script, which starts a private RabbitMQ');
  return url;
}

const tempDirs: string[] = [];

/**
 * A fresh folder under the system's temp folder, removed when the process exits, however it
 * exits: a run with 1,000,000 results stored leaves no gigabyte behind.
 */
export function benchTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  if (tempDirs.push(dir) === 1)
    process.on('exit', () => {
      for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    });
  return dir;
}

/** `dbPath`: a store an earlier part of the benchmark filled (default: a new one in a fresh folder). */
export function benchConfig(raw: RawConfig, tag: string, dbPath?: string): CompiledConfig {
  const dir = dbPath ? path.dirname(dbPath) : benchTempDir('sluice-bench-');
  const source = `bench ${tag}`;
  return compileConfig(
    validateConfig(
      { ...raw, db: { path: dbPath ?? path.join(dir, 'bench.db') }, log: { level: 'warn' } },
      source,
    ),
    source,
    dir,
  );
}

/**
 * Runs one of the bench scripts (`script`, a file name in this folder) in a child process, so that
 * it does not share this process's event loop, and returns the JSON line it prints.
 */
export async function runBenchScript<T>(script: string, args: string[]): Promise<T> {
  const file = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [file, ...args], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as T;
}

/**
 * Runs bench/bus-latency-load against the exchange of `config` on the broker at `url`;
 * `args`: TESTCASE RATE COUNT WARMUP BUILD_PREFIX. Returns the report it prints.
 */
export function runBusLatencyLoad(
  url: string,
  config: CompiledConfig,
  args: string[],
): Promise<BusLatencyReport> {
  return runBenchScript('bus-latency-load.js', [url, config.bus.exchange, config.bus.topicPrefix, ...args]);
}

export function benchRegistry(): SchemaRegistry {
  return new SchemaRegistry([BUILTIN_SCHEMA_DIR, path.join(ROOT, 'tests/fixtures/schemas')]);
}

export const benchLogger = () => pino({ level: 'warn' });

export function rate(count: number, ms: number): number {
  return Math.round((count / ms) * 1000);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export interface PreparedMessage {
  body: Buffer;
  options: Options.Publish;
}

/**
 * The baseline both bus-facing benchmarks compare against: a bare amqplib consume-and-ack loop
 * over `messages` (filled into a queue of its own first), timed from connecting, as Sluice's
 * side is (its start() connects and declares). Returns messages per second.
 */
export async function bareConsumeLoop(
  url: string,
  messages: PreparedMessage[],
  prefetch: number,
): Promise<number> {
  return bareLoop(url, messages, prefetch);
}

/**
 * A second baseline, for work that must publish one message per message consumed (an event per
 * stored result): a bare amqplib loop that, for each delivery, publishes `reply` with a confirm
 * and acks once it is confirmed. It does on the broker what such a consumer must at least do.
 */
export async function bareConsumePublishLoop(
  url: string,
  messages: PreparedMessage[],
  prefetch: number,
  reply: PreparedMessage,
): Promise<number> {
  return bareLoop(url, messages, prefetch, reply);
}

async function bareLoop(
  url: string,
  messages: PreparedMessage[],
  prefetch: number,
  reply?: PreparedMessage,
): Promise<number> {
  const filler = await amqp.connect(url);
  const ch = await filler.createConfirmChannel();
  const queue = `bench.bare.${randomBytes(4).toString('hex')}`;
  await ch.assertQueue(queue, { durable: true });
  for (const [i, m] of messages.entries()) {
    ch.sendToQueue(queue, m.body, m.options);
    if (i % 5000 === 4999) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
  const started = performance.now();
  const conn = await amqp.connect(url);
  const consumer = await conn.createConfirmChannel();
  await consumer.prefetch(prefetch);
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    void consumer.consume(queue, (msg) => {
      if (!msg) return;
      const done = () => {
        consumer.ack(msg);
        if (++seen === messages.length) resolve();
      };
      if (!reply) return done();
      // Routed nowhere, as Sluice's events are in its benchmark: the broker confirms and drops it.
      consumer.publish('amq.topic', `bench.reply.${queue}`, reply.body, reply.options, (err) =>
        err ? reject(err) : done(),
      );
    });
  });
  const ms = performance.now() - started;
  await ch.deleteQueue(queue);
  await conn.close();
  await filler.close();
  return rate(messages.length, ms);
}
