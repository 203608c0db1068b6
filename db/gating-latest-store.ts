import type { Statement, Transaction } from 'better-sqlite3';
import { distinctKeyOf, valuesKey, type GatingResult } from '../gating/gating-result.js';
import type { ResultQuery } from '../gating/subject-types.js';
import type { StoredResult } from '../results/result-json.js';
import type { Db } from './open-database.js';

/** Data keys read besides the item keys: the result's type, what tells results apart, and what answers copy. */
const READ_KEYS = ['type', 'scenario', 'system_architecture', 'system_variant', 'error_reason'];
const CATCH_UP_BATCH = 5000;

/** One result as the table needs it, whether it comes from the insert hook or from a catch-up scan. */
interface Facts {
  id: number;
  testcase: string;
  outcome: string;
  submitTime: number;
  data: Record<string, string[]>;
}

interface Row {
  result_id: number;
  testcase: string;
  outcome: string;
  submit_time: number;
  scenario: string | null;
  system_architecture: string | null;
  system_variant: string | null;
  error_reason: string | null;
  scenario_key: string;
  arch_key: string;
  variant_key: string;
}

const COLUMNS = `result_id, testcase, outcome, submit_time, scenario, system_architecture, system_variant, error_reason, scenario_key, arch_key, variant_key`;

/**
 * The latest-result table behind decisions (migration 005). `afterInsert` goes into the
 * ResultsStore's insert transaction; `catchUp` folds in results stored without it; `forSubject`
 * is the decision's one range read per result query.
 */
export class GatingLatestStore {
  private readonly itemKeys: string[];
  private readonly readKeys: string;
  private readonly sql: {
    upsert: Statement;
    advance: Statement;
    state: Statement<[]>;
    maxResult: Statement<[]>;
    batch: Statement<[number, number]>;
    batchData: Statement<[number, number, string]>;
    setThrough: Statement<[number]>;
  };
  private readonly byQuery = new Map<number, Statement>();
  private readonly catchUpTx: Transaction<() => number>;

  constructor(
    private readonly db: Db,
    itemKeys: readonly string[],
  ) {
    this.itemKeys = [...new Set(itemKeys)].sort();
    this.readKeys = JSON.stringify([...new Set([...this.itemKeys, ...READ_KEYS])]);
    this.sql = {
      // Only a newer result replaces the row: results may be submitted with an older submit_time.
      upsert: db.prepare(`INSERT INTO gating_latest (item_key, item, type, testcase, scenario_key, arch_key, variant_key,
          result_id, submit_time, outcome, scenario, system_architecture, system_variant, error_reason)
        VALUES (@itemKey, @item, @type, @testcase, @scenarioKey, @archKey, @variantKey,
          @id, @submitTime, @outcome, @scenario, @arch, @variant, @errorReason)
        ON CONFLICT (item_key, item, type, testcase, scenario_key, arch_key, variant_key) DO UPDATE SET
          result_id = excluded.result_id, submit_time = excluded.submit_time, outcome = excluded.outcome,
          scenario = excluded.scenario, system_architecture = excluded.system_architecture,
          system_variant = excluded.system_variant, error_reason = excluded.error_reason
        WHERE excluded.submit_time > gating_latest.submit_time
          OR (excluded.submit_time = gating_latest.submit_time AND excluded.result_id > gating_latest.result_id)`),
      // The table is complete through a result only if it was complete through every earlier one.
      advance: db.prepare(`UPDATE gating_latest_state SET through_result_id = @id
        WHERE id = 1 AND through_result_id >= (SELECT COALESCE(MAX(id), 0) FROM results WHERE id < @id)`),
      state: db.prepare('SELECT item_keys, through_result_id FROM gating_latest_state WHERE id = 1'),
      maxResult: db.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM results'),
      batch: db.prepare(`SELECT r.id AS id, r.outcome AS outcome, r.submit_time AS submit_time, t.name AS testcase
        FROM results AS r CROSS JOIN testcases AS t ON t.id = r.testcase_id WHERE r.id > ? ORDER BY r.id LIMIT ?`),
      batchData: db.prepare(`SELECT result_id, key, value FROM result_data
        WHERE result_id > ? AND result_id <= ? AND key IN (SELECT value FROM json_each(?)) ORDER BY result_id, seq`),
      setThrough: db.prepare('UPDATE gating_latest_state SET through_result_id = ? WHERE id = 1'),
    };
    this.catchUpTx = db.transaction(() => this.catchUpBatch());
  }

  /** For ResultsStore's `afterInsert`: runs inside the insert transaction. */
  readonly afterInsert = (stored: StoredResult): void => {
    this.apply({ id: stored.id, testcase: stored.testcase.name, outcome: stored.outcome, submitTime: Date.parse(`${stored.submit_time}Z`), data: stored.data });
    this.sql.advance.run({ id: stored.id });
  };

  /**
   * Makes the table complete: rebuilt when the indexed item keys changed (a new subject type in
   * the configuration), then every result after the recorded one folded in. Returns the number
   * of results read; cheap (one indexed lookup) when nothing is missing.
   */
  catchUp(): number {
    const state = this.sql.state.get() as { item_keys: string; through_result_id: number };
    if (state.item_keys !== JSON.stringify(this.itemKeys)) {
      this.db.transaction(() => {
        this.db.exec('DELETE FROM gating_latest');
        this.db.prepare('UPDATE gating_latest_state SET item_keys = ?, through_result_id = 0 WHERE id = 1').run(JSON.stringify(this.itemKeys));
      }).immediate();
    } else if (state.through_result_id >= (this.sql.maxResult.get() as { n: number }).n) {
      return 0;
    }
    let total = 0;
    for (;;) {
      const n = this.catchUpTx.immediate();
      total += n;
      if (n < CATCH_UP_BATCH) return total;
    }
  }

  /** The subject's newest results per key, for each of its type's result queries. */
  forSubject(queries: readonly ResultQuery[], identifier: string): GatingResult[] {
    const out: GatingResult[] = [];
    for (const q of queries) {
      const rows = (q.types === null ? this.statement(0).all(q.itemKey, identifier) : this.statement(q.types.length).all(q.itemKey, identifier, ...q.types)) as Row[];
      for (const r of rows) {
        out.push({
          id: r.result_id,
          testcase: r.testcase,
          outcome: r.outcome,
          submitTime: r.submit_time,
          scenario: r.scenario,
          systemArchitecture: r.system_architecture,
          systemVariant: r.system_variant,
          errorReason: r.error_reason,
          distinctKey: distinctKeyOf(r.testcase, r.scenario_key, r.arch_key, r.variant_key),
        });
      }
    }
    return out;
  }

  private statement(types: number): Statement {
    let stmt = this.byQuery.get(types);
    if (!stmt) {
      const typeFilter = types === 0 ? '' : ` AND type IN (${Array.from({ length: types }, () => '?').join(', ')})`;
      stmt = this.db.prepare(`SELECT ${COLUMNS} FROM gating_latest WHERE item_key = ? AND item = ?${typeFilter}`);
      this.byQuery.set(types, stmt);
    }
    return stmt;
  }

  private catchUpBatch(): number {
    const from = (this.sql.state.get() as { through_result_id: number }).through_result_id;
    const rows = this.sql.batch.all(from, CATCH_UP_BATCH) as Array<{ id: number; outcome: string; submit_time: number; testcase: string }>;
    if (rows.length === 0) return 0;
    const last = rows[rows.length - 1]!.id;
    const data = new Map<number, Record<string, string[]>>();
    for (const d of this.sql.batchData.all(from, last, this.readKeys) as Array<{ result_id: number; key: string; value: string }>) {
      let values = data.get(d.result_id);
      if (!values) data.set(d.result_id, (values = {}));
      (values[d.key] ??= []).push(d.value);
    }
    for (const r of rows) this.apply({ id: r.id, testcase: r.testcase, outcome: r.outcome, submitTime: r.submit_time, data: data.get(r.id) ?? {} });
    this.sql.setThrough.run(last);
    return rows.length;
  }

  private apply(r: Facts): void {
    const key = (k: string) => valuesKey(r.data[k]);
    const first = (k: string) => r.data[k]?.[0] ?? null;
    const types = r.data.type?.length ? r.data.type : [''];
    const common = {
      testcase: r.testcase,
      scenarioKey: key('scenario'),
      archKey: key('system_architecture'),
      variantKey: key('system_variant'),
      id: r.id,
      submitTime: r.submitTime,
      outcome: r.outcome,
      scenario: first('scenario'),
      arch: first('system_architecture'),
      variant: first('system_variant'),
      errorReason: first('error_reason'),
    };
    for (const itemKey of this.itemKeys) {
      const items = r.data[itemKey];
      if (!items) continue;
      for (const item of items) for (const type of types) this.sql.upsert.run({ ...common, itemKey, item, type });
    }
  }
}
