import type { Statement } from 'better-sqlite3';
import type { Db } from './open-database.js';

/** What a release tool acts on (Bodhi's TestGatingStatus). */
export type GatingStatus = 'waiting' | 'passed' | 'failed' | 'ignored';

/** Which Bodhi request an update is gated for. */
export type UpdateRequestKind = 'testing' | 'stable';

/** An update as stored (migration 008): what was filed and its last announced gating status. */
export interface StoredUpdate {
  id: string;
  productVersion: string;
  request: UpdateRequestKind;
  critpath: boolean;
  critpathGroups: string[];
  builds: string[];
  submitter: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms: when the builds were last set; the grace period for missing results runs from here. */
  modifiedAt: number;
  status: GatingStatus;
  statusAt: number;
  /** When the status must be computed again without news (end of the grace period); null = not needed. */
  recheckAt: number | null;
}

interface UpdateRow {
  id: string;
  product_version: string;
  request: UpdateRequestKind;
  critpath: number;
  critpath_groups: string;
  submitter: string;
  created_at: number;
  modified_at: number;
  status: GatingStatus;
  status_at: number;
  recheck_at: number | null;
}

/** Updates and their builds in SQLite; callers hold the transaction (see UpdateGating). */
export class UpdatesStore {
  private readonly sql: {
    insert: Statement;
    insertBuild: Statement;
    get: Statement<[string]>;
    builds: Statement<[string]>;
    idsForBuild: Statement<[string]>;
    versionsForBuild: Statement<[string]>;
    setStatus: Statement;
    due: Statement<[number, number]>;
  };

  constructor(db: Db) {
    this.sql = {
      insert:
        db.prepare(`INSERT INTO updates (id, product_version, request, critpath, critpath_groups, submitter, created_at, modified_at, status, status_at, recheck_at)
        VALUES (@id, @productVersion, @request, @critpath, @critpathGroups, @submitter, @createdAt, @modifiedAt, @status, @statusAt, @recheckAt)`),
      insertBuild: db.prepare('INSERT INTO update_builds (nvr, update_id, position) VALUES (?, ?, ?)'),
      get: db.prepare('SELECT * FROM updates WHERE id = ?'),
      builds: db.prepare('SELECT nvr FROM update_builds WHERE update_id = ? ORDER BY position').pluck(),
      idsForBuild: db.prepare('SELECT update_id FROM update_builds WHERE nvr = ? ORDER BY update_id').pluck(),
      versionsForBuild: db
        .prepare(`SELECT DISTINCT u.product_version FROM update_builds AS b CROSS JOIN updates AS u ON u.id = b.update_id
        WHERE b.nvr = ? ORDER BY 1`)
        .pluck(),
      setStatus: db.prepare(
        'UPDATE updates SET status = @status, status_at = @statusAt, recheck_at = @recheckAt WHERE id = @id',
      ),
      due: db.prepare('SELECT id FROM updates WHERE recheck_at <= ? ORDER BY recheck_at LIMIT ?').pluck(),
    };
  }

  insert(u: StoredUpdate): void {
    const { builds, critpath, critpathGroups, ...columns } = u;
    this.sql.insert.run({
      ...columns,
      critpath: critpath ? 1 : 0,
      critpathGroups: JSON.stringify(critpathGroups),
    });
    for (const [i, nvr] of builds.entries()) this.sql.insertBuild.run(nvr, u.id, i);
  }

  get(id: string): StoredUpdate | undefined {
    const row = this.sql.get.get(id) as UpdateRow | undefined;
    if (!row) return undefined;
    return {
      id: row.id,
      productVersion: row.product_version,
      request: row.request,
      critpath: row.critpath === 1,
      critpathGroups: JSON.parse(row.critpath_groups) as string[],
      builds: this.sql.builds.all(row.id) as string[],
      submitter: row.submitter,
      createdAt: row.created_at,
      modifiedAt: row.modified_at,
      status: row.status,
      statusAt: row.status_at,
      recheckAt: row.recheck_at,
    };
  }

  /** The updates holding this build, by id. */
  idsForBuild(nvr: string): string[] {
    return this.sql.idsForBuild.all(nvr) as string[];
  }

  /** The product versions of the updates holding this build. */
  productVersionsForBuild(nvr: string): string[] {
    return this.sql.versionsForBuild.all(nvr) as string[];
  }

  setStatus(id: string, status: GatingStatus, statusAt: number, recheckAt: number | null): void {
    this.sql.setStatus.run({ id, status, statusAt, recheckAt });
  }

  /** Updates whose status must be computed again by now (their grace period ended), oldest first. */
  due(now: number, limit: number): string[] {
    return this.sql.due.all(now, limit) as string[];
  }
}
