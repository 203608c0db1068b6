import { QueryInputError } from '../errors/query-input-error.js';
import { parseIsoTimeMicros } from './parse-iso-time.js';
import type { DataFilter, ListPage, ResultsQuery } from './results-query.js';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 1000;
/** page × limit stays a safe integer, an OFFSET SQLite accepts. */
export const MAX_PAGE = 1_000_000_000;

/**
 * How much one query may ask for. Each data filter is a join and each `:like` pattern a GLOB
 * term of one SQL expression, which SQLite refuses past a depth of 1000 (1,200 data filters or
 * 1,000 patterns were a 500); each `_distinct_on` key is a join, at most 64 tables in SQLite.
 * Exact values travel as one JSON list and cost little, but are bounded all the same.
 */
export const QUERY_LIMITS = {
  /** Data-key filters (distinct names) in one query. */
  dataFilters: 50,
  /** `:like` patterns in one query, all parameters together. */
  patterns: 100,
  /** Values of one list parameter (comma separated and repeated together). */
  values: 1000,
  /** Keys of `_distinct_on`. */
  distinctOn: 10,
} as const;

/** Parameters of GET /results with a meaning of their own; every other one filters on data. */
const RESERVED = new Set([
  'page',
  'limit',
  'since',
  'outcome',
  'groups',
  '_sort',
  'testcases',
  'testcases:like',
  '_distinct_on',
  'callback',
  '_',
]);

/** A query string as ordered pairs, repeats kept (`item=a&item=b` is two pairs). */
export type QueryPairs = Array<[name: string, value: string]>;

/**
 * Reads the query of GET /results (and /results/latest) as ResultsDB v2.0 does: lists are comma
 * separated and may also be repeated; `outcome` is case-insensitive and must be known; `since`
 * is `start` or `start,end` in ISO 8601, both inclusive. Pure; throws QueryInputError.
 */
export function parseResultsQuery(pairs: QueryPairs, outcomes: readonly string[]): ResultsQuery {
  const dataByName = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    if (RESERVED.has(name)) continue;
    const values = dataByName.get(name) ?? [];
    // Data values are kept as given (not trimmed): "item= x" asks for " x", as in ResultsDB.
    values.push(...value.split(','));
    dataByName.set(name, values);
  }
  if (dataByName.size > QUERY_LIMITS.dataFilters) {
    throw new QueryInputError(
      [...dataByName.keys()][QUERY_LIMITS.dataFilters]!,
      `more than ${QUERY_LIMITS.dataFilters} data filters in one query (the limit)`,
    );
  }
  for (const [name, values] of dataByName) boundValues(name, values.length);
  const data: DataFilter[] = [...dataByName].map(([name, values]) => {
    const at = name.indexOf(':');
    if (at < 0) return { key: name, like: false, values };
    if (name.slice(at) !== ':like')
      throw new QueryInputError(name, 'the only modifier a data filter takes is ":like"');
    return { key: name.slice(0, at), like: true, values };
  });
  for (const f of data)
    if (f.key === '')
      throw new QueryInputError(f.like ? ':like' : '(empty name)', 'a data filter needs a key');

  const outcomeList = list(pairs, 'outcome').map((o) => o.toUpperCase());
  const unknown = outcomeList.find((o) => !outcomes.includes(o));
  if (unknown !== undefined)
    throw new QueryInputError(
      'outcome',
      `must be one of ${outcomes.join(', ')} (got ${JSON.stringify(unknown)})`,
    );

  const testcasesLike = list(pairs, 'testcases:like');
  const patterns = testcasesLike.length + data.reduce((n, f) => n + (f.like ? f.values.length : 0), 0);
  if (patterns > QUERY_LIMITS.patterns) {
    const name = testcasesLike.length > 0 ? 'testcases:like' : `${data.find((f) => f.like)!.key}:like`;
    throw new QueryInputError(
      name,
      `more than ${QUERY_LIMITS.patterns} :like patterns in one query (the limit)`,
    );
  }
  const distinctOn = list(pairs, '_distinct_on');
  if (distinctOn.length > QUERY_LIMITS.distinctOn)
    throw new QueryInputError('_distinct_on', `more than ${QUERY_LIMITS.distinctOn} keys (the limit)`);

  return {
    testcases: list(pairs, 'testcases'),
    testcasesLike,
    outcomes: outcomeList,
    since: parseSince(single(pairs, 'since')),
    groups: list(pairs, 'groups'),
    data,
    sort: parseSort(single(pairs, '_sort')),
    ...parseListPage(pairs),
    distinctOn,
  };
}

/** `page` (from 0) and `limit` (default 20, at most 1000: a larger one is cut down). */
export function parseListPage(pairs: QueryPairs): ListPage {
  const page = single(pairs, 'page');
  const limit = single(pairs, 'limit');
  if (page !== undefined && !/^\s*\d+\s*$/.test(page))
    throw new QueryInputError('page', `must be a whole number from 0 (got ${JSON.stringify(page)})`);
  // Found by fuzzing: a page beyond this made an OFFSET SQLite cannot take (a 500).
  if (page !== undefined && Number(page) > MAX_PAGE)
    throw new QueryInputError('page', `must be at most ${MAX_PAGE} (got ${JSON.stringify(page)})`);
  if (limit !== undefined && (!/^\s*\d+\s*$/.test(limit) || Number(limit) < 1)) {
    throw new QueryInputError('limit', `must be a whole number from 1 (got ${JSON.stringify(limit)})`);
  }
  return {
    page: page === undefined ? 0 : Number(page),
    limit: limit === undefined ? DEFAULT_LIMIT : Math.min(Number(limit), MAX_LIMIT),
  };
}

/**
 * Every value of a list parameter: comma separated, repeatable, trimmed, empty ones dropped; at
 * most QUERY_LIMITS.values of them (QUERY_LIMITS.patterns for a `:like` parameter).
 */
export function list(pairs: QueryPairs, name: string): string[] {
  const values = pairs
    .filter(([n]) => n === name)
    .flatMap(([, v]) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  boundValues(name, values.length);
  return values;
}

function boundValues(name: string, count: number): void {
  const max = name.endsWith(':like') ? QUERY_LIMITS.patterns : QUERY_LIMITS.values;
  if (count > max)
    throw new QueryInputError(
      name,
      `more than ${max} ${max === QUERY_LIMITS.patterns ? 'patterns' : 'values'} (the limit)`,
    );
}

/** The value of a parameter that takes one; given twice it is refused rather than one chosen. */
export function single(pairs: QueryPairs, name: string): string | undefined {
  let found: string | undefined;
  let count = 0;
  for (const [n, v] of pairs) {
    if (n !== name) continue;
    found = v;
    count++;
  }
  if (count > 1) throw new QueryInputError(name, `given ${count} times; it takes one value`);
  return found;
}

function parseSince(value: string | undefined): ResultsQuery['since'] {
  if (value === undefined) return {};
  const parts = value.split(',');
  const why = `must be an ISO 8601 time, or two as start,end (got ${JSON.stringify(value)})`;
  if (parts.length > 2) throw new QueryInputError('since', why);
  // To the microsecond: submit times keep them, so a bound must too.
  const start = parseIsoTimeMicros(parts[0]!, 'ceil');
  const end = parts.length === 2 ? parseIsoTimeMicros(parts[1]!, 'floor') : undefined;
  if (start === undefined || (parts.length === 2 && end === undefined))
    throw new QueryInputError('since', why);
  return end === undefined ? { start } : { start, end };
}

function parseSort(value: string | undefined): 'asc' | 'desc' {
  if (value === undefined || value === '' || value === 'desc:submit_time' || value === 'disable_sorting')
    return 'desc';
  if (value === 'asc:submit_time') return 'asc';
  throw new QueryInputError(
    '_sort',
    `must be desc:submit_time or asc:submit_time (got ${JSON.stringify(value)})`,
  );
}
