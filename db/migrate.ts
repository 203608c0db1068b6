import { MigrationError } from '../errors/migration-error.js';
import type { Migration } from './migration.js';
import { migrations as allMigrations } from './migrations/index.js';
import type { Db } from './open-database.js';

export interface MigrationReport {
  from: number;
  to: number;
  applied: Array<{ version: number; name: string }>;
}

export function currentVersion(db: Db): number {
  ensureLedger(db);
  return (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number })
    .v;
}

/**
 * Applies each pending migration in its own transaction. SQLite's DDL is transactional, so a
 * migration that throws leaves the tables and the recorded version as they were before it.
 */
export function migrate(db: Db, migrations: Migration[] = allMigrations): MigrationReport {
  const from = currentVersion(db);
  const applied: MigrationReport['applied'] = [];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  // Each migration not yet recorded, not just those above the highest: features developed side
  // by side get numbers out of merge order, and a store migrated in between must not skip one.
  const done = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map(
      (r) => r.version,
    ),
  );
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    try {
      db.transaction(() => {
        if (typeof m.up === 'string') db.exec(m.up);
        else m.up(db);
        record.run(m.version, m.name, new Date().toISOString());
      })();
    } catch (err) {
      throw new MigrationError(m.version, m.name, err);
    }
    applied.push({ version: m.version, name: m.name });
  }
  return { from, to: currentVersion(db), applied };
}

function ensureLedger(db: Db): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
}
