import { ResultInputError } from '../errors/result-input-error.js';
import { parseIsoTimeMicros } from './parse-iso-time.js';

/** A field a client may set, clear (null) or leave alone (undefined: not given). */
type Given<T> = T | undefined;

export interface TestcaseInput {
  name: string;
  /** Undefined when not given: an existing testcase keeps its ref_url. */
  refUrl: Given<string | null>;
}

export interface GroupInput {
  /** Undefined when the client left it to us: the store makes one up. */
  uuid: string | undefined;
  description: Given<string | null>;
  refUrl: Given<string | null>;
}

/** A ResultsDB POST /results body, checked and normalised; what the store writes. */
export interface ResultInput {
  outcome: string;
  testcase: TestcaseInput;
  groups: GroupInput[];
  /** Key/value pairs in the order given; a key with several values appears once per value. */
  data: Array<[key: string, value: string]>;
  note: string | null;
  refUrl: string | null;
  /** Epoch milliseconds; undefined means "when stored". */
  submitTime: number | undefined;
}

/** The latest time ResultsDB's naive datetime can print (year 9999). */
const MAX_TIME_MS = 253402300799999;
const MAX_UUID_LENGTH = 255;

/**
 * Reads a ResultsDB v2.0 POST /results body. Pure: no clock, no store, no random numbers.
 * Unknown fields are ignored, as ResultsDB ignores them. Throws ResultInputError naming the
 * first field that cannot be used.
 */
export function parseResultInput(body: unknown, outcomes: readonly string[]): ResultInput {
  if (!isPlainObject(body)) throw new ResultInputError('body', 'must be a JSON object');
  return {
    outcome: parseOutcome(body.outcome, outcomes),
    testcase: parseTestcase(body.testcase),
    groups: parseGroups(body.groups),
    data: parseData(body.data),
    note: optionalString(body.note, 'note'),
    refUrl: optionalString(body.ref_url, 'ref_url'),
    submitTime: parseSubmitTime(body.submit_time),
  };
}

function parseOutcome(value: unknown, outcomes: readonly string[]): string {
  if (value === undefined || value === null) throw new ResultInputError('outcome', 'is required');
  if (typeof value !== 'string') throw new ResultInputError('outcome', 'must be a string');
  const outcome = value.trim().toUpperCase();
  if (outcome === '') throw new ResultInputError('outcome', 'must not be empty');
  if (!outcomes.includes(outcome))
    throw new ResultInputError(
      'outcome',
      `must be one of ${outcomes.join(', ')} (got ${JSON.stringify(value)})`,
    );
  return outcome;
}

function parseTestcase(value: unknown): TestcaseInput {
  if (value === undefined || value === null) throw new ResultInputError('testcase', 'is required');
  if (typeof value === 'string') {
    if (value === '') throw new ResultInputError('testcase', 'must not be empty');
    return { name: value, refUrl: undefined };
  }
  if (!isPlainObject(value))
    throw new ResultInputError('testcase', 'must be a testcase name or an object {name, ref_url}');
  const name = value.name;
  if (name === undefined || name === null) throw new ResultInputError('testcase.name', 'is required');
  if (typeof name !== 'string') throw new ResultInputError('testcase.name', 'must be a string');
  if (name === '') throw new ResultInputError('testcase.name', 'must not be empty');
  return { name, refUrl: givenString(value, 'ref_url', 'testcase.ref_url') };
}

function parseGroups(value: unknown): GroupInput[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new ResultInputError(
      'groups',
      'must be a list of group uuids or {uuid, description, ref_url} objects',
    );
  return value.map((g: unknown, i) => {
    const field = `groups[${i}]`;
    if (typeof g === 'string')
      return { uuid: checkUuid(g, field), description: undefined, refUrl: undefined };
    if (!isPlainObject(g))
      throw new ResultInputError(field, 'must be a group uuid or an object {uuid, description, ref_url}');
    let uuid: string | undefined;
    if (g.uuid !== undefined && g.uuid !== null) {
      if (typeof g.uuid !== 'string') throw new ResultInputError(`${field}.uuid`, 'must be a string');
      uuid = checkUuid(g.uuid, `${field}.uuid`);
    }
    return {
      uuid,
      description: givenString(g, 'description', `${field}.description`),
      refUrl: givenString(g, 'ref_url', `${field}.ref_url`),
    };
  });
}

function checkUuid(uuid: string, field: string): string {
  if (uuid === '') throw new ResultInputError(field, 'must not be empty');
  if (uuid.length > MAX_UUID_LENGTH)
    throw new ResultInputError(field, `must be at most ${MAX_UUID_LENGTH} characters`);
  return uuid;
}

function parseData(value: unknown): Array<[string, string]> {
  if (value === undefined || value === null) return [];
  if (!isPlainObject(value))
    throw new ResultInputError('data', 'must be an object of key: value or key: [values]');
  const pairs: Array<[string, string]> = [];
  for (const [key, v] of Object.entries(value)) {
    // "key:like" is how queries ask for a pattern; a stored "a:b" could never be asked for.
    if (key.includes(':'))
      throw new ResultInputError('data', `key ${JSON.stringify(key)} must not contain ":"`);
    if (key === '') throw new ResultInputError('data', 'keys must not be empty');
    const field = `data.${key}`;
    if (Array.isArray(v))
      for (const [i, item] of (v as unknown[]).entries())
        pairs.push([key, scalar(item, `${field}[${i}]`, 'must be a string or a number')]);
    else pairs.push([key, scalar(v, field, 'must be a string, a number or a list of them')]);
  }
  return pairs;
}

function scalar(value: unknown, field: string, why: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new ResultInputError(field, why);
}

function parseSubmitTime(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const why = 'must be epoch milliseconds (a number or a numeric string) or an ISO 8601 time';
  let ms: number | undefined;
  if (typeof value === 'number') ms = Number.isFinite(value) ? Math.floor(value) : undefined;
  // An ISO time keeps its microseconds, as ResultsDB's datetime column does.
  else if (typeof value === 'string')
    ms = /^\s*\d+\s*$/.test(value) ? Number(value) : parseIsoTimeMicros(value);
  else throw new ResultInputError('submit_time', why);
  if (ms === undefined) throw new ResultInputError('submit_time', `${why} (got ${JSON.stringify(value)})`);
  if (ms < 0 || ms > MAX_TIME_MS)
    throw new ResultInputError(
      'submit_time',
      `must be between 1970 and the end of 9999 (got ${JSON.stringify(value)})`,
    );
  return ms;
}

function optionalString(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new ResultInputError(field, 'must be a string');
  return value;
}

/** A present key sets (or with null clears) the field; an absent one leaves it as stored. */
function givenString(object: Record<string, unknown>, key: string, field: string): Given<string | null> {
  const value = Object.hasOwn(object, key) ? object[key] : undefined;
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value !== 'string') throw new ResultInputError(field, 'must be a string or null');
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
