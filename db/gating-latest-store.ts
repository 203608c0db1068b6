import type { Statement, Transaction } from 'better-sqlite3';
import { valuesKey, type GatingResult } from '../gating/gating-result.js';
import type { ResultQuery } from '../gating/subject-types.js';
import type { StoredResult } from '../results/result-json.js';
import { keyLiteral } from './data-key-indexes.js';
import type { Db } from './open-database.js';

/** A row of a read: id, testcase, outcome, submit time, scenario, arch, variant, error reason, distinct key. */
type RawRow = [
  number,
  string,
  string,
  number,
  string | null,
  string | null,
  string | null,
  string | null,
  string,
];

/** Results folded in per catch-up transaction (an id range): bounded work per commit on a large store. */
const CATCH_UP_IDS = 100_000;
/** Statements by query shape (numbers of types and testcases); shapes are few, this bounds odd requests. */
const MAX_SHAPES = 200;

const UPSERT_TAIL = `ON CONFLICT (item_key, item, type, testcase, scenario_key, arch_key, variant_key) DO UPDATE SET
    result_id = excluded.result_id, submit_time = excluded.submit_time, outcome = excluded.outcome,
    scenario = excluded.scenario, system_architecture = excluded.system_architecture,
    system_variant = excluded.system_variant, error_reason = excluded.error_reason
  WHERE excluded.submit_time > gating_latest.submit_time
    OR (excluded.submit_time = gating_latest.submit_time AND excluded.result_id > gating_latest.result_id)`;

// "+key" keeps SQLite off the (key, value) index, which would scan every value of the key: these
// lookups belong on the primary key, a result's few data rows.
const valuesKeySql = (key: string) =>
  `CASE WHEN EXISTS (SELECT 1 FROM result_data WHERE result_id = d.result_id AND +key = '${key}')
     THEN (SELECT json_group_array(value) FROM (SELECT value FROM result_data WHERE result_id = d.result_id AND +key = '${key}' ORDER BY seq))
     ELSE '' END`;
const firstSql = (key: string) =>
  `(SELECT value FROM result_data WHERE result_id = d.result_id AND +key = '${key}' ORDER BY seq LIMIT 1)`;

/** A result's key values and first values, as the table holds them; the result is `d.result_id`. */
const KEY_COLUMNS = `
      ${valuesKeySql('scenario')} AS scenario_key,
      ${valuesKeySql('system_architecture')} AS arch_key,
      ${valuesKeySql('system_variant')} AS variant_key,
      ${firstSql('scenario')} AS scenario,
      ${firstSql('system_architecture')} AS system_architecture,
      ${firstSql('system_variant')} AS system_variant,
      ${firstSql('error_reason')} AS error_reason`;

/**
 * The same rows `record` writes, for every result in an id range, computed by SQLite in
 * one statement: the newest per key within the range, merged with the table by the upsert's
 * "only newer" rule. Key strings match valuesKey (JSON arrays of the values in order).
 */
const CATCH_UP_SQL = `
  WITH items AS (
    SELECT d.result_id AS result_id, d.key AS item_key, d.value AS item FROM result_data AS d
    WHERE d.result_id > @from AND d.result_id <= @to AND +d.key IN (SELECT value FROM json_each(@keys))
  ),
  facts AS (
    SELECT d.item_key, d.item, d.result_id, r.submit_time, r.outcome, t.name AS testcase, ${KEY_COLUMNS}
    FROM items AS d
      CROSS JOIN results AS r ON r.id = d.result_id
      CROSS JOIN testcases AS t ON t.id = r.testcase_id
  ),
  typed AS (
    SELECT f.*, COALESCE(ty.value, '') AS type FROM facts AS f
    LEFT JOIN result_data AS ty ON ty.result_id = f.result_id AND +ty.key = 'type'
  ),
  ranked AS (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY item_key, item, type, testcase, scenario_key, arch_key, variant_key
      ORDER BY submit_time DESC, result_id DESC) AS rn FROM typed
  )
  INSERT INTO gating_latest (item_key, item, type, testcase, scenario_key, arch_key, variant_key,
    result_id, submit_time, outcome, scenario, system_architecture, system_variant, error_reason)
  SELECT item_key, item, type, testcase, scenario_key, arch_key, variant_key,
    result_id, submit_time, outcome, scenario, system_architecture, system_variant, error_reason
  FROM ranked WHERE rn = 1
  ${UPSERT_TAIL}`;

/**
 * The latest-result table behind decisions (migration 005). `record` runs in the transaction
 * that stores a result (intake/submit-result.ts); `catchUp` folds in results stored without it; `forSubject`
 * is the decision's read: one statement, a short primary-key range per result query, or memory.
 */
export class GatingLatestStore {
  private readonly itemKeys: string[];
  private readonly keysJson: string;
  private readonly sql: {
    upsert: Statement;
    advance: Statement;
    state: Statement<[]>;
    behind: Statement<[]>;
    maxResult: Statement<[]>;
    catchUp: Statement;
    setThrough: Statement<[number]>;
    reset: Statement<[string]>;
    hasItem: Statement<[string, string]>;
    dataVersion: Statement<[]>;
  };
  private readonly shapes = new Map<string, Statement>();
  private readonly asOfShapes = new Map<string, Statement>();
  private keysMatch = false;
  private readonly catchUpTx: Transaction<(from: number, to: number) => void>;

  /** Read rows by subject identifier, then by query shape and testcases; see forSubject. */
  private readonly cache = new Map<string, Map<string, GatingResult[]>>();
  private cachedVersion = -1;

  /**
   * `cacheSubjects`: how many subjects' rows are kept in memory (0 = none). `changed` is told
   * when what decisions read may have changed, for caches built on top of this one: a subject's
   * identifier when one of its results is recorded (inside the storing transaction), null when
   * anything may have (a catch-up, another connection's write).
   */
  constructor(
    private readonly db: Db,
    itemKeys: readonly string[],
    private readonly cacheSubjects = 0,
    private readonly changed: (identifier: string | null) => void = () => {},
  ) {
    this.itemKeys = [...new Set(itemKeys)].sort();
    this.keysJson = JSON.stringify(this.itemKeys);
    this.sql = {
      // Only a newer result replaces the row: results may be submitted with an older submit_time.
      upsert:
        db.prepare(`INSERT INTO gating_latest (item_key, item, type, testcase, scenario_key, arch_key, variant_key,
          result_id, submit_time, outcome, scenario, system_architecture, system_variant, error_reason)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ${UPSERT_TAIL}`),
      // The table is complete through a result only if it was complete through every earlier one.
      advance: db.prepare(`UPDATE gating_latest_state SET through_result_id = @id
        WHERE id = 1 AND through_result_id >= (SELECT COALESCE(MAX(id), 0) FROM results WHERE id < @id)`),
      state: db.prepare('SELECT item_keys, through_result_id FROM gating_latest_state WHERE id = 1'),
      behind: db.prepare(
        'SELECT (SELECT COALESCE(MAX(id), 0) FROM results) > through_result_id AS behind FROM gating_latest_state WHERE id = 1',
      ),
      maxResult: db.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM results'),
      catchUp: db.prepare(CATCH_UP_SQL),
      setThrough: db.prepare('UPDATE gating_latest_state SET through_result_id = ? WHERE id = 1'),
      reset: db.prepare('UPDATE gating_latest_state SET item_keys = ?, through_result_id = 0 WHERE id = 1'),
      hasItem: db.prepare('SELECT 1 FROM gating_latest WHERE item_key = ? AND item = ? LIMIT 1'),
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
    };
    this.catchUpTx = db.transaction((from: number, to: number) => {
      this.sql.catchUp.run({ from, to, keys: this.keysJson });
      this.sql.setThrough.run(to);
    });
  }

  /** Folds a result just stored in; runs inside the transaction that stores it. */
  record(stored: StoredResult): void {
    const data = stored.data;
    const first = (k: string) => data[k]?.[0] ?? null;
    const testcase = stored.testcase.name;
    const scenarioKey = valuesKey(data.scenario);
    const archKey = valuesKey(data.system_architecture);
    const variantKey = valuesKey(data.system_variant);
    const submitTime = Date.parse(`${stored.submit_time}Z`);
    const scenario = first('scenario');
    const arch = first('system_architecture');
    const variant = first('system_variant');
    const errorReason = first('error_reason');
    const types = data.type?.length ? data.type : [''];
    for (const itemKey of this.itemKeys) {
      for (const item of data[itemKey] ?? []) {
        // Dropped before commit: if the transaction rolls back, the next read just reads again.
        this.cache.delete(item);
        this.changed(item);
        // Positional, in the statement's column order: binding by name costs a lookup per parameter.
        for (const type of types) {
          this.sql.upsert.run(
            itemKey,
            item,
            type,
            testcase,
            scenarioKey,
            archKey,
            variantKey,
            stored.id,
            submitTime,
            stored.outcome,
            scenario,
            arch,
            variant,
            errorReason,
          );
        }
      }
    }
    this.sql.advance.run({ id: stored.id });
  }

  /**
   * Makes the table complete: rebuilt when the indexed item keys changed (a new subject type in
   * the configuration), then every result after the recorded one folded in, by SQLite, an id
   * range per transaction. Returns how many result ids were covered; one indexed lookup when
   * nothing is missing, so decisions call it every time.
   */
  catchUp(): number {
    // The item keys can only differ before the first catch-up of this store; after it, "is a result missing?" is the whole check.
    if (this.keysMatch && !(this.sql.behind.get() as { behind: number }).behind) return 0;
    const state = this.sql.state.get() as { item_keys: string; through_result_id: number };
    let from = state.through_result_id;
    if (state.item_keys !== this.keysJson) {
      this.db.transaction(() => {
        this.db.exec('DELETE FROM gating_latest');
        this.sql.reset.run(this.keysJson);
      })();
      from = 0;
    }
    this.keysMatch = true;
    this.cache.clear();
    this.changed(null);
    const max = (this.sql.maxResult.get() as { n: number }).n;
    for (let at = from; at < max; at += CATCH_UP_IDS) this.catchUpTx(at, Math.min(at + CATCH_UP_IDS, max));
    return max - from;
  }

  /**
   * Trusts nothing read before another connection (another process, a bulk load) changed the
   * database: then it catches up (rows for results stored without `record`) and drops the
   * cache. Writes through this connection go through `record`, which keeps both current, so
   * an unchanged data_version (one pragma) is the whole cost.
   */
  refresh(): void {
    const version = this.sql.dataVersion.get() as number;
    if (version === this.cachedVersion) return;
    this.catchUp();
    this.cache.clear();
    this.changed(null);
    this.cachedVersion = version;
  }

  /**
   * The subject's newest result per key, for each of its type's result queries; only these
   * testcases when given (what the applicable policies name), as Greenwave asks ResultsDB.
   * One statement per read (the queries joined by UNION ALL). With `cacheSubjects`, rows read
   * are kept until a result of that subject is stored (`record` drops them), a catch-up
   * runs, or another connection writes to the database: results are immutable, so a subject's
   * latest rows change only through those.
   */
  forSubject(
    queries: readonly ResultQuery[],
    identifier: string,
    testcases: readonly string[] | null = null,
  ): GatingResult[] {
    if (testcases?.length === 0) return [];
    this.refresh();
    if (this.cacheSubjects === 0) return this.read(queries, identifier, testcases);
    const key = `${queries.map((q) => `${q.itemKey}:${q.types?.join(',') ?? '*'}`).join(';')}|${testcases?.join('\u0001') ?? '*'}`;
    let bySubject = this.cache.get(identifier);
    let rows = bySubject?.get(key);
    if (!rows) {
      rows = this.read(queries, identifier, testcases);
      if (!bySubject) {
        if (this.cache.size >= this.cacheSubjects) this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(identifier, (bySubject = new Map()));
      }
      bySubject.set(key, rows);
    }
    // Callers get their own array: the cached one must not change under them.
    return rows.slice();
  }

  /**
   * The subject's newest result per key among those submitted at or before `when` (epoch ms):
   * what forSubject answers for "now", for a decision's `when` and a decision change's "just
   * before". Computed from the results themselves (the table holds only the newest), in one
   * statement: the subject's result ids from the (key, value) index, then per result its
   * testcase, time and key values, ranked per key as the catch-up ranks them.
   */
  asOf(
    queries: readonly ResultQuery[],
    identifier: string,
    testcases: readonly string[] | null,
    when: number,
  ): GatingResult[] {
    if (testcases?.length === 0) return [];
    this.refresh();
    // The table knows every (item key, identifier) that has results at all: a query with none is
    // skipped, which spares a scan for item keys without an index (original_spec_nvr by default).
    const present = queries.filter((q) => this.sql.hasItem.get(q.itemKey, identifier) !== undefined);
    if (present.length === 0) return [];
    const params: Array<string | number> = [];
    for (const q of present) {
      params.push(identifier);
      if (q.types) params.push(...q.types);
    }
    params.push(when);
    if (testcases) params.push(...testcases);
    return this.rows(this.asOfShape(present, testcases?.length ?? -1).all(...params) as RawRow[]);
  }

  private read(
    queries: readonly ResultQuery[],
    identifier: string,
    testcases: readonly string[] | null,
  ): GatingResult[] {
    const params: string[] = [];
    for (const q of queries) {
      params.push(q.itemKey, identifier);
      if (q.types) params.push(...q.types);
      if (testcases) params.push(...testcases);
    }
    return this.rows(this.shape(queries, testcases?.length ?? -1).all(...params) as RawRow[]);
  }

  private rows(rows: RawRow[]): GatingResult[] {
    const out: GatingResult[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      out[i] = {
        id: r[0],
        testcase: r[1],
        outcome: r[2],
        submitTime: r[3],
        scenario: r[4],
        systemArchitecture: r[5],
        systemVariant: r[6],
        errorReason: r[7],
        distinctKey: r[8],
      };
    }
    return out;
  }

  /** `testcases` -1 = every testcase. Columns as `shape`'s. */
  private asOfShape(queries: readonly ResultQuery[], testcases: number): Statement {
    const key = `${queries.map((q) => `${q.itemKey}:${q.types?.length ?? 0}`).join('\u0000')}/${testcases}`;
    let stmt = this.asOfShapes.get(key);
    if (!stmt) {
      const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
      // The same result may be the subject's through two queries; it counts once. The key is a
      // literal so that SQLite can use the key's partial index (db/data-key-indexes.ts).
      const ids = queries.map(
        (q) =>
          `SELECT d.result_id FROM result_data AS d WHERE d.key = ${keyLiteral(q.itemKey)} AND d.value = ?${
            q.types
              ? ` AND EXISTS (SELECT 1 FROM result_data AS ty WHERE ty.result_id = d.result_id AND +ty.key = 'type' AND ty.value IN (${marks(q.types.length)}))`
              : ''
          }`,
      );
      stmt = this.db
        .prepare(
          `WITH ids AS (${ids.join(' UNION ')}),
          facts AS (
            SELECT r.id AS result_id, t.name AS testcase, r.outcome AS outcome, r.submit_time AS submit_time, ${KEY_COLUMNS}
            FROM ids AS d CROSS JOIN results AS r ON r.id = d.result_id CROSS JOIN testcases AS t ON t.id = r.testcase_id
            WHERE r.submit_time <= ?${testcases < 0 ? '' : ` AND t.name IN (${marks(testcases)})`}
          ),
          ranked AS (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY testcase, scenario_key, arch_key, variant_key ORDER BY submit_time DESC, result_id DESC) AS rn FROM facts
          )
          SELECT result_id, testcase, outcome, submit_time, scenario, system_architecture, system_variant, error_reason,
            testcase || char(1) || scenario_key || char(1) || arch_key || char(1) || variant_key
          FROM ranked WHERE rn = 1 ORDER BY submit_time DESC, result_id DESC`,
        )
        .raw(true);
      if (this.asOfShapes.size >= MAX_SHAPES) this.asOfShapes.clear();
      this.asOfShapes.set(key, stmt);
    }
    return stmt;
  }

  /** `testcases` -1 = every testcase. */
  private shape(queries: readonly ResultQuery[], testcases: number): Statement {
    const key = `${queries.map((q) => q.types?.length ?? 0).join(',')}/${testcases}`;
    let stmt = this.shapes.get(key);
    if (!stmt) {
      const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
      const testcaseFilter = testcases < 0 ? '' : ` AND testcase IN (${marks(testcases)})`;
      // The distinct key is built here as distinctKeyOf builds it, so each row costs one string, not four.
      const branches = queries.map(
        (
          q,
        ) => `SELECT result_id, testcase, outcome, submit_time, scenario, system_architecture, system_variant, error_reason,
            testcase || char(1) || scenario_key || char(1) || arch_key || char(1) || variant_key
          FROM gating_latest WHERE item_key = ? AND item = ?${q.types ? ` AND type IN (${marks(q.types.length)})` : ''}${testcaseFilter}`,
      );
      stmt = this.db.prepare(branches.join('\nUNION ALL\n')).raw(true);
      if (this.shapes.size >= MAX_SHAPES) this.shapes.clear();
      this.shapes.set(key, stmt);
    }
    return stmt;
  }
}
