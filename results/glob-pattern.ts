/**
 * A ResultsDB "like" pattern (`*` matches any run of characters) as an SQLite GLOB pattern.
 * GLOB rather than LIKE: it is case-sensitive, as ResultsDB's LIKE on PostgreSQL is, and SQLite
 * can use an index for a GLOB pattern that starts with literal text. Only `*` is a wildcard
 * here; GLOB's own `?` and `[` are escaped so that they match themselves.
 */
export function toSqliteGlob(pattern: string): string {
  return pattern.replace(/[?[]/g, (c) => `[${c}]`);
}
