import { QueryInputError } from '../errors/query-input-error.js';
import { WaiverInputError } from '../errors/waiver-input-error.js';
import { parseIsoTime } from '../results/parse-iso-time.js';
import { isPlainObject } from '../results/parse-result-input.js';
import { MAX_PAGE, type QueryPairs } from '../results/parse-results-query.js';
import { normalSubjectType } from './waiver-json.js';
import type { FilteredWaiversQuery, WaiverFilter, WaiversListQuery } from './waivers-query.js';

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 1000;
/**
 * Filter objects in one POST /waivers/+filtered: each is a term of one SQL OR, which SQLite
 * refuses past a depth of 1000 (15,000 filters were a 500). Greenwave sends one per subject of a
 * decision; a large Bodhi update has a few hundred.
 */
export const MAX_FILTERS = 500;

/** Filter names (WaiverDB's) and the field each sets. */
const FILTERS = {
  subject_type: 'subjectType',
  subject_identifier: 'subjectIdentifier',
  testcase: 'testcase',
  scenario: 'scenario',
  product_version: 'productVersion',
  username: 'username',
  proxied_by: 'proxiedBy',
} as const satisfies Record<string, keyof WaiverFilter>;

type FilterName = keyof typeof FILTERS;
const FILTER_NAMES = Object.keys(FILTERS) as FilterName[];

/**
 * Reads GET /waivers/'s query as WaiverDB does: each filter is an exact match and an empty one is
 * no filter; `since` is `start` or `start,end` (ISO 8601, both inclusive; no zone = UTC); `page`
 * counts from 1 (default 1), `limit` defaults to 10 (a limit above 1000 gives 1000);
 * `include_obsolete` takes true/false, 1/0, yes/no, on/off. Pure; throws QueryInputError.
 */
export function parseWaiversQuery(pairs: QueryPairs): WaiversListQuery {
  // A repeated parameter counts by its first value, as in WaiverDB (flask-pydantic reads the
  // query through MultiDict.to_dict(), which keeps the first); the server's limit on query
  // parameters bounds how many there can be.
  const value = (name: string) => pairs.find(([n]) => n === name)?.[1];
  const filter: WaiverFilter = { since: {} };
  for (const name of FILTER_NAMES) setFilter(filter, name, value(name));
  const since = value('since');
  if (since) filter.since = parseSince(since, (why) => new QueryInputError('since', why));
  const page = value('page');
  const limit = value('limit');
  if (page !== undefined && !/^\s*-?\d+\s*$/.test(page))
    throw new QueryInputError('page', `must be a whole number (got ${JSON.stringify(page)})`);
  // Found by fuzzing: a page this far out made an OFFSET SQLite cannot take (a 500).
  if (page !== undefined && Math.abs(Number(page)) > MAX_PAGE)
    throw new QueryInputError('page', `must be at most ${MAX_PAGE} (got ${JSON.stringify(page)})`);
  if (limit !== undefined && (!/^\s*\d+\s*$/.test(limit) || Number(limit) < 1))
    throw new QueryInputError('limit', `must be a whole number from 1 (got ${JSON.stringify(limit)})`);
  const obsolete = value('include_obsolete');
  return {
    filter,
    includeObsolete:
      obsolete === undefined
        ? false
        : parseFlag(obsolete, (why) => new QueryInputError('include_obsolete', why)),
    page: page === undefined ? 1 : Number(page),
    limit: limit === undefined ? DEFAULT_LIMIT : Math.min(Number(limit), MAX_LIMIT),
  };
}

/**
 * Reads POST /waivers/+filtered's body: `filters`, a non-empty list of filter objects with
 * GET /waivers/'s filter names (an unknown name is refused, so that a misspelt filter does not
 * quietly select everything), and `include_obsolete` (default false). Pure; throws WaiverInputError.
 */
export function parseFilteredBody(body: unknown): FilteredWaiversQuery {
  if (!isPlainObject(body))
    throw new WaiverInputError('body', 'must be an object {filters: [...], include_obsolete}');
  const filters = body.filters;
  if (filters === undefined || filters === null)
    throw new WaiverInputError('filters', 'is required: a non-empty list of filter objects');
  if (!Array.isArray(filters) || filters.length === 0)
    throw new WaiverInputError('filters', 'must be a non-empty list of filter objects');
  if (filters.length > MAX_FILTERS)
    throw new WaiverInputError(
      'filters',
      `has ${filters.length} filter objects, more than the limit of ${MAX_FILTERS}`,
    );
  const obsolete = body.include_obsolete;
  if (obsolete !== undefined && obsolete !== null && typeof obsolete !== 'boolean')
    throw new WaiverInputError('include_obsolete', 'must be true or false');
  return {
    filters: filters.map((f: unknown, i) => parseFilterObject(f, `filters[${i}]`)),
    includeObsolete: obsolete === true,
  };
}

/**
 * Reads POST /waivers/+by-subjects-and-testcases's body (WaiverDB's deprecated form of
 * +filtered; waiverdb/api_v1.py GetWaiversBySubjectsAndTestcases, Waiver.by_results): `results`,
 * a list of `{subject, testcase}` matched with OR, each of the two optional (older WaiverDB and
 * Greenwave < 1.0, which sent `{"subject": {"item", "type"}}` alone); `subject` is the legacy
 * dict (`{type, item}`, `{original_spec_nvr}`, `{"productmd.compose.id"}`), and one that is
 * none of those matches nothing, as in WaiverDB. `product_version`, `username`, `proxied_by` and
 * `since` narrow every alternative; `include_obsolete` (default false). A top-level `testcase`
 * is accepted and, as in WaiverDB, not used. Returns the alternatives as filters, each with the
 * common criteria: an empty list matches nothing. Pure; throws WaiverInputError.
 */
export function parseBySubjectsBody(body: unknown): FilteredWaiversQuery {
  if (!isPlainObject(body))
    throw new WaiverInputError(
      'body',
      'must be an object {results: [{subject, testcase}], product_version, ...}',
    );
  const common: WaiverFilter = { since: {} };
  for (const name of ['product_version', 'username', 'proxied_by', 'testcase'] as const) {
    const v = body[name];
    if (v !== undefined && v !== null && typeof v !== 'string')
      throw new WaiverInputError(name, 'must be a string');
    if (name !== 'testcase') setFilter(common, name, (v as string | null | undefined) ?? undefined);
  }
  const since = body.since;
  if (since !== undefined && since !== null && typeof since !== 'string')
    throw new WaiverInputError('since', 'must be a string');
  if (since) common.since = parseSince(since, (why) => new WaiverInputError('since', why));
  const obsolete = body.include_obsolete;
  if (obsolete !== undefined && obsolete !== null && typeof obsolete !== 'boolean')
    throw new WaiverInputError('include_obsolete', 'must be true or false');
  const results = body.results;
  if (results !== undefined && results !== null && !Array.isArray(results))
    throw new WaiverInputError('results', 'must be a list of {subject, testcase} objects');
  const alternatives: WaiverFilter[] = [];
  let restricted = false;
  for (const [i, r] of (results ?? []).entries()) {
    const at = `results[${i}]`;
    if (!isPlainObject(r)) throw new WaiverInputError(at, 'must be an object {subject, testcase}');
    for (const key of Object.keys(r)) {
      if (key !== 'subject' && key !== 'testcase')
        throw new WaiverInputError(`${at}.${key}`, 'is not allowed: each result is {subject, testcase}');
    }
    const { testcase } = r;
    if (testcase !== undefined && testcase !== null && typeof testcase !== 'string')
      throw new WaiverInputError(`${at}.testcase`, 'must be a string');
    if (r.subject !== undefined && r.subject !== null && !isPlainObject(r.subject))
      throw new WaiverInputError(
        `${at}.subject`,
        'must be an object, e.g. {"type": "koji_build", "item": NVR}',
      );
    // Python's truth: an empty subject or testcase is no criterion.
    const subject = isPlainObject(r.subject) && Object.keys(r.subject).length > 0 ? r.subject : undefined;
    if (!subject && !testcase) continue;
    restricted = true;
    const alternative: WaiverFilter = { ...common };
    if (subject) {
      const s = legacySubjectOf(subject, `${at}.subject`);
      if (!s) continue;
      alternative.subjectType = s.type;
      alternative.subjectIdentifier = s.identifier;
    }
    if (testcase) alternative.testcase = testcase;
    alternatives.push(alternative);
  }
  return { filters: restricted ? alternatives : [common], includeObsolete: obsolete === true };
}

/** WaiverDB's subject_dict_to_type_identifier; undefined where it raises ValueError. */
function legacySubjectOf(
  subject: Record<string, unknown>,
  at: string,
): { type: string; identifier: string } | undefined {
  for (const key of ['type', 'item', 'original_spec_nvr', 'productmd.compose.id']) {
    const v = subject[key];
    if (v !== undefined && v !== null && typeof v !== 'string')
      throw new WaiverInputError(`${at}.${key}`, 'must be a string');
  }
  const str = (key: string) => (typeof subject[key] === 'string' ? (subject[key] as string) : undefined);
  const [type, item] = [str('type'), str('item')];
  if (item !== undefined && (type === 'koji_build' || type === 'brew-build'))
    return { type: 'koji_build', identifier: item };
  if (str('original_spec_nvr') !== undefined)
    return { type: 'koji_build', identifier: str('original_spec_nvr')! };
  if (str('productmd.compose.id') !== undefined)
    return { type: 'compose', identifier: str('productmd.compose.id')! };
  if (item !== undefined && type) return { type, identifier: item };
  return undefined;
}

function parseFilterObject(value: unknown, at: string): WaiverFilter {
  if (!isPlainObject(value)) throw new WaiverInputError(at, 'must be an object of filters');
  const filter: WaiverFilter = { since: {} };
  for (const [key, v] of Object.entries(value)) {
    if (v !== null && v !== undefined && typeof v !== 'string')
      throw new WaiverInputError(`${at}.${key}`, 'must be a string');
    if (key === 'since') {
      if (v) filter.since = parseSince(v as string, (why) => new WaiverInputError(`${at}.since`, why));
    } else if (Object.hasOwn(FILTERS, key)) {
      setFilter(filter, key as FilterName, (v as string | null | undefined) ?? undefined);
    } else {
      throw new WaiverInputError(
        `${at}.${key}`,
        `is not a filter; the filters are ${[...FILTER_NAMES, 'since'].join(', ')}`,
      );
    }
  }
  return filter;
}

function setFilter(filter: WaiverFilter, name: FilterName, value: string | undefined): void {
  // WaiverDB: an empty filter is no filter.
  if (!value) return;
  filter[FILTERS[name]] = name === 'subject_type' ? normalSubjectType(value) : value;
}

function parseSince(value: string, error: (why: string) => Error): WaiverFilter['since'] {
  const at = value.indexOf(',');
  const [start, end] = at < 0 ? [value, ''] : [value.slice(0, at), value.slice(at + 1)];
  const why = `must be an ISO 8601 time, or two as start,end (got ${JSON.stringify(value)})`;
  const since: WaiverFilter['since'] = {};
  if (start !== '') {
    since.start = parseIsoTime(start, 'ceil');
    if (since.start === undefined) throw error(why);
  }
  if (end !== '') {
    since.end = parseIsoTime(end, 'floor');
    if (since.end === undefined) throw error(why);
  }
  return since;
}

/** pydantic's reading of a boolean from a query string. */
function parseFlag(value: string, error: (why: string) => Error): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 't', 'yes', 'y', 'on'].includes(v)) return true;
  if (['0', 'false', 'f', 'no', 'n', 'off'].includes(v)) return false;
  throw error(`must be true or false (got ${JSON.stringify(value)})`);
}
