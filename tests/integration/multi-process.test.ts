import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import amqp from 'amqplib';
import { requireBroker } from '../support/broker.js';
import { CliProcess, cliEnv, freePort } from '../support/cli.js';
import { ROOT, tempDir } from '../support/paths.js';
import { waitFor } from '../support/wait-for.js';

const RESULTS = 10_000;
const DUPLICATES = 500;

function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

/**
 * The deployment the roles are for: two consumer processes (competing on the same queues) and
 * one API process, real `sluice serve` children on one RabbitMQ and one SQLite file. 10,000
 * results sent as result.submit messages (and 500 of them sent twice) are each stored once, each
 * announced once, and the scheduled task runs in one process only.
 */
test('two consumer processes and one API process on one broker and one SQLite file: 10,000 results each stored and announced once; scheduled runs in one process', {
  timeout: 300_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const id = randomBytes(4).toString('hex');
  const dir = tempDir('multi-');
  const prefix = `mp${id}.`;
  const configFile = path.join(dir, 'sluice.yaml');
  writeFileSync(
    configFile,
    [
      'db:',
      `  path: ${JSON.stringify(path.join(dir, 'sluice.db'))}`,
      'bus:',
      `  url: ${JSON.stringify(url)}`,
      `  topicPrefix: ${JSON.stringify(prefix)}`,
      `  queuePrefix: ${JSON.stringify(prefix)}`,
      `  deadLetterQueue: ${JSON.stringify(`${prefix}dead-letter`)}`,
      'outbox:',
      '  pollIntervalMs: 100',
      'scheduler:',
      '  leaseSeconds: 10',
      "  pruneCron: '* * * * * *'",
      'log:',
      `  level: ${process.env.SLUICE_TEST_LOG ?? 'warn'}`,
      '',
    ].join('\n'),
  );
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const start = (role: string, port: number) =>
    new CliProcess(
      ['serve', '--config', configFile, '--role', role],
      cliEnv({ SLUICE_PORT: String(port) }),
      ROOT,
    );
  // The API process first: it creates the store (migrations) before the others open it.
  const api = start('api', ports[0]!);
  await waitFor(
    'the API process',
    async () => (await fetch(`http://127.0.0.1:${ports[0]}/readyz`).catch(() => undefined))?.status === 200,
    30_000,
    100,
  );
  const consumers = [start('consumers,scheduler', ports[1]!), start('consumers,scheduler', ports[2]!)];
  const all = [api, ...consumers];
  t.after(async () => {
    for (const p of all) await p.kill();
  });
  for (const port of ports.slice(1)) {
    await waitFor(
      `the consumer process on ${port}`,
      async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200,
      30_000,
      100,
    );
  }
  // The API process serves the API; consumer processes only health and metrics.
  assert.equal((await fetch(`http://127.0.0.1:${ports[1]}/api/v2.0/results`)).status, 404);

  const connection = await amqp.connect(url);
  t.after(() => connection.close());
  const channel = await connection.createConfirmChannel();
  // Every announcement of a stored result, counted from a queue of the test's own.
  const { queue: taps } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(taps, 'amq.topic', `${prefix}resultsdb.result.new`);
  const announced: string[] = [];
  const resultIds = new Set<number>();
  await channel.consume(
    taps,
    (msg) => {
      if (!msg) return;
      announced.push(String(msg.properties.messageId));
      resultIds.add((JSON.parse(msg.content.toString()) as { id: number }).id);
    },
    { noAck: true },
  );

  const body = (i: number) =>
    Buffer.from(
      JSON.stringify({
        testcase: `mp.${id}`,
        outcome: i % 7 === 0 ? 'FAILED' : 'PASSED',
        data: { n: String(i), item: `pkg-${i % 100}` },
      }),
    );
  for (let i = 0; i < RESULTS; i++) {
    channel.publish('amq.topic', `${prefix}result.submit`, body(i), {
      persistent: true,
      messageId: `mp-${id}-${i}`,
      contentType: 'application/json',
    });
    // Some of them again, as a publisher retrying after a lost confirm would.
    if (i % (RESULTS / DUPLICATES) === 0)
      channel.publish('amq.topic', `${prefix}result.submit`, body(i), {
        persistent: true,
        messageId: `mp-${id}-${i}`,
        contentType: 'application/json',
      });
    if (i % 1000 === 999) await channel.waitForConfirms();
  }
  await channel.waitForConfirms();

  const base = `http://127.0.0.1:${ports[0]}/api/v2.0/results?testcases=mp.${id}&limit=1000`;
  await waitFor(
    '10,000 results through the API',
    async () => ((await (await fetch(`${base}&page=9`)).json()) as { data: unknown[] }).data.length === 1000,
    180_000,
    500,
  );
  await waitFor(
    'the queue to drain',
    async () => (await channel.checkQueue(`${prefix}result-submit`)).messageCount === 0,
    30_000,
    200,
  );
  await waitFor('10,000 announcements', () => resultIds.size >= RESULTS, 60_000, 200);
  await new Promise((r) => setTimeout(r, 1000)); // room for a straggler that would be a duplicate

  const seen = new Map<string, number>();
  for (let page = 0; page <= 10; page++) {
    const { data } = (await (await fetch(`${base}&page=${page}`)).json()) as {
      data: Array<{ data: { n: string[] } }>;
    };
    if (page === 10) assert.equal(data.length, 0, 'more than 10,000 results were stored');
    for (const r of data) seen.set(r.data.n[0]!, (seen.get(r.data.n[0]!) ?? 0) + 1);
  }
  assert.equal(seen.size, RESULTS);
  assert.ok(
    [...seen.values()].every((n) => n === 1),
    'a result was stored twice',
  );
  assert.equal(resultIds.size, RESULTS);
  assert.equal(announced.length, RESULTS, 'an announcement was sent twice (two outbox relays?)');
  assert.equal(new Set(announced).size, RESULTS);

  // Both consumer processes took part (competing consumers), and together saw every delivery.
  const metrics = await Promise.all(
    ports.map(async (p) => (await fetch(`http://127.0.0.1:${p}/metrics`)).text()),
  );
  const handled = metrics
    .slice(1)
    .map((m) => metric(m, 'sluice_messages_consumed_total', { consumer: 'result-submit' }));
  assert.ok(
    handled.every((n) => n > 0),
    `work split: ${handled.join(' / ')}`,
  );
  assert.ok(handled[0]! + handled[1]! >= RESULTS + DUPLICATES, `work split: ${handled.join(' / ')}`);
  assert.equal(metric(metrics[0]!, 'sluice_messages_consumed_total'), 0, 'the API process consumed');

  // The scheduled task (every second here) ran, and in one process only.
  await waitFor(
    'scheduled runs',
    async () => {
      const m = await Promise.all(
        ports
          .slice(1)
          .map(async (p) =>
            metric(
              await (await fetch(`http://127.0.0.1:${p}/metrics`)).text(),
              'sluice_scheduled_task_runs_total',
              { task: 'prune-processed-messages' },
            ),
          ),
      );
      return m[0]! + m[1]! >= 3 ? m : undefined;
    },
    20_000,
    250,
  );
  const runs = await Promise.all(
    ports
      .slice(1)
      .map(async (p) =>
        metric(
          await (await fetch(`http://127.0.0.1:${p}/metrics`)).text(),
          'sluice_scheduled_task_runs_total',
          { task: 'prune-processed-messages' },
        ),
      ),
  );
  assert.equal(runs.filter((n) => n > 0).length, 1, `scheduled runs per process: ${runs.join(' / ')}`);
  const leaders = await Promise.all(
    ports
      .slice(1)
      .map(async (p) =>
        metric(await (await fetch(`http://127.0.0.1:${p}/metrics`)).text(), 'sluice_scheduler_leader'),
      ),
  );
  assert.deepEqual([...leaders].sort(), [0, 1]);

  for (const p of all) p.signal('SIGTERM');
  for (const p of all) assert.equal((await p.exitWithin(30_000, 'a sluice serve process')).code, 0);
});
