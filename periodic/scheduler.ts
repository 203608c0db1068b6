import type { Statement } from 'better-sqlite3';
import type { Logger } from 'pino';
import { errorText } from '../errors/error-text.js';
import type { Lease } from '../db/lease.js';
import type { Db } from '../db/open-database.js';
import type { SluiceMetrics } from '../observability/metrics.js';
import { scheduleTask, type ScheduledTask } from './scheduled-task.js';

export interface TaskSpec {
  name: string;
  /** Cron in UTC; 6 fields = with seconds. */
  cron: string;
  run: () => unknown | Promise<unknown>;
}

/** Runs of one task kept in scheduled_runs; older ones are dropped as new ones are recorded. */
const RUNS_KEPT_PER_TASK = 1000;

/**
 * Scheduled tasks (sweeps, pruning, polling) for a whole deployment: any number of processes may
 * have the scheduler role, but a task runs only in the one holding the scheduler lease, checked
 * (and renewed) at each run and in the background. When the holder stops, or dies and its lease
 * expires, another takes over. Each run is recorded in scheduled_runs with where it ran.
 * In a process without the scheduler role, tasks are accepted and never run.
 */
export class Scheduler {
  private readonly specs: TaskSpec[] = [];
  private readonly running: ScheduledTask[] = [];
  private renewTimer: NodeJS.Timeout | undefined;
  private started = false;
  private readonly sql: {
    begin: Statement<[string, string, number]>;
    end: Statement<[number, string, string | null, number]>;
    prune: Statement<[string, string, number]>;
  };

  constructor(
    db: Db,
    private readonly lease: Lease,
    private readonly enabled: boolean,
    private readonly metrics: SluiceMetrics,
    private readonly log: Logger,
  ) {
    this.sql = {
      begin: db.prepare('INSERT INTO scheduled_runs (task, holder, started_at) VALUES (?, ?, ?)'),
      end: db.prepare('UPDATE scheduled_runs SET finished_at = ?, outcome = ?, error = ? WHERE id = ?'),
      prune: db.prepare(
        'DELETE FROM scheduled_runs WHERE task = ? AND id <= (SELECT id FROM scheduled_runs WHERE task = ? ORDER BY id DESC LIMIT 1 OFFSET ?)',
      ),
    };
  }

  /** Registers a task; before `start` or after it. Names must be unique. */
  schedule(name: string, cron: string, run: TaskSpec['run']): void {
    if (this.specs.some((s) => s.name === name))
      throw new Error(`scheduled task "${name}" is registered twice`);
    const spec = { name, cron, run };
    this.specs.push(spec);
    if (this.started) this.launch(spec);
  }

  tasks(): Array<Pick<TaskSpec, 'name' | 'cron'>> {
    return this.specs.map(({ name, cron }) => ({ name, cron }));
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  start(leaseMs: number): void {
    if (!this.enabled || this.started) return;
    this.started = true;
    this.checkLease();
    // Renewed well before it expires, so the leader keeps it between runs of an hourly task.
    this.renewTimer = setInterval(() => this.checkLease(), Math.max(500, Math.floor(leaseMs / 3)));
    this.renewTimer.unref();
    for (const spec of this.specs) this.launch(spec);
  }

  async stop(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    for (const t of this.running.splice(0)) await t.cancel();
    if (this.started) {
      try {
        this.lease.release();
      } catch (err) {
        this.log.warn(
          { err: errorText(err) },
          'could not release the scheduler lease; another process takes it when it expires',
        );
      }
    }
    this.metrics.schedulerLeader.set(0);
    this.started = false;
  }

  private checkLease(): boolean {
    let leader = false;
    try {
      leader = this.lease.tryAcquire();
    } catch (err) {
      this.log.warn({ err: errorText(err) }, 'could not check the scheduler lease');
    }
    this.metrics.schedulerLeader.set(leader ? 1 : 0);
    return leader;
  }

  private launch(spec: TaskSpec): void {
    this.running.push(scheduleTask(spec.name, spec.cron, () => this.runOnce(spec), this.log));
  }

  private async runOnce(spec: TaskSpec): Promise<void> {
    if (!this.checkLease()) return; // another process is the scheduler
    const started = Date.now();
    const id = Number(this.sql.begin.run(spec.name, this.lease.holder, started).lastInsertRowid);
    const log = this.log.child({ task: spec.name, runId: id });
    let outcome = 'ok';
    let error: string | null = null;
    try {
      await spec.run();
    } catch (err) {
      outcome = 'failed';
      error = errorText(err);
      log.error({ err: error }, 'scheduled task failed');
    }
    const seconds = (Date.now() - started) / 1000;
    this.metrics.taskRuns.inc({ task: spec.name, outcome });
    this.metrics.taskDuration.observe({ task: spec.name }, seconds);
    try {
      this.sql.end.run(Date.now(), outcome, error, id);
      this.sql.prune.run(spec.name, spec.name, RUNS_KEPT_PER_TASK);
    } catch (err) {
      log.warn({ err: errorText(err) }, 'could not record the end of a scheduled run');
    }
    log.debug({ outcome, seconds }, 'scheduled task ran');
  }
}
