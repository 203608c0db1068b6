/**
 * bench/forges, in one run:
 *  1. webhook delivered → the run's first job's command started (local runner), p50/p99 over
 *     500 pushes, next to the same path started by a `git.receive` message on the bus, the two
 *     interleaved one push at a time (target: the webhook adds ≤ 5 ms at p50). Statuses are off
 *     here (a git.receive run has none to send); part 2 measures them.
 *  2. commit statuses sent per second through the status outbox to a GitHub-like forge on
 *     loopback (the test forge, which checks each request), next to a bare HTTP POST loop of the
 *     same requests at the same concurrency (target ratio ≥ 0.8).
 * With SLUICE_BENCH_AMQP_URL set (npm run bench:forges) the bus is RabbitMQ, else the embedded bus.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BusMessage } from '../bus/bus.js';
import type { DispatchEvent } from '../builders/runner.js';
import type { RawConfig } from '../config/config-types.js';
import { ForgeStatuses } from '../db/forge-statuses.js';
import { ForgeStatusSender } from '../notify/forge-status-sender.js';
import type { PipelineNode } from '../pipeline/pipeline-node.js';
import { SluiceService } from '../service/sluice-service.js';
import { ForgeTestServer } from '../tests/support/forge-test-server.js';
import { benchConfig, benchLogger, benchTempDir, percentile, rate } from './bench-support.js';

const PUSHES = Number(process.env.BENCH_PUSHES ?? 500);
const STATUSES = Number(process.env.BENCH_STATUSES ?? 2000);
const CONCURRENCY = 16;
const SECRET = 'bench-secret';
const TOKEN = 'bench-token';

const dir = benchTempDir('sluice-forge-bench-');
writeFileSync(path.join(dir, 'secret'), SECRET);
writeFileSync(path.join(dir, 'token'), TOKEN);
const forge = new ForgeTestServer('github', TOKEN);
const apiUrl = await forge.start();
const amqp = process.env.SLUICE_BENCH_AMQP_URL;

// ---- 1. webhook → first job started, next to git.receive → first job started ----
const raw: RawConfig = {
  server: { port: 0 },
  bus: amqp ? { url: amqp, topicPrefix: 'bench.forges.', queuePrefix: 'bench.forges.' } : {},
  pipeline: {
    sweepCron: '0 0 1 1 *',
    builders: [{ name: 'local', type: 'local', jobLimit: 8 }],
    repos: [],
    jobs: [{ name: 'first', on: { kind: 'checkout', state: 'available' }, command: 'true' }],
  },
  forges: [
    {
      name: 'github',
      type: 'github',
      apiUrl,
      secretFile: path.join(dir, 'secret'),
      tokenFile: path.join(dir, 'token'),
      statuses: false,
    },
  ],
};
const service = await SluiceService.create({ config: benchConfig(raw, 'forges'), log: benchLogger() });
const base = (await service.start())!;
const { bus, pipeline } = service.ctx;
const waiting = new Map<string, (at: number) => void>();
pipeline.runner!.events.on('dispatched', (e: DispatchEvent) => {
  const revision = pipeline.nodes.get(e.nodeId)?.revision;
  if (revision) waiting.get(revision)?.(e.startedAt);
});
// Keep the finished reports flowing (and their errors visible).
const sub = await bus.subscribe(['pipeline.job.finished'], (m: BusMessage) => {
  const b = m.body as { status: string; reason: string | null };
  if (b.status !== 'pass') console.error(`a job ended ${b.status}: ${b.reason}`);
});

function pushPayload(revision: string, branch: string) {
  return JSON.stringify({
    ref: `refs/heads/${branch}`,
    before: '0'.repeat(40),
    after: revision,
    created: false,
    deleted: false,
    forced: false,
    repository: {
      full_name: 'bench/repo',
      name: 'repo',
      clone_url: 'https://github.com/bench/repo.git',
    },
    pusher: { name: 'bench' },
    head_commit: { id: revision, message: 'bench', added: [], removed: [], modified: ['a.c'] },
    commits: [{ id: revision, message: 'bench', added: [], removed: [], modified: ['a.c'] }],
  });
}

/** Delivered → the webhook's 201 read by the sender (the run is stored then). */
const answered: number[] = [];

async function viaWebhook(i: number): Promise<number> {
  const revision = randomBytes(20).toString('hex');
  const body = pushPayload(revision, `wh-${i}`);
  const headers = {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': `bench-${revision}`,
    'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
  };
  const started = new Promise<number>((resolve) => waiting.set(revision, resolve));
  const t0 = performance.now();
  const res = await fetch(`${base}/api/v1/hooks/github`, { method: 'POST', headers, body });
  if (res.status !== 201) throw new Error(`webhook: HTTP ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
  answered.push(performance.now() - t0);
  const at = await started;
  waiting.delete(revision);
  return at - t0;
}

async function viaBus(i: number): Promise<number> {
  const revision = randomBytes(20).toString('hex');
  const started = new Promise<number>((resolve) => waiting.set(revision, resolve));
  const t0 = performance.now();
  await bus.publish('git.receive', {
    repo: 'repo',
    namespace: 'bench',
    branch: `gr-${i}`,
    revision,
    changed_files: ['a.c'],
  });
  const at = await started;
  waiting.delete(revision);
  return at - t0;
}

for (let i = 0; i < 20; i++) {
  await viaWebhook(-i - 1);
  await viaBus(-i - 1);
}
answered.length = 0; // not the warm-up's
const hook: number[] = [];
const receive: number[] = [];
for (let i = 0; i < PUSHES; i++) {
  // Alternating, so both paths see the same machine.
  if (i % 2 === 0) {
    hook.push(await viaWebhook(i));
    receive.push(await viaBus(i));
  } else {
    receive.push(await viaBus(i));
    hook.push(await viaWebhook(i));
  }
}
hook.sort((a, b) => a - b);
answered.sort((a, b) => a - b);
receive.sort((a, b) => a - b);
await sub.close();
await service.stop();

// ---- 2. commit statuses through the outbox, next to a bare POST loop ----
const statusService = await SluiceService.create({
  config: benchConfig({ pipeline: { jobs: [], repos: [] } }, 'forge-statuses'),
  log: benchLogger(),
  http: false,
});
const forgeSettings = {
  name: 'github',
  type: 'github' as const,
  apiUrl,
  secretFile: path.join(dir, 'secret'),
  tokenFile: path.join(dir, 'token'),
  statuses: true,
  context: 'sluice',
  timeoutMs: 10_000,
  retry: { delayMs: 1000, maxDelayMs: 300_000, maxAttempts: 20 },
};
const statuses = new ForgeStatuses(
  statusService.ctx.db,
  [forgeSettings],
  (id) => `http://sluice.example/runs/${id}`,
);
const sha = 'a'.repeat(40);
const root = {
  id: 1,
  runId: 1,
  parentId: null,
  revision: sha,
  data: { forge: 'github', forge_repo: 'bench/repo' },
} as unknown as PipelineNode;
function fill(n: number, from: number) {
  statusService.ctx.db.transaction(() => {
    for (let i = from; i < from + n; i++) {
      const job = { ...root, id: i + 2, parentId: 1, job: 'j', name: `job-${i}`, result: null, data: {} };
      statuses.record(job as PipelineNode, { ...job, data: { started_at: 'now' } } as PipelineNode, root);
    }
  })();
}

async function throughOutbox(from: number): Promise<number> {
  fill(STATUSES, from);
  const sender = new ForgeStatusSender(statuses, [forgeSettings], benchLogger(), {
    concurrency: CONCURRENCY,
    pollIntervalMs: 10,
  });
  const t0 = performance.now();
  sender.start();
  while (statuses.nextDue() !== undefined) await new Promise((r) => setTimeout(r, 10));
  const ms = performance.now() - t0;
  await sender.stop();
  return rate(STATUSES, ms);
}

async function bareLoop(): Promise<number> {
  const body = JSON.stringify({
    state: 'pending',
    context: 'sluice/bare',
    target_url: 'http://sluice.example/runs/1',
    description: 'bare',
  });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < STATUSES) {
        const res = await fetch(`${apiUrl}/repos/bench/repo/statuses/${sha}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${TOKEN}`,
            'user-agent': 'bench',
            accept: 'application/vnd.github+json',
          },
          body,
        });
        await res.text();
        if (res.status !== 201) throw new Error(`bare POST: HTTP ${res.status}`);
      }
    }),
  );
  return rate(STATUSES, performance.now() - t0);
}

await bareLoop(); // warm-up
const rounds: Array<{ outbox: number; bare: number }> = [];
for (let r = 0; r < 3; r++) {
  const bare = await bareLoop();
  const outbox = await throughOutbox(r * STATUSES);
  rounds.push({ outbox, bare });
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const outboxRate = med(rounds.map((r) => r.outbox));
const bareRate = med(rounds.map((r) => r.bare));
const refused = forge.problems.length;
await statusService.stop();
await forge.stop();

const ms = (x: number) => `${x.toFixed(1)} ms`;
const p50 = { hook: percentile(hook, 50), receive: percentile(receive, 50) };
const p99 = { hook: percentile(hook, 99), receive: percentile(receive, 99) };
console.log('');
console.log(`bench/forges: local runner, ${amqp ? 'RabbitMQ' : 'embedded'} bus, ${PUSHES} pushes each way`);
console.log(`  push → first job's command started    webhook          git.receive      webhook adds`);
console.log(
  `    p50                                  ${ms(p50.hook).padEnd(16)} ${ms(p50.receive).padEnd(16)} ${ms(p50.hook - p50.receive)}  (target ≤ 5 ms)`,
);
console.log(
  `    p99                                  ${ms(p99.hook).padEnd(16)} ${ms(p99.receive).padEnd(16)} ${ms(p99.hook - p99.receive)}`,
);
console.log(
  `    (the webhook's 201 answer read: p50 ${ms(percentile(answered, 50))}, p99 ${ms(percentile(answered, 99))})`,
);
console.log(`  commit statuses to a loopback forge   outbox           bare POST loop   ratio`);
console.log(
  `    per second (median of 3 × ${STATUSES})      ${outboxRate.toFixed(0).padEnd(16)} ${bareRate.toFixed(0).padEnd(16)} ${(outboxRate / bareRate).toFixed(2)}  (target ≥ 0.8)`,
);
for (const [i, r] of rounds.entries())
  console.log(`    round ${i + 1}: outbox ${r.outbox.toFixed(0)}/s, bare ${r.bare.toFixed(0)}/s`);
if (refused) console.log(`  the forge refused ${refused} requests: ${forge.problems.slice(0, 3).join('; ')}`);
