import type { Statement } from 'better-sqlite3';
import type { ForgeSettings } from '../config/forge-types.js';
import { forgeState, plannedStatuses } from '../pipeline/forge-status-plan.js';
import type { PipelineNode } from '../pipeline/pipeline-node.js';
import type { Db } from './open-database.js';

export interface ForgeStatusRow {
  id: number;
  forge: string;
  repo: string;
  sha: string;
  context: string;
  state: string;
  description: string;
  target_url: string;
  attempts: number;
}

export interface ForgeStatusCounts {
  pending: number;
  sent: number;
  failed: number;
  superseded: number;
}

/**
 * The commit-status outbox. `record` is the node store's change observer: it runs inside the
 * transaction that changes a node, so a status exists exactly when the change does, once (the
 * dedup key), and only for runs a forge started (the root's data names the forge and the
 * repository as its API knows it).
 */
export class ForgeStatuses {
  private readonly insertStmt: Statement;
  private readonly dueStmt: Statement<[number, number]>;
  private readonly claimStmt: Statement<[number, string]>;
  private readonly supersedeStmt: Statement<[string]>;
  private readonly sentStmt: Statement<[number, number]>;
  private readonly sentManyStmt: Statement<[number, string]>;
  private readonly retryStmt: Statement<[number, string, number]>;
  private readonly failStmt: Statement<[string, number]>;
  private readonly countsStmt: Statement<[]>;
  private readonly nextDueStmt: Statement<[]>;
  private readonly byName: Map<string, ForgeSettings>;

  constructor(
    private readonly db: Db,
    forges: readonly ForgeSettings[],
    /** The run's page, as statuses link to it. */
    private readonly runUrl: (runId: number) => string,
  ) {
    this.byName = new Map(forges.map((f) => [f.name, f]));
    this.insertStmt = db.prepare(`INSERT OR IGNORE INTO forge_statuses
      (dedup_key, forge, repo, sha, context, state, description, target_url, run_id, node_id, created_at, next_attempt_at)
      VALUES (@dedupKey, @forge, @repo, @sha, @context, @state, @description, @targetUrl, @runId, @nodeId, @now, @now)`);
    this.dueStmt = db.prepare(
      "SELECT id, forge, repo, sha, context, state, description, target_url, attempts FROM forge_statuses WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
    );
    this.claimStmt = db.prepare(
      "UPDATE forge_statuses SET next_attempt_at = ? WHERE status = 'pending' AND id IN (SELECT value FROM json_each(?))",
    );
    // An unsent status with a newer one of the same commit and context would only be overwritten.
    this.supersedeStmt = db.prepare(`UPDATE forge_statuses SET status = 'superseded'
      WHERE status = 'pending' AND id IN (SELECT value FROM json_each(?))
      AND EXISTS (SELECT 1 FROM forge_statuses n WHERE n.forge = forge_statuses.forge AND n.repo = forge_statuses.repo
        AND n.sha = forge_statuses.sha AND n.context = forge_statuses.context AND n.id > forge_statuses.id)
      RETURNING id`);
    this.sentStmt = db.prepare("UPDATE forge_statuses SET status = 'sent', sent_at = ? WHERE id = ?");
    this.sentManyStmt = db.prepare(
      "UPDATE forge_statuses SET status = 'sent', sent_at = ? WHERE id IN (SELECT value FROM json_each(?))",
    );
    this.retryStmt = db.prepare(
      'UPDATE forge_statuses SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?',
    );
    this.failStmt = db.prepare(
      "UPDATE forge_statuses SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
    );
    this.nextDueStmt = db.prepare(
      "SELECT MIN(next_attempt_at) AS t FROM forge_statuses WHERE status = 'pending'",
    );
    this.countsStmt = db.prepare('SELECT status, COUNT(*) AS n FROM forge_statuses GROUP BY status');
  }

  /** The node store's observer: called in the transaction of every node create and update. */
  record(previous: PipelineNode | null, node: PipelineNode, root: PipelineNode): number {
    const forgeName = root.data.forge;
    const repo = root.data.forge_repo;
    if (typeof forgeName !== 'string' || typeof repo !== 'string' || root.revision === null) return 0;
    const forge = this.byName.get(forgeName);
    if (!forge?.statuses) return 0;
    let added = 0;
    const now = Date.now();
    for (const s of plannedStatuses(previous, node, forge.context)) {
      added += this.insertStmt.run({
        dedupKey: s.dedupKey,
        forge: forge.name,
        repo,
        sha: root.revision,
        context: s.context,
        state: forgeState(forge.type, s.outcome),
        description: s.description,
        targetUrl: this.runUrl(root.id),
        runId: root.id,
        nodeId: node.id,
        now,
      }).changes;
    }
    return added;
  }

  /**
   * Rows due now, oldest first, each claimed for `claimMs` (another sender skips them meanwhile);
   * rows a newer status of their context made pointless are set aside instead of sent.
   */
  claim(limit: number, claimMs: number, now = Date.now()): ForgeStatusRow[] {
    return this.db.transaction(() => {
      const rows = this.dueStmt.all(now, limit) as ForgeStatusRow[];
      if (rows.length === 0) return rows;
      const ids = JSON.stringify(rows.map((r) => r.id));
      const superseded = new Set((this.supersedeStmt.all(ids) as Array<{ id: number }>).map((r) => r.id));
      const out = superseded.size ? rows.filter((r) => !superseded.has(r.id)) : rows;
      if (out.length) this.claimStmt.run(now + claimMs, JSON.stringify(out.map((r) => r.id)));
      return out;
    })();
  }

  sent(id: number, now = Date.now()): void {
    this.sentStmt.run(now, id);
  }

  sentMany(ids: readonly number[], now = Date.now()): void {
    this.sentManyStmt.run(now, JSON.stringify(ids));
  }

  retryAt(id: number, at: number, error: string): void {
    this.retryStmt.run(at, error.slice(0, 1000), id);
  }

  failed(id: number, error: string): void {
    this.failStmt.run(error.slice(0, 1000), id);
  }

  /** The earliest time a pending row is due, for the sender's next wake-up. */
  nextDue(): number | undefined {
    const r = this.nextDueStmt.get() as { t: number | null };
    return r.t ?? undefined;
  }

  counts(): ForgeStatusCounts {
    const out: ForgeStatusCounts = { pending: 0, sent: 0, failed: 0, superseded: 0 };
    for (const r of this.countsStmt.all() as Array<{ status: keyof ForgeStatusCounts; n: number }>)
      out[r.status] = r.n;
    return out;
  }
}
