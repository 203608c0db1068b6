import type { Driver } from '../results/choose-plan.js';
import { toSqliteGlob } from '../results/glob-pattern.js';
import type { DataFilter } from '../results/results-query.js';
import { keyLiteral } from './data-key-indexes.js';
import { sinceConditions, type Sql } from './statement-cache.js';

/**
 * A results filter with names already resolved to ids: undefined means "no such filter", an
 * empty list "nothing can match" (the caller answers that without asking SQLite).
 */
export interface ResolvedFilter {
  testcaseIds: number[] | undefined;
  groupIds: number[] | undefined;
  data: DataFilter[];
  outcomes: string[];
  since: { start?: number; end?: number };
}

/*
 * SQL for the results queries. The text depends only on the query's shape (which filters, how
 * many patterns, which indexed data key starts the query), never on values: lists travel as one
 * JSON parameter read by json_each, so one prepared statement serves every query of a shape. The join order is fixed (CROSS JOIN,
 * INDEXED BY) to the start chosen by choose-plan, because SQLite without statistics cannot tell
 * item=X (a hundred results) from type=koji_build (all of them).
 */

const IN_LIST = 'IN (SELECT value FROM json_each(?))';

/** Results matching `filter`, as (id, testcase_id, submit_time), read from `driver`. */
export function matchSql(filter: ResolvedFilter, driver: Driver, { outcomes = true } = {}): Sql {
  const params: Array<string | number> = [];
  let from: string;
  switch (driver.kind) {
    case 'data':
      from = `(${dataIdsSql(filter.data[driver.index]!, params)}) AS drv CROSS JOIN results AS r ON r.id = drv.id`;
      break;
    case 'groups':
      params.push(JSON.stringify(filter.groupIds));
      from = `(SELECT DISTINCT result_id AS id FROM result_groups WHERE group_id ${IN_LIST}) AS drv CROSS JOIN results AS r ON r.id = drv.id`;
      break;
    case 'testcases':
      from = 'results AS r INDEXED BY results_testcase_time';
      break;
    case 'time':
      from = 'results AS r INDEXED BY results_submit_time';
      break;
  }
  const where = conditions(filter, driver, params, { outcomes });
  return {
    sql: `SELECT r.id AS id, r.testcase_id AS testcase_id, r.submit_time AS submit_time FROM ${from}${where}`,
    params,
  };
}

/** One page of matching result ids, newest (or oldest) first; asks for one more to know of a next page. */
export function pageSql(
  filter: ResolvedFilter,
  driver: Driver,
  sort: 'asc' | 'desc',
  limit: number,
  offset: number,
): Sql {
  const m = matchSql(filter, driver);
  const dir = sort === 'asc' ? 'ASC' : 'DESC';
  return {
    sql: `${m.sql} ORDER BY r.submit_time ${dir}, r.id ${dir} LIMIT ? OFFSET ?`,
    params: [...m.params, limit, offset],
  };
}

/**
 * The newest match per testcase and distinct-on values, found by ranking every match. A result
 * with several values of a distinct-on key takes part once per value, as in ResultsDB.
 */
export function rankLatestSql(filter: ResolvedFilter, driver: Driver, distinctOn: string[]): Sql {
  // ResultsDB's /results/latest does not filter on outcome: the latest result is the latest.
  const m = matchSql(filter, driver, { outcomes: false });
  const params = [...m.params];
  const joins = distinctOn.map((key, i) => {
    params.push(key);
    // `+` keeps SQLite off the (key, value) index, which would scan every value of the key:
    // the few data rows of one result, by primary key, are the ones to read.
    return ` LEFT JOIN result_data AS k${i} ON k${i}.result_id = m.id AND +k${i}.key = ?`;
  });
  const partition = ['m.testcase_id', ...distinctOn.map((_, i) => `k${i}.value`)].join(', ');
  const sql =
    `SELECT DISTINCT id, submit_time FROM (` +
    `SELECT m.id AS id, m.submit_time AS submit_time, ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY m.submit_time DESC, m.id DESC) AS rn ` +
    `FROM (${m.sql}) AS m${joins.join('')}) WHERE rn = 1 ORDER BY submit_time DESC, id DESC`;
  return { sql, params };
}

/** The newest match of each testcase (of the filtered ones), one backwards index walk each. */
export function perTestcaseLatestSql(filter: ResolvedFilter): Sql {
  const params: Array<string | number> = [];
  const where = conditions(filter, { kind: 'testcases' }, params, { outcomes: false, testcases: false });
  const inner = `SELECT r.id FROM results AS r INDEXED BY results_testcase_time WHERE r.testcase_id = t.id${where ? ` AND ${where.slice(' WHERE '.length)}` : ''} ORDER BY r.submit_time DESC, r.id DESC LIMIT 1`;
  let outer = '';
  if (filter.testcaseIds) {
    params.push(JSON.stringify(filter.testcaseIds));
    outer = ` WHERE t.id ${IN_LIST}`;
  }
  return { sql: `SELECT (${inner}) AS id FROM testcases AS t${outer}`, params };
}

/** How many rows start a query from `driver`, counted up to `cap`. */
export function countSql(filter: ResolvedFilter, driver: Driver, cap: number): Sql {
  const params: Array<string | number> = [];
  let rows: string;
  switch (driver.kind) {
    case 'data':
      rows = dataRowsSql(filter.data[driver.index]!, params, '1');
      break;
    case 'groups':
      params.push(JSON.stringify(filter.groupIds));
      rows = `SELECT 1 FROM result_groups WHERE group_id ${IN_LIST}`;
      break;
    case 'testcases':
      params.push(JSON.stringify(filter.testcaseIds));
      rows = `SELECT 1 FROM results INDEXED BY results_testcase_time WHERE testcase_id ${IN_LIST}`;
      break;
    case 'time': {
      const bounds = sinceConditions('submit_time', filter.since, params);
      rows = `SELECT 1 FROM results INDEXED BY results_submit_time${bounds.length ? ` WHERE ${bounds.join(' AND ')}` : ''}`;
      break;
    }
  }
  params.push(cap);
  return { sql: `SELECT COUNT(*) AS n FROM (${rows} LIMIT ?)`, params };
}

function dataIdsSql(f: DataFilter, params: Array<string | number>): string {
  return dataRowsSql(f, params, 'DISTINCT result_id AS id');
}

/** Rows of an indexed key's partial index; only called for keys that have one (see choose-plan drivers). */
function dataRowsSql(f: DataFilter, params: Array<string | number>, select: string): string {
  const key = `key = ${keyLiteral(f.key)}`;
  if (!f.like) {
    params.push(JSON.stringify(f.values));
    return `SELECT ${select} FROM result_data WHERE ${key} AND value ${IN_LIST}`;
  }
  params.push(...f.values.map(toSqliteGlob));
  return `SELECT ${select} FROM result_data WHERE ${key} AND (${f.values.map(() => 'value GLOB ?').join(' OR ')})`;
}

function conditions(
  filter: ResolvedFilter,
  driver: Driver,
  params: Array<string | number>,
  { outcomes = true, testcases = true } = {},
): string {
  const c: string[] = [];
  if (testcases && filter.testcaseIds) {
    params.push(JSON.stringify(filter.testcaseIds));
    c.push(`r.testcase_id ${IN_LIST}`);
  }
  c.push(...sinceConditions('r.submit_time', filter.since, params));
  if (outcomes && filter.outcomes.length > 0) {
    params.push(JSON.stringify(filter.outcomes));
    c.push(`r.outcome ${IN_LIST}`);
  }
  if (filter.groupIds && driver.kind !== 'groups') {
    params.push(JSON.stringify(filter.groupIds));
    c.push(`EXISTS (SELECT 1 FROM result_groups AS g WHERE g.result_id = r.id AND g.group_id ${IN_LIST})`);
  }
  filter.data.forEach((f, i) => {
    if (driver.kind === 'data' && driver.index === i) return;
    // The few data rows of this one result, by primary key; `+` keeps SQLite off the key indexes.
    params.push(f.key);
    if (!f.like) {
      params.push(JSON.stringify(f.values));
      c.push(
        `EXISTS (SELECT 1 FROM result_data AS d WHERE d.result_id = r.id AND +d.key = ? AND d.value ${IN_LIST})`,
      );
    } else {
      params.push(...f.values.map(toSqliteGlob));
      c.push(
        `EXISTS (SELECT 1 FROM result_data AS d WHERE d.result_id = r.id AND +d.key = ? AND (${f.values.map(() => 'd.value GLOB ?').join(' OR ')}))`,
      );
    }
  });
  return c.length ? ` WHERE ${c.join(' AND ')}` : '';
}
