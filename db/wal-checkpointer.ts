import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { WAL_AUTOCHECKPOINT_PAGES, type Db } from './open-database.js';

const STOP_TIMEOUT_MS = 5000;

/**
 * Moves WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the commit
 * that crosses the threshold: thousands of pages copied and an fsync, stalling every consumer,
 * request and timer of the process for tens of milliseconds (the tail of the result →
 * decision-change latency in bench/decision). Here a worker thread checkpoints on its own
 * connection instead, and the service's connection stops checkpointing; the worker also keeps
 * the WAL from growing without end under steady writes. Should the worker die, the connection
 * checkpoints for itself again.
 */
export class WalCheckpointer {
  private worker: Worker | undefined;
  private stopping = false;

  constructor(
    private readonly db: Db,
    private readonly file: string,
    private readonly intervalMs: number,
    private readonly log: Logger,
    /** The WAL is started over once it holds this many frames (see the worker). */
    private readonly restartFrames = WAL_AUTOCHECKPOINT_PAGES,
  ) {}

  /** Whether checkpoints run in the worker (false: off by configuration, or an in-memory store). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  async start(): Promise<void> {
    if (this.intervalMs === 0 || this.file === ':memory:' || this.worker) return;
    const worker = new Worker(new URL('./wal-checkpoint-worker.js', import.meta.url), {
      workerData: { file: this.file, intervalMs: this.intervalMs, restartFrames: this.restartFrames },
    });
    const [first] = (await Promise.race([
      once(worker, 'message'),
      once(worker, 'error').then(([err]) => Promise.reject(err as Error)),
    ])) as [unknown];
    if (!(first as { ready?: boolean }).ready)
      throw new Error(`WAL checkpoint worker did not start: ${JSON.stringify(first)}`);
    this.worker = worker;
    // Never what keeps the process alive: a service whose stop failed half-way must still exit.
    worker.unref();
    this.db.pragma('wal_autocheckpoint = 0');
    worker.on('message', (m: { error?: string }) => {
      if (m.error) this.log.warn({ err: m.error }, 'WAL checkpoint failed; the next one will try again');
    });
    worker.on('error', (err) => this.log.error({ err: err.message }, 'WAL checkpoint worker failed'));
    worker.on('exit', () => {
      this.worker = undefined;
      if (this.stopping) return;
      this.log.error('WAL checkpoint worker ended; the store checkpoints in the service thread again');
      this.restore();
    });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.stopping = true;
    const exited = once(worker, 'exit');
    worker.postMessage('stop');
    // A worker stuck in a checkpoint must not hold up the service's exit: the store is consistent either way.
    const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    this.restore();
  }

  private restore(): void {
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  }
}
