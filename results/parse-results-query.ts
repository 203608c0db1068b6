import { QueryInputError } from '../errors/query-input-error.js';
import { parseIsoTimeMicros } from './parse-iso-time.js';
import type { DataFilter, ListPage, ResultsQuery } from './results-query.js';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 1000;
/** page × limit stays a safe integer, an OFFSET SQLite accepts. */
export const MAX_PAGE = 1_000_000_000;

/** Parameters of GET /results with a meaning of their own; every other one filters on data. */
const RESERVED = new Set(['page', 'limit', 'since', 'outcome', 'groups', '_sort', 'testcases', 'testcases:like', '_distinct_on', 'callback', '_']);

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
  const data: DataFilter[] = [...dataByName].map(([name, values]) => {
    const at = name.indexOf(':');
    if (at < 0) return { key: name, like: false, values };
    if (name.slice(at) !== ':like') throw new QueryInputError(name, 'the only modifier a data filter takes is ":like"');
    return { key: name.slice(0, at), like: true, values };
  });
  for (const f of data) if (f.key === '') throw new QueryInputError(f.like ? ':like' : '(empty name)', 'a data filter needs a key');

  const outcomeList = list(pairs, 'outcome').map((o) => o.toUpperCase());
  const unknown = outcomeList.find((o) => !outcomes.includes(o));
  if (unknown !== undefined) throw new QueryInputError('outcome', `must be one of ${outcomes.join(', ')} (got ${JSON.stringify(unknown)})`);

  return {
    testcases: list(pairs, 'testcases'),
    testcasesLike: list(pairs, 'testcases:like'),
    outcomes: outcomeList,
    since: parseSince(last(pairs, 'since')),
    groups: list(pairs, 'groups'),
    data,
    sort: parseSort(last(pairs, '_sort')),
    ...parseListPage(pairs),
    distinctOn: list(pairs, '_distinct_on'),
  };
}

/** `page` (from 0) and `limit` (default 20, at most 1000: a larger one is cut down). */
export function parseListPage(pairs: QueryPairs): ListPage {
  const page = last(pairs, 'page');
  const limit = last(pairs, 'limit');
  if (page !== undefined && !/^\s*\d+\s*$/.test(page)) throw new QueryInputError('page', `must be a whole number from 0 (got ${JSON.stringify(page)})`);
  // Found by fuzzing: a page beyond this made an OFFSET SQLite cannot take (a 500).
  if (page !== undefined && Number(page) > MAX_PAGE) throw new QueryInputError('page', `must be at most ${MAX_PAGE} (got ${JSON.stringify(page)})`);
  if (limit !== undefined && (!/^\s*\d+\s*$/.test(limit) || Number(limit) < 1)) {
    throw new QueryInputError('limit', `must be a whole number from 1 (got ${JSON.stringify(limit)})`);
  }
  return { page: page === undefined ? 0 : Number(page), limit: limit === undefined ? DEFAULT_LIMIT : Math.min(Number(limit), MAX_LIMIT) };
}

/** Every value of a list parameter: comma separated, repeatable, trimmed, empty ones dropped. */
export function list(pairs: QueryPairs, name: string): string[] {
  return pairs
    .filter(([n]) => n === name)
    .flatMap(([, v]) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

export function last(pairs: QueryPairs, name: string): string | undefined {
  let found: string | undefined;
  for (const [n, v] of pairs) if (n === name) found = v;
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
  if (start === undefined || (parts.length === 2 && end === undefined)) throw new QueryInputError('since', why);
  return end === undefined ? { start } : { start, end };
}

function parseSort(value: string | undefined): 'asc' | 'desc' {
  if (value === undefined || value === '' || value === 'desc:submit_time' || value === 'disable_sorting') return 'desc';
  if (value === 'asc:submit_time') return 'asc';
  throw new QueryInputError('_sort', `must be desc:submit_time or asc:submit_time (got ${JSON.stringify(value)})`);
}
