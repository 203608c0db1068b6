/**
 * bench/results, printed side by side in one run:
 *  1. with 1,000,000 results in the store, p50/p99 latency over HTTP of
 *     GET /results?item=X&type=koji_build&testcases=a,b and GET /results/latest?item=X&type=koji_build;
 *  2. ingestion of Fedora CI messages through real RabbitMQ into stored results, with each
 *     result's resultsdb.result.new event sent, next to a bare amqplib consume-and-ack loop over
 *     the identical messages on the same broker;
 *  3. the same messages through the same handler into a store, with no broker at all: the most
 *     one SQLite writer can store, which bounds ingestion whatever the bus costs;
 *  4. the database's size and this process's peak memory.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import amqp from 'amqplib';
import { publishProperties } from '../bus/publish-properties.js';
import type { CompiledConfig } from '../config/config-types.js';
import { migrate } from '../db/migrate.js';
import { openDatabase } from '../db/open-database.js';
import { ResultsStore } from '../db/results-store.js';
import { WalCheckpointer } from '../db/wal-checkpointer.js';
import { consumerBatchSize } from '../bus/amqp-bus.js';
import { MessageProcessor } from '../bus/message-processor.js';
import { ciResultsConsumer } from '../consumers/ci-results-consumer.js';
import { Outbox } from '../db/outbox.js';
import { mapCiMessage } from '../results/ci-message-mapping.js';
import { SluiceService } from '../service/sluice-service.js';
import { ciMessage } from '../tests/support/ci-messages.js';
import {
  bareConsumeLoop,
  bareConsumePublishLoop,
  type PreparedMessage,
  benchAmqpUrl,
  benchConfig,
  benchLogger,
  benchRegistry,
  median,
  percentile,
  rate,
} from './bench-support.js';
import { generateResults, itemOf } from './generate-results.js';

const SUBJECTS = Number(process.env.BENCH_SUBJECTS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 30_000);
const PREFETCH = Number(process.env.BENCH_PREFETCH ?? 200);
const ROUNDS = Number(process.env.BENCH_INGEST_ROUNDS ?? 3);
/** The batches the AMQP consumer hands to the store at this prefetch, which the no-broker part uses too. */
const BATCH = consumerBatchSize(PREFETCH);

function dbBytes(config: CompiledConfig): number {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      total += statSync(config.db.path + suffix).size;
    } catch {
      // absent
    }
  }
  return total;
}

async function queryLatencies(): Promise<void> {
  const config = benchConfig({ server: { port: 0 } }, 'results-query');
  const db = openDatabase(config.db.path);
  migrate(db);
  const gen = generateResults(db, { subjects: SUBJECTS, testcasesPerSubject: 20, runs: RUNS });
  db.close();
  console.log(
    `generated ${gen.results} results (${gen.dataRows} data rows, ${gen.groups} groups) in ${(gen.ms / 1000).toFixed(1)} s`,
  );
  const service = await SluiceService.create({ config, log: benchLogger(), registry: benchRegistry() });
  const address = (await service.start())!;
  const [a, b] = gen.testcaseNames;
  const shapes: Array<[string, (item: string) => string]> = [
    [
      `GET /results?item=X&type=koji_build&testcases=a,b`,
      (item) => `/api/v2.0/results?item=${encodeURIComponent(item)}&type=koji_build&testcases=${a},${b}`,
    ],
    [
      `GET /results/latest?item=X&type=koji_build`,
      (item) => `/api/v2.0/results/latest?item=${encodeURIComponent(item)}&type=koji_build`,
    ],
  ];
  for (const [name, path] of shapes) {
    // Warm up connections and statement caches, then measure one request at a time.
    for (let i = 0; i < 50; i++) await (await fetch(address + path(itemOf(i)))).arrayBuffer();
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const item = itemOf(Math.floor(Math.random() * SUBJECTS));
      const t0 = performance.now();
      const res = await fetch(address + path(item));
      const body = (await res.json()) as { data: unknown[] };
      times.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`${name}: HTTP ${res.status}`);
      rows += body.data.length;
    }
    times.sort((x, y) => x - y);
    console.log(
      `  ${name.padEnd(50)} p50 ${percentile(times, 50).toFixed(2)} ms  p99 ${percentile(times, 99).toFixed(2)} ms  (target p99 < 10 ms; ${REQUESTS} requests, ${(rows / REQUESTS).toFixed(1)} results each)`,
    );
  }
  await service.stop();
  console.log(
    `  database size with ${gen.results} results: ${(dbBytes(config) / 1024 / 1024).toFixed(0)} MiB`,
  );
}

/** The bytes and properties Sluice's publisher produces, for both sides. */
function ciMessages(n: number): PreparedMessage[] {
  return Array.from({ length: n }, (_, i) => {
    const body = ciMessage('koji-build', 'complete', {
      artifact: {
        type: 'koji-build',
        id: 1000 + i,
        issuer: 'bench',
        component: `pkg${i % 500}`,
        nvr: itemOf(i),
        scratch: false,
      },
      testFields: { type: `tier${i % 3}`, result: i % 10 === 0 ? 'failed' : 'passed' },
    });
    return {
      body: Buffer.from(JSON.stringify(body)),
      options: publishProperties(
        'ci.koji-build.test.complete',
        randomUUID(),
        'https://sluice.dev/schemas/ci.test.complete.json',
      ),
    };
  });
}

/** A result event as Sluice publishes it for one of the benchmark's CI messages. */
function sampleEvent(): unknown {
  const config = benchConfig({}, 'results-sample');
  const db = openDatabase(config.db.path);
  migrate(db);
  const store = ResultsStore.open(db, new Outbox(db, benchRegistry()), config);
  const body = JSON.parse(ciMessages(1)[0]!.body.toString('utf8')) as unknown;
  const stored = store.submit(mapCiMessage('ci.koji-build.test.complete', body, randomUUID()));
  db.close();
  return stored;
}

/** Fills a consumer's durable queue, bound as Sluice binds it, before Sluice starts. */
async function backlog(
  url: string,
  queue: string,
  exchange: string,
  bindingKey: string,
  routingKey: string,
  messages: PreparedMessage[],
): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(queue, { durable: true });
  await ch.bindQueue(queue, exchange, bindingKey);
  for (const [i, m] of messages.entries()) {
    ch.publish(exchange, routingKey, m.body, m.options);
    if (i % 5000 === 4999) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
  await conn.close();
}

async function ingestion(url: string, messages: PreparedMessage[]): Promise<number> {
  const tag = randomBytes(3).toString('hex');
  const config = benchConfig(
    {
      server: { port: 0 },
      bus: {
        url,
        topicPrefix: `r${tag}.`,
        queuePrefix: `r${tag}.`,
        deadLetterQueue: `r${tag}.dlq`,
        prefetch: PREFETCH,
      },
    },
    'results-ingest',
  );
  // The consumer's durable queue exists and holds the backlog before Sluice starts.
  const { queuePrefix, topicPrefix, exchange } = config.bus;
  await backlog(
    url,
    `${queuePrefix}ci-results`,
    exchange,
    `${topicPrefix}ci.#`,
    `${topicPrefix}ci.koji-build.test.complete`,
    messages,
  );
  const service = await SluiceService.create({
    config,
    log: benchLogger(),
    registry: benchRegistry(),
    http: false,
  });
  const { db, outbox } = service.ctx;
  const count = db.prepare('SELECT COUNT(*) AS n FROM results');
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await service.start();
  let storedAt = 0;
  for (;;) {
    const n = (count.get() as { n: number }).n;
    if (n >= messages.length && !storedAt) storedAt = performance.now() - started;
    if (n >= messages.length && outbox.depth().count === 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  if (process.env.BENCH_VERBOSE) {
    console.log(
      `  (all stored after ${storedAt.toFixed(0)} ms, all events confirmed after ${ms.toFixed(0)} ms; this process's CPU ${((cpu.user + cpu.system) / messages.length).toFixed(0)} µs per result)`,
    );
  }
  const stored = (count.get() as { n: number }).n;
  await service.stop();
  if (stored !== messages.length) throw new Error(`expected ${messages.length} results, found ${stored}`);
  return rate(messages.length, ms);
}

/**
 * The consumer's work without the broker: the messages go, in batches of the size the AMQP
 * consumer hands over, through the message processor and the CI-results handler into a fresh
 * store (validated, mapped, stored with the result's outbox row, event-log entry, ledger entry
 * and gating tables), and the relay's reading and removal of the sent outbox rows follows each
 * batch. One thread, as SQLite allows one writer; the WAL is checkpointed by the service's worker.
 */
async function storePathAlone(messages: PreparedMessage[]): Promise<{ rate: number; usPerResult: number }> {
  const config = benchConfig({ server: { port: 0 } }, 'results-store-path');
  const log = benchLogger();
  const service = await SluiceService.create({ config, log, registry: benchRegistry(), http: false });
  const { db, results, registry, outbox } = service.ctx;
  const checkpointer = new WalCheckpointer(db, config.db.path, config.db.checkpointIntervalMs, log);
  await checkpointer.start();
  const processor = new MessageProcessor(db, registry, config.bus.retry, log);
  const spec = ciResultsConsumer(results);
  const deliveries = messages.map((m) => ({
    messageId: String(m.options.messageId),
    topic: 'ci.koji-build.test.complete',
    content: m.body,
    headers: {},
    attempt: 1,
  }));
  const sent = db.transaction((ids: number[]) => outbox.sent(ids));
  const started = performance.now();
  for (let i = 0; i < deliveries.length; i += BATCH) {
    const outcomes = processor.inBatch(() =>
      deliveries.slice(i, i + BATCH).map((d) => processor.process(spec, d)),
    );
    const refused = outcomes.find((o) => 'then' in o || o.action !== 'ack');
    if (refused) throw new Error(`store path: a message was not stored: ${JSON.stringify(refused)}`);
    sent(outbox.due(BATCH).map((r) => r.id));
  }
  const ms = performance.now() - started;
  const stored = (db.prepare('SELECT COUNT(*) AS n FROM results').get() as { n: number }).n;
  await checkpointer.stop();
  db.close();
  if (stored !== messages.length)
    throw new Error(`store path: expected ${messages.length} results, found ${stored}`);
  return { rate: rate(messages.length, ms), usPerResult: (ms * 1000) / messages.length };
}

console.log(`bench/results: ${SUBJECTS} subjects × 20 testcases × ${RUNS} runs`);
await queryLatencies();

const url = benchAmqpUrl();
const messages = ciMessages(MESSAGES);
// A second baseline publishes one result event per message, as ingestion must: it shows how much
// of the gap to the bare loop is the broker's work for the events and how much is Sluice's own.
const event: PreparedMessage = {
  body: Buffer.from(JSON.stringify(sampleEvent())),
  options: publishProperties(
    'resultsdb.result.new',
    randomUUID(),
    'https://sluice.dev/schemas/resultsdb.result.new.json',
  ),
};
// Rounds alternate the three loops, so that drift in the machine's speed reaches each alike; medians are compared.
const bare: number[] = [];
const bareWithPublish: number[] = [];
const ingest: number[] = [];
console.log(
  `ingestion of ${MESSAGES} Fedora CI messages (ci.koji-build.test.complete) through RabbitMQ, prefetch ${PREFETCH}, ${ROUNDS} rounds:`,
);
for (let round = 1; round <= ROUNDS; round++) {
  bare.push(await bareConsumeLoop(url, messages, PREFETCH));
  bareWithPublish.push(await bareConsumePublishLoop(url, messages, PREFETCH, event));
  ingest.push(await ingestion(url, messages));
  console.log(
    `  round ${round}: bare consume+ack ${bare.at(-1)} msg/s | bare consume+publish+ack ${bareWithPublish.at(-1)} msg/s | sluice ${ingest.at(-1)} results/s`,
  );
}
const b = median(bare);
const bp = median(bareWithPublish);
const s = median(ingest);
console.log('medians:');
console.log(`  bare amqplib consume+ack, same messages:       ${b} msg/s`);
console.log(`  sluice: validated, mapped, stored, event sent: ${s} results/s   (target >= 5000)`);
console.log(`  ratio sluice / bare:                           ${(s / b).toFixed(2)}   (target >= 0.50)`);
console.log(`  bare consume + publish one event (confirmed) + ack:   ${bp} msg/s`);
console.log(`  ratio sluice / that:                                 ${(s / bp).toFixed(2)}`);
const alone = await storePathAlone(messages);
console.log(`the same messages through the same handler with no broker (one thread, batches of ${BATCH}):`);
console.log(
  `  ${alone.rate} results/s, ${alone.usPerResult.toFixed(0)} µs a result; as a ratio to the bare loop: ${(alone.rate / b).toFixed(2)}`,
);
console.log(`peak memory of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
