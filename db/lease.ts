import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Statement } from 'better-sqlite3';
import type { Db } from './open-database.js';

/** Names this process among all that share the store: host, pid, and a nonce per holder. */
export function holderId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * A named lease in the store, held by one process at a time. `tryAcquire` takes a free or
 * expired lease, or renews one this holder has; it is one statement, so two processes racing
 * for it cannot both win (SQLite serialises the writes).
 */
export class Lease {
  private readonly acquireStmt: Statement<{ name: string; holder: string; now: number; expires: number }>;
  private readonly releaseStmt: Statement<[string, string]>;
  private readonly readStmt: Statement<[string]>;

  constructor(
    db: Db,
    readonly name: string,
    readonly holder: string,
    private readonly ttlMs: number,
  ) {
    this.acquireStmt = db.prepare(
      `INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (@name, @holder, @now, @expires)
       ON CONFLICT (name) DO UPDATE SET
         acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END,
         holder = excluded.holder,
         expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at <= @now`,
    );
    this.releaseStmt = db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?');
    this.readStmt = db.prepare('SELECT holder, expires_at FROM leases WHERE name = ?');
  }

  /** Until when this holder is known to have the lease (0 = not held). */
  private heldUntil = 0;

  /**
   * True when this holder has the lease now. A lease held with more than half its time left is
   * not written again, and one another holder has with time left is only read: processes that
   * ask often (every outbox poll) cost the shared store a write only every ttl/2.
   */
  tryAcquire(now = Date.now()): boolean {
    if (this.heldUntil - now > this.ttlMs / 2) return true;
    if (this.heldUntil <= now) {
      const row = this.current();
      if (row && row.holder !== this.holder && row.expiresAt > now) return false;
    }
    const expires = now + this.ttlMs;
    const won = this.acquireStmt.run({ name: this.name, holder: this.holder, now, expires }).changes === 1;
    this.heldUntil = won ? expires : 0;
    return won;
  }

  /** Whether this holder had the lease at its last acquisition, without asking the store. */
  held(now = Date.now()): boolean {
    return this.heldUntil > now;
  }

  release(): void {
    this.heldUntil = 0;
    this.releaseStmt.run(this.name, this.holder);
  }

  current(): { holder: string; expiresAt: number } | undefined {
    const row = this.readStmt.get(this.name) as { holder: string; expires_at: number } | undefined;
    return row && { holder: row.holder, expiresAt: row.expires_at };
  }
}
