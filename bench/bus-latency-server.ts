/**
 * The bus part of bench/decision in a server process of its own, as JMH forks a fresh JVM for
 * each benchmark: a process that has just answered ~2.5 million HTTP requests carries their
 * garbage and the code optimized for them. (While each request had a timer of its own, that
 * process's first full GC deoptimized ~140 functions, bus-path ones among them.) Opens the store
 * the benchmark filled, starts Sluice on the broker, runs bench/bus-latency-load against it and
 * prints one JSON line: that report and this process's peak memory.
 *
 * Usage: node bus-latency-server.js DB_PATH POLICIES_DIR TESTCASE RATE COUNT WARMUP BUILD_PREFIX
 */
import { SluiceService } from '../service/sluice-service.js';
import { benchAmqpUrl, benchConfig, benchLogger, benchRegistry, runBusLatencyLoad } from './bench-support.js';
import type { BusLatencyReport } from './bus-latency-load.js';

export interface BusServerReport {
  bus: BusLatencyReport;
  maxRssMiB: number;
}

const [dbPath, policiesDir, testcase, rate, count, warmup, builds] = process.argv.slice(2);
if (!dbPath || !policiesDir || !testcase || !rate || !count || !warmup || !builds) {
  console.error('usage: bus-latency-server DB_PATH POLICIES_DIR TESTCASE RATE COUNT WARMUP BUILD_PREFIX');
  process.exit(2);
}
const url = benchAmqpUrl();
const config = benchConfig(
  { server: { port: 0 }, bus: { url }, gating: { policiesDir } },
  'decision-bus',
  dbPath,
);
// Served as `sluice serve` would, HTTP included (nobody calls it here).
const service = await SluiceService.create({ config, log: benchLogger(), registry: benchRegistry() });
await service.start();
try {
  const bus = await runBusLatencyLoad(url, config, [testcase, rate, count, warmup, builds]);
  const report: BusServerReport = { bus, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(report)}\n`);
} finally {
  await service.stop();
}
