/**
 * bench/pipeline, on real RabbitMQ and two real OpenSSH servers (loopback), in one run:
 *  1. 500 short jobs over 2 SSH builders: jobs per second, from the first job message to the
 *     500th finished report;
 *  2. dispatch overhead per job, one job at a time: `pipeline.job.queued` published → the
 *     remote command's first output (it has started), p50/p99, next to the baseline measured
 *     alongside: a bare ssh2 exec on an already open connection → its first output;
 *  3. event-loop lag p99 of this process while 50 jobs stream their logs at once, next to the
 *     same process idle for 5 s in the same run.
 * Targets: dispatch overhead p50 < 50 ms; loop lag p99 < 20 ms.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client } from 'ssh2';
import type { BusMessage } from '../bus/bus.js';
import type { DispatchEvent } from '../builders/runner.js';
import { SluiceService } from '../service/sluice-service.js';
import { startSshServers } from '../tests/support/sshd-servers.js';
import { benchAmqpUrl, benchConfig, benchLogger, percentile, rate } from './bench-support.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 500);
const DISPATCHES = Number(process.env.BENCH_DISPATCHES ?? 200);
const STREAMERS = Number(process.env.BENCH_STREAMERS ?? 50);

const ssh = await startSshServers(2);
const config = benchConfig(
  {
    bus: { url: benchAmqpUrl(), topicPrefix: 'bench.pipeline.', queuePrefix: 'bench.pipeline.' },
    pipeline: {
      sweepCron: '0 0 1 1 *',
      jobs: [],
      builders: ssh.servers.map((s) => s.builder({ jobLimit: 32, labels: ['linux'] })),
      runner: { concurrency: 128 },
    },
  },
  'pipeline',
);
const service = await SluiceService.create({ config, log: benchLogger(), http: false });
await service.start();
const { bus } = service.ctx;
const runner = service.ctx.pipeline.runner!;

const finished = new Map<number, () => void>();
const sub = await bus.subscribe(['pipeline.job.finished'], (m: BusMessage) => {
  const body = m.body as { node_id: number; status: string; reason: string | null };
  if (body.status !== 'pass') console.error(`job ${body.node_id}: ${body.status}: ${body.reason}`);
  finished.get(body.node_id)?.();
});
const dispatched = new Map<number, (e: DispatchEvent) => void>();
runner.events.on('dispatched', (e: DispatchEvent) => dispatched.get(e.nodeId)?.(e));

let nextId = 1;
function job(command: string) {
  const id = nextId++;
  const body = {
    node_id: id,
    run_id: 1,
    job: 'bench',
    attempt: 1,
    command,
    env: {},
    timeout_s: 120,
    deadline: new Date(Date.now() + 120_000).toISOString(),
    runs_on: ['linux'],
    artifacts: [],
    results: { parser: 'exit-code', files: [] },
  };
  const done = new Promise<void>((resolve) => finished.set(id, resolve));
  const started = new Promise<DispatchEvent>((resolve) => dispatched.set(id, resolve));
  return { id, body, done, started };
}

// Warm up: connections open, schemas and statements hot.
await Promise.all(
  Array.from({ length: 8 }, () => job('true')).map(async (j) => {
    await bus.publish('pipeline.job.queued', j.body);
    await j.done;
  }),
);

// 1. Throughput.
const burst = Array.from({ length: JOBS }, () => job('echo hi'));
const t0 = performance.now();
await Promise.all(burst.map((j) => bus.publish('pipeline.job.queued', j.body)));
await Promise.all(burst.map((j) => j.done));
const burstMs = performance.now() - t0;

// 2. Dispatch overhead, one job at a time, each next to one bare ssh2 exec (interleaved, so
// that both see the same machine).
const overhead: number[] = [];
const inRunner: number[] = [];
const bare: number[] = [];
const bareClient = await openBareClient();
for (let i = 0; i < DISPATCHES; i++) {
  bare.push(await bareExec(bareClient));
  const j = job('echo hi');
  const sent = performance.now();
  await bus.publish('pipeline.job.queued', j.body);
  const e = await j.started;
  overhead.push(e.startedAt - sent);
  inRunner.push(e.startedAt - e.receivedAt);
  await j.done;
}
bareClient.end();

// 3. Event-loop lag while jobs stream their logs, next to the same process idle for as long
// (what the machine's other load alone costs).
const idle = monitorEventLoopDelay({ resolution: 10 });
idle.enable();
await new Promise((r) => setTimeout(r, 5000));
idle.disable();
const lag = monitorEventLoopDelay({ resolution: 10 });
const streamers = Array.from({ length: STREAMERS }, () =>
  // 2 KiB of output every 50 ms for 5 s (40 KiB/s per job, 2 MiB/s in all): a busy build log.
  job(
    "line=$(printf '%2047s' '' | tr ' ' x); i=0; while [ $i -lt 100 ]; do echo \"$i $line\"; i=$((i+1)); sleep 0.05; done",
  ),
);
lag.enable();
const s0 = performance.now();
await Promise.all(streamers.map((j) => bus.publish('pipeline.job.queued', j.body)));
await Promise.all(streamers.map((j) => j.done));
const streamMs = performance.now() - s0;
lag.disable();
const logBytes = streamers.reduce((n, j) => n + service.ctx.pipeline.logs.size(j.id), 0);

await sub.close();
await service.stop();
await ssh.stop();

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const ms = (x: number) => `${x.toFixed(1)} ms`;
const o = sorted(overhead);
const b = sorted(bare);
const r = sorted(inRunner);
console.log('');
console.log(`bench/pipeline: 2 OpenSSH builders on loopback (jobLimit 32 each), RabbitMQ bus`);
console.log(
  `  ${JOBS} short jobs:                        ${rate(JOBS, burstMs)} jobs/s (${(burstMs / 1000).toFixed(2)} s)`,
);
console.log(
  `  dispatch, message in → command started:   p50 ${ms(percentile(o, 50))}  p99 ${ms(percentile(o, 99))}   (target p50 < 50 ms; ${DISPATCHES} jobs one at a time)`,
);
console.log(
  `    of which in the runner (delivery → started): p50 ${ms(percentile(r, 50))}  p99 ${ms(percentile(r, 99))}`,
);
console.log(
  `  bare ssh2 exec on an open connection:     p50 ${ms(percentile(b, 50))}  p99 ${ms(percentile(b, 99))}`,
);
console.log(
  `  ratio dispatch / bare exec (p50):         ${(percentile(o, 50) / percentile(b, 50)).toFixed(2)}`,
);
console.log(
  `  event-loop lag, ${STREAMERS} jobs streaming logs:  p99 ${ms(lag.percentile(99) / 1e6)}  max ${ms(lag.max / 1e6)}   (target p99 < 20 ms; ${(logBytes / 1e6).toFixed(1)} MB of log in ${(streamMs / 1000).toFixed(1)} s)`,
);
console.log(
  `  event-loop lag, the same process idle:    p99 ${ms(idle.percentile(99) / 1e6)}  max ${ms(idle.max / 1e6)}   (5 s; the machine's other load)`,
);
process.exit(0);

async function openBareClient(): Promise<Client> {
  const s = ssh.servers[0]!;
  const client = new Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve()).once('error', reject);
    client.connect({
      host: '127.0.0.1',
      port: s.port,
      username: 'sluiceci',
      privateKey: readFileSync(ssh.clientKey),
    });
  });
  client.setNoDelay(true); // as the runner's connections do
  return client;
}

/** The baseline: an exec on an open ssh2 connection, timed to the command's first output. */
function bareExec(client: Client): Promise<number> {
  const t = performance.now();
  return new Promise<number>((resolve, reject) =>
    client.exec('echo hi', (err, ch) => {
      if (err) return reject(err);
      let first: number | undefined;
      ch.on('data', () => (first ??= performance.now() - t));
      ch.stderr.resume();
      ch.on('close', () => resolve(first ?? NaN));
      ch.end();
    }),
  );
}
