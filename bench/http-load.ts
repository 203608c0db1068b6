/**
 * A closed-loop HTTP load generator, run as a child process of a benchmark so that it does not
 * share the server's event loop: `connections` keep-alive sockets (node:http), each sending the
 * next request as soon as the previous answer is read, for `durationMs` after `warmupMs`.
 * Request bodies come from a file (one JSON body per line), taken in turn. Prints one JSON line:
 * requests, seconds, requests per second, latency percentiles (ms), non-2xx answers.
 *
 * Usage: node http-load.js URL BODIES_FILE CONNECTIONS DURATION_MS WARMUP_MS
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';

export interface LoadReport {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
}

const [url, bodiesFile, connections = '32', duration = '10000', warmup = '2000'] = process.argv.slice(2);
if (!url || !bodiesFile) {
  console.error('usage: http-load URL BODIES_FILE [CONNECTIONS DURATION_MS WARMUP_MS]');
  process.exit(2);
}
const target = new URL(url);
const bodies = readFileSync(bodiesFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((b) => Buffer.from(b));
const agent = new http.Agent({
  keepAlive: true,
  maxSockets: Number(connections),
  maxFreeSockets: Number(connections),
});

function send(body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let next = 0;
let recording = false;
let stop = false;
const latencies: number[] = [];
let errors = 0;

async function connection(): Promise<void> {
  while (!stop) {
    const body = bodies[next++ % bodies.length]!;
    const t0 = performance.now();
    const status = await send(body);
    if (!recording) continue;
    latencies.push(performance.now() - t0);
    if (status < 200 || status >= 300) errors++;
  }
}

const loops = Array.from({ length: Number(connections) }, () => connection());
await new Promise((r) => setTimeout(r, Number(warmup)));
recording = true;
const started = performance.now();
await new Promise((r) => setTimeout(r, Number(duration)));
recording = false;
const seconds = (performance.now() - started) / 1000;
stop = true;
await Promise.all(loops);
agent.destroy();

latencies.sort((a, b) => a - b);
const at = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
const report: LoadReport = {
  requests: latencies.length,
  seconds,
  rps: latencies.length / seconds,
  p50: at(50),
  p90: at(90),
  p99: at(99),
  max: latencies.at(-1) ?? NaN,
  errors,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
