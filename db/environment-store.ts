import type { Statement } from 'better-sqlite3';
import type { JobQueued } from '../pipeline/job-messages.js';
import type { Db } from './open-database.js';

export interface WaitingJob {
  nodeId: number;
  /** The pipeline.job.queued body it will be dispatched with. */
  message: JobQueued;
  timeoutMs: number;
}

/** What a run deployed where, as its API answer shows it. */
export interface DeploymentJson {
  environment: string;
  job: string;
  node_id: number;
  subject: string;
  at: string;
}

/**
 * Who holds each environment, who waits for it, and what was deployed. Every method runs inside
 * the caller's transaction (the engine's), so taking an environment and dispatching the job, or
 * releasing it and dispatching the next, commit together or not at all.
 */
export class EnvironmentStore {
  private readonly sql: {
    acquire: Statement<[string, number, number]>;
    holder: Statement<[string]>;
    release: Statement<[number]>;
    wait: Statement<[number, string, string, number, number]>;
    next: Statement<[string]>;
    unqueue: Statement<[number]>;
    deployed: Statement<[number, number, string, string, string, number]>;
    ofRun: Statement<[number]>;
  };

  constructor(db: Db) {
    this.sql = {
      acquire: db.prepare(
        'INSERT INTO environment_locks (environment, node_id, since) VALUES (?, ?, ?) ON CONFLICT (environment) DO NOTHING',
      ),
      holder: db.prepare('SELECT node_id FROM environment_locks WHERE environment = ?'),
      release: db.prepare('DELETE FROM environment_locks WHERE node_id = ? RETURNING environment'),
      wait: db.prepare(
        'INSERT OR IGNORE INTO environment_queue (node_id, environment, message, timeout_ms, queued_at) VALUES (?, ?, ?, ?, ?)',
      ),
      next: db.prepare(
        'SELECT node_id, message, timeout_ms FROM environment_queue WHERE environment = ? ORDER BY node_id LIMIT 1',
      ),
      unqueue: db.prepare('DELETE FROM environment_queue WHERE node_id = ? RETURNING environment'),
      deployed: db.prepare(
        'INSERT OR IGNORE INTO deployments (node_id, run_id, environment, job, subject, at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      ofRun: db.prepare(
        'SELECT node_id, environment, job, subject, at FROM deployments WHERE run_id = ? ORDER BY at, node_id',
      ),
    };
  }

  /** True when the node holds the environment now (it was free, or it held it already). */
  acquire(environment: string, nodeId: number, now: number): boolean {
    if (this.sql.acquire.run(environment, nodeId, now).changes === 1) return true;
    return (this.sql.holder.get(environment) as { node_id: number } | undefined)?.node_id === nodeId;
  }

  holder(environment: string): number | undefined {
    return (this.sql.holder.get(environment) as { node_id: number } | undefined)?.node_id;
  }

  wait(environment: string, job: WaitingJob, now: number): void {
    this.sql.wait.run(job.nodeId, environment, JSON.stringify(job.message), job.timeoutMs, now);
  }

  /**
   * A node that ended: the environment it held, if any, is free, and whatever place it had in a
   * queue is gone. Returns the environments that may now let their next job in.
   */
  finished(nodeId: number): string[] {
    const held = this.sql.release.all(nodeId) as Array<{ environment: string }>;
    this.sql.unqueue.run(nodeId);
    return held.map((r) => r.environment);
  }

  /** The oldest waiting job of a free environment, which now holds it; undefined when none waits or it is taken. */
  admitNext(environment: string, now: number): WaitingJob | undefined {
    if (this.holder(environment) !== undefined) return undefined;
    const row = this.sql.next.get(environment) as
      | { node_id: number; message: string; timeout_ms: number }
      | undefined;
    if (!row) return undefined;
    this.sql.unqueue.run(row.node_id);
    this.sql.acquire.run(environment, row.node_id, now);
    return {
      nodeId: row.node_id,
      message: JSON.parse(row.message) as JobQueued,
      timeoutMs: row.timeout_ms,
    };
  }

  recordDeployment(
    d: { nodeId: number; runId: number; environment: string; job: string; subject: string },
    now: number,
  ): void {
    this.sql.deployed.run(d.nodeId, d.runId, d.environment, d.job, d.subject, now);
  }

  deployments(runId: number): DeploymentJson[] {
    return (
      this.sql.ofRun.all(runId) as Array<{
        node_id: number;
        environment: string;
        job: string;
        subject: string;
        at: number;
      }>
    ).map((r) => ({
      environment: r.environment,
      job: r.job,
      node_id: r.node_id,
      subject: r.subject,
      at: new Date(r.at).toISOString(),
    }));
  }
}
