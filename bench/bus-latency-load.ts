/**
 * The bus side of bench/decision, run as a child process: publishes `result.submit` messages to
 * RabbitMQ at a fixed rate (as a CI system would) and, on a queue of its own bound to
 * `greenwave.decision.update`, times each result from its publication to the decision-change
 * message it caused. First come WARMUP results for builds of their own, timed but reported apart
 * (a warm-up, as the HTTP side has one), then COUNT results. Both go the same way: the first
 * half fail a required test of fresh builds, the second half pass it again (each a change, so
 * each should produce one message). Prints one JSON line: sent, matched, missing,
 * p50/p90/p99/max latency (ms), achieved rate, and the warm-up's own figures.
 *
 * Usage: node bus-latency-load.js AMQP_URL EXCHANGE TOPIC_PREFIX TESTCASE RATE COUNT [WARMUP [BUILD_PREFIX]]
 * (BUILD_PREFIX names the builds, so that two runs on one store both start from fresh builds.)
 */
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { publishProperties } from '../bus/publish-properties.js';

export interface Latencies {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** The one JSON line this prints. */
export interface BusLatencyReport extends Latencies {
  sent: number;
  matched: number;
  missing: number;
  unexpected: number;
  rate: number;
  warmup: Latencies & { sent: number; matched: number };
}

const [
  url,
  exchange,
  prefix = '',
  testcase,
  rate = '1000',
  count = '10000',
  warmup = '0',
  builds = 'busbench',
] = process.argv.slice(2);
if (!url || !exchange || !testcase) {
  console.error(
    'usage: bus-latency-load AMQP_URL EXCHANGE TOPIC_PREFIX TESTCASE RATE COUNT [WARMUP [BUILD_PREFIX]]',
  );
  process.exit(2);
}
const N = Number(count);
const W = Number(warmup);
const perSecond = Number(rate);
const half = Math.floor(N / 2);
const warmHalf = Math.max(1, Math.floor(W / 2));
/**
 * The j-th message sent: W warm-up results for builds of their own, then the N measured ones,
 * both in the same pattern (the first half fail fresh builds, the second half pass them again),
 * so that the warm-up runs every code path the measured results will.
 */
const nvr = (j: number) =>
  j < W ? `${builds}warmup${j % warmHalf}-1.0-1.fc42` : `${builds}${(j - W) % half}-1.0-1.fc42`;
const outcome = (j: number) => ((j < W ? j < warmHalf : j - W < half) ? 'FAILED' : 'PASSED');
const key = (subject: string, passed: boolean) => `${subject}|${passed ? 'passed' : 'failed'}`;

const conn = await amqp.connect(url);
const sub = await conn.createChannel();
const { queue } = await sub.assertQueue('', { exclusive: true });
await sub.bindQueue(queue, exchange, `${prefix}greenwave.decision.update`);
const sentAt = new Map<string, number>();
const latencies: number[] = [];
const warmLatencies: number[] = [];
let unexpected = 0;
await sub.consume(
  queue,
  (m) => {
    if (!m) return;
    const arrived = performance.now();
    const body = JSON.parse(m.content.toString('utf8')) as {
      subject_identifier: string;
      satisfied_requirements: Array<{ testcase: string }>;
    };
    const passed = body.satisfied_requirements.some((r) => r.testcase === testcase);
    const k = key(body.subject_identifier, passed);
    const t0 = sentAt.get(k);
    if (t0 === undefined) unexpected++;
    else {
      (body.subject_identifier.startsWith(`${builds}warmup`) ? warmLatencies : latencies).push(arrived - t0);
      sentAt.delete(k);
    }
  },
  { noAck: true },
);

const pub = await conn.createChannel();
const schema = 'https://sluice.dev/schemas/result.submit.json';
const started = performance.now();
let sent = 0;
let measuredFrom = started;
// Paced by the clock, not by timer ticks: every few milliseconds, send what is due by now.
while (sent < W + N) {
  const due = Math.min(W + N, Math.floor(((performance.now() - started) / 1000) * perSecond) + 1);
  if (sent <= W && due > W) measuredFrom = started + (W / perSecond) * 1000;
  for (; sent < due; sent++) {
    const body = { testcase, outcome: outcome(sent), data: { item: nvr(sent), type: 'koji_build' } };
    sentAt.set(key(nvr(sent), outcome(sent) === 'PASSED'), performance.now());
    pub.publish(
      exchange,
      `${prefix}result.submit`,
      Buffer.from(JSON.stringify(body)),
      publishProperties('result.submit', randomUUID(), schema),
    );
  }
  await new Promise((r) => setTimeout(r, 2));
}
const publishSeconds = (performance.now() - measuredFrom) / 1000;
const deadline = performance.now() + 15_000;
while (latencies.length + warmLatencies.length < W + N && performance.now() < deadline)
  await new Promise((r) => setTimeout(r, 20));
await conn.close();

const figures = (xs: number[]): Latencies => {
  xs.sort((a, b) => a - b);
  const at = (p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
  return { p50: at(50), p90: at(90), p99: at(99), max: xs.at(-1) ?? NaN };
};
const report: BusLatencyReport = {
  sent: N,
  matched: latencies.length,
  missing: N - latencies.length,
  unexpected,
  rate: N / publishSeconds,
  ...figures(latencies),
  warmup: { sent: W, matched: warmLatencies.length, ...figures(warmLatencies) },
};
process.stdout.write(`${JSON.stringify(report)}\n`);
