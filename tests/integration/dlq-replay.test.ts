import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import type { ConsumerSpec, DeadLetter, ReplayOutcome } from '../../bus/bus.js';
import type { CompiledConfig } from '../../config/config-types.js';
import { SluiceService } from '../../service/sluice-service.js';
import { writeConfigFile } from '../support/amqp-harness.js';
import { requireBroker } from '../support/broker.js';
import { cliEnv, runCli } from '../support/cli.js';
import { createEffectsTable, effectsConsumer, effectsOf } from '../support/effects-consumer.js';
import { tempDir } from '../support/paths.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

/**
 * One deployment of Sluice on either bus, driven as a user would: `sluice serve` (here the
 * service in-process), `POST /api/v1/dlq/replay`, `sluice dlq replay --all`. What differs
 * between the buses is how a message that skipped validation gets in, and what "its queue is
 * gone" means: on RabbitMQ the queue was deleted; on the embedded bus no consumer of the
 * server reads it any more (its consumer was removed).
 */
interface Deployment {
  config: CompiledConfig;
  /** `sluice serve` with these consumers besides the built-in ones; stopped when the test ends. */
  serve(consumers: ConsumerSpec[]): Promise<Server>;
  /** A message on `topic` whose body is `text`, from a publisher that does not validate. */
  publishRaw(server: Server, topic: string, text: string, messageId: string): Promise<void>;
  /** A letter in the dead-letter queue that names no queue. */
  deadLetterWithoutQueue(server: Server, messageId: string): Promise<void>;
  /** The consumer `name`'s queue no longer exists (a consumer removed after its letters died). */
  dropQueue(name: string): Promise<void>;
  /** The environment `sluice dlq …` runs with to reach this deployment. */
  cli(server: Server): NodeJS.ProcessEnv;
}

interface Server {
  service: SluiceService;
  base: string;
  stop(): Promise<void>;
}

async function serveWith(t: TestContext, config: CompiledConfig, consumers: ConsumerSpec[]): Promise<Server> {
  const service = await SluiceService.create({
    config,
    log: silentLogger(),
    registry: testRegistry(),
    consumers: consumers.map((c) => () => c),
    processMetrics: false,
  });
  createEffectsTable(service.ctx.db);
  const base = (await service.start())!;
  const stop = () => service.stop();
  t.after(stop);
  return { service, base, stop };
}

function embedded(t: TestContext): Deployment {
  const config = testConfig();
  return {
    config,
    serve: (consumers) => serveWith(t, config, consumers),
    async publishRaw(server, topic, text, messageId) {
      // The outbox's path: sent as it is, not validated again, as if a producer had got it wrong.
      await server.service.ctx.bus.publishSerialized(topic, text, { messageId });
    },
    async deadLetterWithoutQueue(server, messageId) {
      // What a dead letter naming no queue looks like in the store.
      server.service.ctx.db
        .prepare(
          'INSERT INTO bus_dead_letters (queue, message_id, topic, headers, body, reason, attempts, dead_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run('', messageId, 'test.orphan', '{}', Buffer.from('{"n": 5}'), 'put here by hand', 1, Date.now());
    },
    async dropQueue() {
      // Nothing to delete: a queue is gone once no consumer registers it.
    },
    cli: (server) => cliEnv({ SLUICE_PORT: new URL(server.base).port, SLUICE_LOG_LEVEL: 'warn' }),
  };
}

function onRabbitMq(t: TestContext, url: string): Deployment {
  const config = testConfig({}, { amqpUrl: url });
  const configFile = writeConfigFile(config);
  const channel = async <T>(fn: (ch: amqp.ConfirmChannel) => Promise<T>): Promise<T> => {
    const conn = await amqp.connect(url);
    try {
      return await fn(await conn.createConfirmChannel());
    } finally {
      await conn.close();
    }
  };
  return {
    config,
    serve: (consumers) => serveWith(t, config, consumers),
    publishRaw: (_server, topic, text, messageId) =>
      channel(async (ch) => {
        ch.publish(config.bus.exchange, config.bus.topicPrefix + topic, Buffer.from(text), {
          messageId,
          persistent: true,
        });
        await ch.waitForConfirms();
      }),
    deadLetterWithoutQueue: (_server, messageId) =>
      channel(async (ch) => {
        // As any AMQP client (or a shovel) could: straight into the dead-letter queue, no headers.
        ch.publish('', config.bus.deadLetterQueue, Buffer.from('{"n": 5}'), {
          messageId,
          persistent: true,
          contentType: 'application/json',
        });
        await ch.waitForConfirms();
      }),
    dropQueue: (name) =>
      channel(async (ch) => {
        await ch.deleteQueue(config.bus.queuePrefix + name);
        await ch.deleteQueue(`${config.bus.queuePrefix}${name}.retry`);
      }),
    cli: () => cliEnv({ SLUICE_CONFIG: configFile }),
  };
}

async function replayOverHttp(
  server: Server,
  body: unknown,
): Promise<{ status: number; answer: ReplayOutcome; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${server.base}/api/v1/dlq/replay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    // Longer than any honest replay of a few letters, shorter than the server's request deadline.
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, answer: (await res.json()) as ReplayOutcome, ms: Date.now() - started };
}

async function deadLetters(server: Server): Promise<DeadLetter[]> {
  const res = await fetch(`${server.base}/api/v1/dlq`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: DeadLetter[] }).data;
}

const waitForLetters = (server: Server, n: number) =>
  waitFor(`${n} dead letters`, async () => {
    const l = await deadLetters(server);
    return l.length === n ? l : undefined;
  });

const deployments: Array<[name: string, make: (t: TestContext) => Deployment | undefined]> = [
  ['embedded bus', (t) => embedded(t)],
  [
    'RabbitMQ',
    (t) => {
      const url = requireBroker(t);
      return url ? onRabbitMq(t, url) : undefined;
    },
  ],
];

for (const [name, make] of deployments) {
  describe(`dead-letter replay on the ${name}`, () => {
    test('replay all with a permanently bad letter: each letter goes back once, the answer counts them, and it ends', async (t) => {
      const d = make(t);
      if (!d) return;
      let broken = true;
      const consumer = effectsConsumer('replayed', ['test.#'], { failWhen: () => broken });
      const server = await d.serve([consumer]);
      // The pipeline's own git.receive consumer can never handle a body that is not JSON.
      await d.publishRaw(server, 'git.receive', '{"repo": "rpms/bash", "branch": ', 'not-json');
      const good = await server.service.ctx.bus.publish('test.later', { n: 1 });
      const before = await waitForLetters(server, 2);
      const bad = before.find((l) => l.messageId === 'not-json')!;
      assert.equal(bad.queue, `${d.config.bus.queuePrefix}pipeline-git-receive`);
      assert.match(bad.reason, /body is not valid JSON/);
      assert.match(before.find((l) => l.messageId === good.messageId)!.reason, /refusing item 1/);

      broken = false; // the cause of the second is fixed; the first can never be handled
      const cli = await runCli(['dlq', 'replay', '--all', '--json'], {
        env: d.cli(server),
        cwd: tempDir('cli-'),
        timeoutMs: 20_000,
      });
      assert.equal(cli.code, 0, cli.stderr);
      assert.deepEqual(JSON.parse(cli.stdout), { replayed: 2, notReplayed: [] });
      await waitFor(
        'the fixed letter to be handled',
        () => effectsOf(server.service.ctx.db, 'replayed').length === 1,
      );
      const back = await waitFor('the bad letter to be dead-lettered again', async () => {
        const l = await deadLetters(server);
        return l.length === 1 && l[0]!.messageId === 'not-json' && l[0]!.deadAt !== bad.deadAt
          ? l[0]
          : undefined;
      });
      assert.match(back.reason, /body is not valid JSON/);

      // Once more through the API: the one bad letter, once.
      const { status, answer, ms } = await replayOverHttp(server, {});
      assert.equal(status, 200, JSON.stringify(answer));
      assert.deepEqual(answer, { replayed: 1, notReplayed: [] });
      assert.ok(ms < 10_000, `the replay answered in ${ms} ms`);
      const again = await waitFor('the bad letter to come back again', async () => {
        const l = await deadLetters(server);
        return l.length === 1 && l[0]!.deadAt !== back.deadAt ? l[0] : undefined;
      });
      // Nothing goes on in the background: the letter stays as it last died.
      await sleep(1000);
      const settled = await deadLetters(server);
      assert.equal(settled.length, 1);
      assert.equal(
        settled[0]!.deadAt,
        again.deadAt,
        'the bad letter was not replayed again after the replay ended',
      );
      assert.deepEqual(
        effectsOf(server.service.ctx.db, 'replayed').map((e) => [e.n, e.message_id]),
        [[1, good.messageId]],
      );

      // By id, the same: one replay, and it ends.
      const byId = await replayOverHttp(server, { ids: [again.id] });
      assert.deepEqual(byId.answer, { replayed: 1, notReplayed: [] });
      await waitFor('the bad letter to come back after the replay by id', async () => {
        const l = await deadLetters(server);
        return l.length === 1 && l[0]!.deadAt !== again.deadAt;
      });
    });

    test('replay a letter whose queue is gone: it stays in the dead-letter queue with the reason; the rest are replayed', async (t) => {
      const d = make(t);
      if (!d) return;
      let broken = true;
      const before = await d.serve([
        {
          name: 'retired',
          topics: ['test.retired.#'],
          handle: () => ({ deadLetter: 'refused by the retired consumer' }),
        },
        effectsConsumer('kept', ['test.kept.#'], { failWhen: () => broken }),
      ]);
      const retired = await before.service.ctx.bus.publish('test.retired.one', { n: 2 });
      const kept = await before.service.ctx.bus.publish('test.kept.one', { n: 3 });
      await d.deadLetterWithoutQueue(before, 'no-queue');
      await waitForLetters(before, 3);
      await before.stop();

      // A new version of the deployment: the retired consumer and its queue are gone.
      await d.dropQueue('retired');
      broken = false;
      const server = await d.serve([effectsConsumer('kept', ['test.kept.#'], { failWhen: () => broken })]);
      const listed = await deadLetters(server);
      const idOf = (messageId: string) => listed.find((l) => l.messageId === messageId)!.id;

      const { status, answer } = await replayOverHttp(server, {});
      assert.equal(status, 200, JSON.stringify(answer));
      assert.equal(answer.replayed, 1);
      const refused = new Map(answer.notReplayed.map((n) => [n.messageId, n]));
      assert.deepEqual([...refused.keys()].sort(), ['no-queue', retired.messageId].sort());
      assert.equal(refused.get(retired.messageId)!.id, idOf(retired.messageId));
      assert.equal(refused.get(retired.messageId)!.queue, `${d.config.bus.queuePrefix}retired`);
      assert.match(
        refused.get(retired.messageId)!.reason,
        new RegExp(`"${d.config.bus.queuePrefix}retired"`),
      );
      assert.match(refused.get(retired.messageId)!.reason, /does not exist|no consumer of this server reads/);
      assert.match(refused.get('no-queue')!.reason, /names no queue/);
      await waitFor(
        'the kept letter to be handled',
        () => effectsOf(server.service.ctx.db, 'kept').length === 1,
      );
      assert.deepEqual(effectsOf(server.service.ctx.db, 'kept')[0]!.message_id, kept.messageId);

      // Both are still there (once each), saying why they were not replayed, with what they had.
      const left = await deadLetters(server);
      assert.deepEqual(left.map((l) => l.messageId).sort(), ['no-queue', retired.messageId].sort());
      const retiredLetter = left.find((l) => l.messageId === retired.messageId)!;
      assert.equal(retiredLetter.reason, 'refused by the retired consumer');
      assert.deepEqual(retiredLetter.body, { n: 2 });
      assert.equal(retiredLetter.notReplayedReason, refused.get(retired.messageId)!.reason);
      assert.equal(
        left.find((l) => l.messageId === 'no-queue')!.notReplayedReason,
        refused.get('no-queue')!.reason,
      );

      // The command line says so too, and exits 1; the letters still stay.
      const cli = await runCli(['dlq', 'replay', '--all', '--json'], {
        env: d.cli(server),
        cwd: tempDir('cli-'),
        timeoutMs: 20_000,
      });
      assert.equal(cli.code, 1, cli.stderr);
      const printed = JSON.parse(cli.stdout) as ReplayOutcome;
      assert.equal(printed.replayed, 0);
      assert.deepEqual(
        printed.notReplayed.map((n) => n.messageId).sort(),
        ['no-queue', retired.messageId].sort(),
      );
      assert.match(cli.stderr, new RegExp(`${escapeRegex(idOf(retired.messageId))} not replayed: .*retired`));
      assert.match(cli.stderr, /not replayed: it names no queue/);
      assert.deepEqual(
        (await deadLetters(server)).map((l) => l.messageId).sort(),
        ['no-queue', retired.messageId].sort(),
      );
    });
  });
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
