/**
 * The body of WalCheckpointer's worker thread: its own connection to the store, running a
 * PASSIVE checkpoint every interval. PASSIVE never waits for (or blocks) the writer or readers:
 * it copies what it can. But SQLite starts the WAL over only when a write transaction begins
 * with every frame copied, and under steady writes new frames always arrive while a checkpoint
 * copies, so the WAL would grow without end (and every page read would search a longer WAL
 * index). So once the WAL holds `restartFrames` frames and a PASSIVE run copied all it saw, a
 * RESTART follows at once, which makes the next writer start the WAL over.
 *
 * The RESTART never waits: it holds the write lock while it waits, and the service's connection,
 * wanting it meanwhile, sleeps in SQLite's busy handler (1, 2, 5, 10, 15, 20 ms...) on the event
 * loop. Waiting 10 ms here cost the service 53 ms sleeps (bench/decision, under strace). So it is
 * tried at once, a few times a millisecond apart, and otherwise at the next interval.
 *
 * After each checkpoint the worker also reads the part of the WAL file the writer will write
 * next, so that it is in the page cache (see wal-warm-plan.ts for why).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { initialWalWarmState, planWalWarm, type WalWarmOptions } from './wal-warm-plan.js';

const RESTART_TRIES = 5;
const MiB = 1 << 20;

const { file, intervalMs, restartFrames } = workerData as {
  file: string;
  intervalMs: number;
  restartFrames: number;
};
const db = new Database(file);
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 0');
const pause = new Int32Array(new SharedArrayBuffer(4));

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

function checkpoint(mode: 'PASSIVE' | 'RESTART'): CheckpointRow {
  return (db.pragma(`wal_checkpoint(${mode})`) as CheckpointRow[])[0]!;
}

function restart(): void {
  for (let i = 0; i < RESTART_TRIES; i++) {
    // Copies what arrived since the last pass, so that the RESTART has almost nothing left to copy while it holds the writer off.
    if (checkpoint('PASSIVE').busy === 0 && checkpoint('RESTART').busy === 0) return;
    Atomics.wait(pause, 0, 0, 1);
  }
}

const warmOptions: WalWarmOptions = {
  frameBytes: (db.pragma('page_size', { simple: true }) as number) + 24,
  minAheadBytes: 8 * MiB,
  maxAheadBytes: 64 * MiB,
  refreshMs: 5000,
};
let warmState = initialWalWarmState;
let walFd: number | undefined;
const chunk = Buffer.allocUnsafe(MiB);

function warm(row: CheckpointRow, restarting = false): void {
  if (walFd === undefined) {
    try {
      walFd = openSync(`${file}-wal`, 'r');
    } catch (err) {
      // Before the first write there is no WAL file; from then on it stays while this connection is open.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
  }
  const plan = planWalWarm(
    warmState,
    { ...row, restarting, fileBytes: fstatSync(walFd).size, now: performance.now() },
    warmOptions,
  );
  warmState = plan.state;
  if (!plan.read) return;
  for (let at = plan.read.from; at < plan.read.to; ) {
    const n = readSync(walFd, chunk, 0, Math.min(chunk.length, plan.read.to - at), at);
    if (n === 0) break;
    at += n;
  }
}

const timer = setInterval(() => {
  try {
    const row = checkpoint('PASSIVE');
    if (row.busy === 0 && row.log >= restartFrames && row.checkpointed === row.log) {
      // The writer will start over at the WAL's first frames: read those before it gets there.
      warm(row, true);
      restart();
    } else warm(row);
  } catch (err) {
    parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
}, intervalMs);
parentPort!.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  if (walFd !== undefined) closeSync(walFd);
  db.close();
  parentPort!.close();
});
parentPort!.postMessage({ ready: true });
