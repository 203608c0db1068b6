/**
 * The body of WalCheckpointer's worker thread: its own connection to the store, running a
 * PASSIVE checkpoint every interval. PASSIVE never waits for (or blocks) the writer or readers:
 * it copies what it can. But SQLite starts the WAL over only when a write transaction begins
 * with every frame copied, and under steady writes new frames always arrive while a checkpoint
 * copies, so the WAL would grow without end (and every page read would search a longer WAL
 * index). So once the WAL holds `restartFrames` frames and a PASSIVE run copied all it saw, a
 * RESTART follows at once: it holds off the writer while it copies the few frames added
 * meanwhile and resets the WAL, waiting at most a few milliseconds for the writer or readers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** How long a RESTART waits for the writer's transaction or a reader; it is tried again next time. */
const RESTART_WAIT_MS = 10;

const { file, intervalMs, restartFrames } = workerData as { file: string; intervalMs: number; restartFrames: number };
const db = new Database(file);
db.pragma('synchronous = NORMAL');
db.pragma(`busy_timeout = ${RESTART_WAIT_MS}`);

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

function checkpoint(mode: 'PASSIVE' | 'RESTART'): CheckpointRow {
  return (db.pragma(`wal_checkpoint(${mode})`) as CheckpointRow[])[0]!;
}

const timer = setInterval(() => {
  try {
    const passive = checkpoint('PASSIVE');
    if (passive.busy === 0 && passive.log >= restartFrames && passive.checkpointed === passive.log) {
      // Copies what arrived during the first pass, so that the RESTART has almost nothing left to copy.
      if (checkpoint('PASSIVE').busy === 0) checkpoint('RESTART');
    }
  } catch (err) {
    parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
}, intervalMs);
parentPort!.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
parentPort!.postMessage({ ready: true });
