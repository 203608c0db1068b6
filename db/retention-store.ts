import type { Statement } from 'better-sqlite3';
import type { Db } from './open-database.js';

export type PrunedWhat = 'log' | 'artifacts' | 'node';

/**
 * The rows retention reads and removes: finished nodes older than a cutoff, and the record of
 * what was pruned. The files (logs, artifacts) are the caller's: it removes them after the rows
 * say so, so a crash in between leaves a file nobody lists rather than a listed file that is gone.
 */
export class RetentionStore {
  private readonly sql: {
    logsDue: Statement<[number, number]>;
    artifactsDue: Statement<[number, number]>;
    runsDue: Statement<[number, number]>;
    nodesOfRun: Statement<[number]>;
    openInRun: Statement<[number]>;
    deleteRun: Statement<[number]>;
    mark: Statement<[number, string, number]>;
    pruned: Statement<[number, string]>;
  };

  constructor(private readonly db: Db) {
    this.sql = {
      logsDue: db.prepare(
        `SELECT n.id FROM pipeline_nodes AS n WHERE n.state = 'done' AND n.updated_at < ? AND n.parent_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM pruned_nodes AS p WHERE p.node_id = n.id AND p.what = 'log') ORDER BY n.updated_at LIMIT ?`,
      ),
      artifactsDue: db.prepare(
        `SELECT n.id FROM pipeline_nodes AS n WHERE n.state = 'done' AND n.updated_at < ? AND n.artifacts <> '{}'
           AND NOT EXISTS (SELECT 1 FROM pruned_nodes AS p WHERE p.node_id = n.id AND p.what = 'artifacts') ORDER BY n.updated_at LIMIT ?`,
      ),
      runsDue: db.prepare(
        `SELECT id FROM pipeline_nodes WHERE state = 'done' AND updated_at < ? AND parent_id IS NULL ORDER BY updated_at LIMIT ?`,
      ),
      nodesOfRun: db.prepare('SELECT id FROM pipeline_nodes WHERE run_id = ?'),
      openInRun: db.prepare(`SELECT 1 FROM pipeline_nodes WHERE run_id = ? AND state <> 'done' LIMIT 1`),
      deleteRun: db.prepare('DELETE FROM pipeline_nodes WHERE run_id = ?'),
      mark: db.prepare('INSERT OR IGNORE INTO pruned_nodes (node_id, what, pruned_at) VALUES (?, ?, ?)'),
      pruned: db.prepare('SELECT pruned_at FROM pruned_nodes WHERE node_id = ? AND what = ?'),
    };
  }

  /** Marks up to `limit` finished jobs' logs older than `before` as pruned; returns their node ids. */
  pruneLogs(before: number, limit: number, now: number): number[] {
    return this.db.transaction(() => {
      const ids = (this.sql.logsDue.all(before, limit) as Array<{ id: number }>).map((r) => r.id);
      for (const id of ids) this.sql.mark.run(id, 'log', now);
      return ids;
    })();
  }

  pruneArtifacts(before: number, limit: number, now: number): number[] {
    return this.db.transaction(() => {
      const ids = (this.sql.artifactsDue.all(before, limit) as Array<{ id: number }>).map((r) => r.id);
      for (const id of ids) this.sql.mark.run(id, 'artifacts', now);
      return ids;
    })();
  }

  /**
   * Deletes up to `limit` finished runs (every node row) whose root ended before `before`, and
   * records each node as pruned, with its log and artifacts. Returns the ids of the nodes gone.
   */
  pruneRuns(before: number, limit: number, now: number): number[] {
    return this.db.transaction(() => {
      const gone: number[] = [];
      for (const { id: runId } of this.sql.runsDue.all(before, limit) as Array<{ id: number }>) {
        if (this.sql.openInRun.get(runId)) continue;
        const ids = (this.sql.nodesOfRun.all(runId) as Array<{ id: number }>).map((r) => r.id);
        this.sql.deleteRun.run(runId);
        for (const id of ids)
          for (const what of ['node', 'log', 'artifacts']) this.sql.mark.run(id, what, now);
        gone.push(...ids);
      }
      return gone;
    })();
  }

  /** When this part of a node was pruned, or undefined when it was not. */
  prunedAt(nodeId: number, what: PrunedWhat): number | undefined {
    return (this.sql.pruned.get(nodeId, what) as { pruned_at: number } | undefined)?.pruned_at;
  }
}
