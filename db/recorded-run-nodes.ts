import type { Statement } from 'better-sqlite3';
import type { NodeEvent } from '../notify/node-event.js';
import type { Db } from './open-database.js';

/**
 * The last body of each pipeline node message seen, by run: what a run's report lists until the
 * pipeline's node store can be read directly. A message older than the one kept (redelivered,
 * or overtaken on the bus) does not replace it.
 */
export class RecordedRunNodes {
  private readonly upsert: Statement<[number, number, string, string, number]>;
  private readonly byRun: Statement<[number]>;
  private readonly one: Statement<[number]>;
  private readonly pruneStmt: Statement<[number]>;

  constructor(db: Db) {
    this.upsert = db.prepare(
      `INSERT INTO notify_run_nodes (node_id, run_id, updated, body, recorded_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (node_id) DO UPDATE SET updated = excluded.updated, body = excluded.body, recorded_at = excluded.recorded_at
       WHERE excluded.updated >= notify_run_nodes.updated`,
    );
    this.byRun = db.prepare('SELECT body FROM notify_run_nodes WHERE run_id = ? ORDER BY node_id');
    this.one = db.prepare('SELECT body FROM notify_run_nodes WHERE node_id = ?');
    this.pruneStmt = db.prepare('DELETE FROM notify_run_nodes WHERE recorded_at < ?');
  }

  /** Call inside the consumer's effect. ISO times of one format compare as strings. */
  record(node: NodeEvent, now = Date.now()): void {
    this.upsert.run(node.id, node.run_id, node.updated, JSON.stringify(node), now);
  }

  get(nodeId: number): NodeEvent | undefined {
    const r = this.one.get(nodeId) as { body: string } | undefined;
    return r && (JSON.parse(r.body) as NodeEvent);
  }

  run(runId: number): NodeEvent[] {
    return (this.byRun.all(runId) as Array<{ body: string }>).map((r) => JSON.parse(r.body) as NodeEvent);
  }

  prune(olderThanMs: number, now = Date.now()): number {
    return this.pruneStmt.run(now - olderThanMs).changes;
  }
}
