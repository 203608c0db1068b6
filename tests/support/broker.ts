import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, type TestContext } from 'node:test';
import { ROOT, tempDir } from './paths.js';

const run = promisify(execFile);

/**
 * The URL of the RabbitMQ node the test command started. Under CI a missing broker fails the
 * test loudly; elsewhere the test is skipped with the reason.
 */
export function requireBroker(t: TestContext): string | undefined {
  const url = brokerUrl();
  if (!url) t.skip(NO_BROKER);
  return url;
}

const NO_BROKER = 'SLUICE_TEST_AMQP_URL is not set: this test needs the RabbitMQ node that "npm test" starts';

/** The broker URL; throws under CI when there is none, undefined elsewhere. */
export function brokerUrl(): string | undefined {
  const url = process.env.SLUICE_TEST_AMQP_URL;
  if (url) return url;
  if (process.env.CI === 'true') throw new Error(NO_BROKER);
  return undefined;
}

/** A RabbitMQ node of a test's own, for tests that stop and start the broker. */
export class PrivateRabbitNode {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** Undefined (outside CI) when RabbitMQ is not provisioned; the caller skips. */
  static async create(): Promise<PrivateRabbitNode | undefined> {
    if (!brokerUrl()) return undefined;
    const { stdout } = await run('node', [path.join(ROOT, 'scripts/free-port.mjs')]);
    const node = new PrivateRabbitNode(path.join(tempDir('rabbit-'), 'node'), Number(stdout.trim()));
    await node.start();
    return node;
  }

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await run('bash', [path.join(ROOT, 'scripts/rabbitmq-node.sh'), 'start', this.dir, String(this.port)], {
      timeout: 120_000,
    });
  }

  async stop(): Promise<void> {
    await run('bash', [path.join(ROOT, 'scripts/rabbitmq-node.sh'), 'stop', this.dir, String(this.port)], {
      timeout: 120_000,
    });
  }
}

/**
 * For a test file that stops and starts the broker: a node of its own, started before the
 * file's tests and stopped after them. Read it with the returned function inside a test;
 * undefined (outside CI) means RabbitMQ is not provisioned and the test should skip.
 */
export function privateRabbitNodeForThisFile(): () => PrivateRabbitNode | undefined {
  let node: PrivateRabbitNode | undefined;
  before(async () => {
    node = await PrivateRabbitNode.create();
  });
  after(async () => {
    await node?.stop();
  });
  return () => node;
}

export const NO_PRIVATE_NODE = 'RabbitMQ is not provisioned (run npm test)';

/** Settings that notice a broker outage and a recovery in about a second, for outage tests. */
export const FAST_RECOVERY = {
  bus: { confirmTimeoutMs: 1500, reconnect: { initialDelayMs: 100, maxDelayMs: 500 }, heartbeatSeconds: 2 },
} as const;
