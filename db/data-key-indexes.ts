import type { Db } from './open-database.js';

const PREFIX = 'result_data_key_';

/** The SQL string literal for a data key, as the index's WHERE and every query using it spell it. */
export function keyLiteral(key: string): string {
  return `'${key.replaceAll("'", "''")}'`;
}

export function dataKeyIndexName(key: string): string {
  return PREFIX + Buffer.from(key, 'utf8').toString('hex');
}

/**
 * One partial index per configured data key, `(value, result_id) WHERE key = '<key>'`. SQLite
 * uses a partial index only for a query that repeats its WHERE term with the same literal, so
 * queries on these keys spell the key with keyLiteral(). Indexes of keys no longer configured
 * are dropped; new ones are built from the stored data (slow on a big store, once).
 * Returns the keys that are indexed.
 */
export function syncDataKeyIndexes(db: Db, keys: readonly string[]): Set<string> {
  const wanted = new Map(keys.map((k) => [dataKeyIndexName(k), k]));
  const existing = (
    db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'result_data' AND name LIKE '${PREFIX}%'`,
      )
      .all() as Array<{ name: string }>
  ).map((r) => r.name);
  const drop = existing.filter((name) => !wanted.has(name));
  const create = [...wanted].filter(([name]) => !existing.includes(name));
  if (drop.length || create.length) {
    db.transaction(() => {
      for (const name of drop) db.exec(`DROP INDEX IF EXISTS "${name}"`);
      for (const [name, key] of create)
        db.exec(
          `CREATE INDEX IF NOT EXISTS "${name}" ON result_data (value, result_id) WHERE key = ${keyLiteral(key)}`,
        );
    })();
  }
  return new Set(keys);
}
