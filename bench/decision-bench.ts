/**
 * bench/decision, side by side in one run, with 1,000,000 results in the store:
 *  1. decisions over HTTP (POST /api/v1.0/decision, every one of 10,000 builds in a shuffled
 *     cycle, the policy asking for 6 testcases) at 32 connections, next to the ceiling: fastify
 *     routes on the same server taking the same request bodies and answering a constant JSON
 *     body (a few bytes; and a decision-sized one). Also the same decisions made afresh every
 *     time (no kept answers). Requests per second and p50/p99; rounds alternate the sides, the
 *     median round is shown.
 *  2. the time from a result published on RabbitMQ (result.submit) to the
 *     greenwave.decision.update it causes arriving at a subscriber, at 1,000 results per second:
 *     in a server process of its own (bench/bus-latency-server), the target's measurement; and,
 *     for comparison, in the process that served the HTTP rounds, right after them.
 * Load comes from child processes (bench/http-load, bench/bus-latency-load), so that the client
 * does not share the server's event loop; on a small machine they still share its cores.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { migrate } from '../db/migrate.js';
import { openDatabase } from '../db/open-database.js';
import { SluiceService } from '../service/sluice-service.js';
import {
  benchAmqpUrl,
  benchTempDir,
  benchConfig,
  benchLogger,
  benchRegistry,
  median,
  runBenchScript,
  runBusLatencyLoad,
} from './bench-support.js';
import type { BusLatencyReport, Latencies } from './bus-latency-load.js';
import type { BusServerReport } from './bus-latency-server.js';
import { generateResults, itemOf } from './generate-results.js';
import type { LoadReport } from './http-load.js';

const SUBJECTS = Number(process.env.BENCH_SUBJECTS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 8000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BUS_RATE = Number(process.env.BENCH_BUS_RATE ?? 1000);
const BUS_RESULTS = Number(process.env.BENCH_BUS_RESULTS ?? 10_000);
/** Sent first, in the measured results' pattern, and reported apart, as the HTTP side's WARMUP_MS: 2 s at the default rate. */
const BUS_WARMUP = Number(process.env.BENCH_BUS_WARMUP ?? 2_000);

const dir = benchTempDir('sluice-decision-bench-');
const policiesDir = path.join(dir, 'policies');
mkdirSync(policiesDir);

const url = benchAmqpUrl();
const config = benchConfig({ server: { port: 0 }, bus: { url }, gating: { policiesDir } }, 'decision');

console.log(`bench/decision: ${SUBJECTS} builds × 20 testcases × ${RUNS} runs`);
const db = openDatabase(config.db.path);
migrate(db);
const gen = generateResults(db, { subjects: SUBJECTS, testcasesPerSubject: 20, runs: RUNS });
db.close();
console.log(
  `  generated ${gen.results} results in ${(gen.ms / 1000).toFixed(1)} s (written as SQL: the latest-result table catches up at start)`,
);

// Six of the generated testcases, as a Fedora policy asks for tier0/rpminspect/rpmdeplint/...
const required = gen.testcaseNames.slice(0, 6);
writeFileSync(
  path.join(policiesDir, 'fedora.yaml'),
  `--- !Policy
id: kojibuild_bodhipush_stable
product_versions: [fedora-*]
decision_context: bodhi_update_push_stable
subject_type: koji_build
rules:
${required.map((t) => `  - !PassingTestCaseRule {test_case_name: ${t}}`).join('\n')}
`,
);

const catchUpStarted = performance.now();
const service = await SluiceService.create({ config, log: benchLogger(), registry: benchRegistry() });
console.log(
  `  service built (latest-result table caught up over ${gen.results} results) in ${((performance.now() - catchUpStarted) / 1000).toFixed(1)} s`,
);

const bodyOf = (i: number) => {
  const nvr = itemOf(i);
  return {
    product_version: `fedora-${nvr.slice(nvr.lastIndexOf('.fc') + 3)}`,
    decision_context: 'bodhi_update_push_stable',
    subject_type: 'koji_build',
    subject_identifier: nvr,
  };
};
// The ceiling answers as much JSON as a decision does: a real answer, computed once.
const constant = await service.ctx.gating.decisions.decide(bodyOf(0));
service.http!.app.post('/bench/constant', async () => constant);
// The strictest ceiling: the same requests answered with a few bytes.
service.http!.app.post('/bench/tiny', async () => ({ policies_satisfied: true }));
// The same decisions with no kept answers: made from the store (latest-result table) every time.
service.http!.app.post('/bench/uncached', async (req) => service.ctx.gating.decisions.decide(req.body));
const address = (await service.start())!;

// Every build once, in a shuffled order, then again: the load generator takes them in turn.
const order = Array.from({ length: SUBJECTS }, (_, i) => i);
for (let i = order.length - 1; i > 0; i--) {
  const j = Math.floor(Math.random() * (i + 1));
  [order[i], order[j]] = [order[j]!, order[i]!];
}
const bodiesFile = path.join(dir, 'bodies.jsonl');
writeFileSync(bodiesFile, `${order.map((i) => JSON.stringify(bodyOf(i))).join('\n')}\n`);
const sample = await (
  await fetch(`${address}/api/v1.0/decision`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(bodyOf(order[0]!)),
  })
).json();
console.log(
  `  a decision: ${JSON.stringify((sample as { summary: string }).summary)}; answer ${JSON.stringify(sample).length} bytes, ceiling's ${JSON.stringify(constant).length}`,
);

async function load(route: string): Promise<LoadReport> {
  return runBenchScript<LoadReport>('http-load.js', [
    `${address}${route}`,
    bodiesFile,
    String(CONNECTIONS),
    String(DURATION_MS),
    String(WARMUP_MS),
  ]);
}

const tiny: LoadReport[] = [];
const ceiling: LoadReport[] = [];
const decisions: LoadReport[] = [];
const uncached: LoadReport[] = [];
const line = (x: LoadReport) =>
  `${x.rps.toFixed(0)} req/s p50 ${x.p50.toFixed(2)} ms p99 ${x.p99.toFixed(2)} ms`;
for (let r = 0; r < ROUNDS; r++) {
  tiny.push(await load('/bench/tiny'));
  ceiling.push(await load('/bench/constant'));
  decisions.push(await load('/api/v1.0/decision'));
  uncached.push(await load('/bench/uncached'));
  console.log(
    `  round ${r + 1}: tiny ${line(tiny.at(-1)!)} | constant ${line(ceiling.at(-1)!)} | decisions ${line(decisions.at(-1)!)} | uncached ${line(uncached.at(-1)!)}`,
  );
  const errors = [tiny, ceiling, decisions, uncached].map((xs) => xs.at(-1)!.errors);
  if (errors.some((e) => e > 0))
    throw new Error(`non-2xx answers (tiny, constant, decisions, uncached): ${errors.join(', ')}`);
}
const mid = (xs: LoadReport[]) => xs.find((x) => x.rps === median(xs.map((y) => y.rps)))!;
const ratio = (side: LoadReport[], base: LoadReport[]) =>
  median(side.map((x, i) => x.rps / base[i]!.rps)).toFixed(2);
console.log(
  `decisions over HTTP, ${CONNECTIONS} connections, ${(DURATION_MS / 1000).toFixed(0)} s per side per round, median of ${ROUNDS} rounds:`,
);
console.log(
  `  ceiling: constant {"policies_satisfied": true} (same server, same request bodies): ${line(mid(tiny))}`,
);
console.log(
  `  ceiling: constant decision-sized JSON (same server, same request bodies):           ${line(mid(ceiling))}`,
);
console.log(
  `  POST /api/v1.0/decision (answers kept until a result/waiver of the subject):         ${line(mid(decisions))}   (target p99 < 5 ms)`,
);
console.log(
  `  the same decisions made afresh every time (no kept answers):                         ${line(mid(uncached))}`,
);
console.log(
  `  ratio to the tiny ceiling: decisions ${ratio(decisions, tiny)}, afresh ${ratio(uncached, tiny)}; to the decision-sized one: ${ratio(decisions, ceiling)}, ${ratio(uncached, ceiling)}   (target >= 0.40)`,
);

const figures = (l: Latencies) =>
  `p50 ${l.p50.toFixed(1)} ms  p90 ${l.p90.toFixed(1)} ms  p99 ${l.p99.toFixed(1)} ms  max ${l.max.toFixed(1)} ms`;
const busLines = (bus: BusLatencyReport, target: string) => [
  `  ${figures(bus)}   (${target}${bus.missing} without a message, ${bus.unexpected} unexpected)`,
  `  warm-up before them, not counted: ${bus.warmup.sent} results of other builds, same pattern: ${figures(bus.warmup)}; ${bus.warmup.sent - bus.warmup.matched} without a message`,
];
const busArgs = (builds: string) => [
  required[0]!,
  String(BUS_RATE),
  String(BUS_RESULTS),
  String(BUS_WARMUP),
  builds,
];

// The bus part twice, with builds of its own each time. First in this process, right after the
// HTTP rounds: what a server sees when bus work follows a long HTTP burst (its garbage and code).
const after = await runBusLatencyLoad(url, config, busArgs('busafterhttp'));
await service.stop();
const serverRss = process.resourceUsage().maxRSS / 1024;
// Then the measurement the target is about: a server process of its own on the same store.
const fresh = await runBenchScript<BusServerReport>('bus-latency-server.js', [
  config.db.path,
  policiesDir,
  ...busArgs('busbench'),
]);

console.log(
  `result published on RabbitMQ (result.submit) → its greenwave.decision.update at a subscriber, ${fresh.bus.sent} results at ${fresh.bus.rate.toFixed(0)}/s:`,
);
console.log(`in a server process of its own on the same store (as JMH forks one per benchmark):`);
for (const l of busLines(fresh.bus, 'target p99 < 50 ms; ')) console.log(l);
console.log(
  `in the process that served the HTTP rounds, right after them (${after.sent} results at ${after.rate.toFixed(0)}/s):`,
);
for (const l of busLines(after, '')) console.log(l);
console.log(
  `peak memory of the server process: ${serverRss.toFixed(0)} MiB (HTTP rounds and the first bus part); ${fresh.maxRssMiB.toFixed(0)} MiB (the bus part's own)`,
);
