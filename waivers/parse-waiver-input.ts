import { WaiverInputError } from '../errors/waiver-input-error.js';
import { isPlainObject } from '../results/parse-result-input.js';
import type { StoredResult } from '../results/result-json.js';
import { normalSubjectType } from './waiver-json.js';

/** One waiver of a WaiverDB POST /waivers/ body, checked and normalised. */
export interface WaiverInput {
  subjectType: string;
  subjectIdentifier: string;
  testcase: string;
  scenario: string | null;
  productVersion: string;
  waived: boolean;
  comment: string;
  /** The user a superuser submits for (WaiverDB's `username`); undefined: the caller's own waiver. */
  onBehalfOf: string | undefined;
}

export interface WaiverBody {
  waivers: WaiverInput[];
  /** The body was a list, so the answer is one too. */
  list: boolean;
}

/** Finds a stored result by id, for waivers given by `result_id`. */
export type ResultLookup = (id: number) => Pick<StoredResult, 'testcase' | 'data'> | undefined;

/** WaiverDB's column sizes, so that what it could not store is refused here too. */
const MAX = { product_version: 200, scenario: 255, username: 255 } as const;

/**
 * Reads a WaiverDB v1.0 POST /waivers/ body: one waiver or a non-empty list of them. Pure.
 * Unknown fields are ignored, as WaiverDB ignores them; the legacy `subject` object (WaiverDB
 * < 0.11) is accepted in place of subject_type + subject_identifier, and so is `result_id`
 * (WaiverDB < 0.6, still what `waiverdb-cli -r ID` sends): the subject, test case and scenario are
 * then the result's, found with `resultById`. Every waiver of a list is checked before any is
 * used, so a list is taken whole or refused whole. Throws WaiverInputError.
 */
export function parseWaiverBody(body: unknown, resultById: ResultLookup = () => undefined): WaiverBody {
  if (Array.isArray(body)) {
    if (body.length === 0)
      throw new WaiverInputError(
        'body',
        'must be a waiver object or a non-empty list of them (got an empty list)',
      );
    return { waivers: body.map((w: unknown, i) => parseWaiver(w, `[${i}].`, resultById)), list: true };
  }
  return { waivers: [parseWaiver(body, '', resultById)], list: false };
}

function parseWaiver(value: unknown, at: string, resultById: ResultLookup): WaiverInput {
  if (!isPlainObject(value))
    throw new WaiverInputError(at ? at.slice(0, -1) : 'body', 'must be a waiver object');
  const field = (name: string) => `${at}${name}`;
  const productVersion = required(value, 'product_version', field);
  if (productVersion.length > MAX.product_version)
    throw new WaiverInputError(field('product_version'), `must be at most ${MAX.product_version} characters`);
  const comment = required(value, 'comment', field);
  const waived = given(value.waived) ? value.waived : true;
  if (typeof waived !== 'boolean') throw new WaiverInputError(field('waived'), 'must be true or false');
  // WaiverDB treats an empty username as none.
  const username = optional(value, 'username', field) || undefined;
  if (username !== undefined && username.length > MAX.username)
    throw new WaiverInputError(field('username'), `must be at most ${MAX.username} characters`);
  const target = given(value.result_id) ? resultTarget(value, field, resultById) : givenTarget(value, field);
  return { ...target, productVersion, waived, comment, onBehalfOf: username };
}

type WaiverTarget = Pick<WaiverInput, 'subjectType' | 'subjectIdentifier' | 'testcase' | 'scenario'>;

function givenTarget(value: Record<string, unknown>, field: (name: string) => string): WaiverTarget {
  const scenario = optional(value, 'scenario', field);
  if (scenario === '')
    throw new WaiverInputError(field('scenario'), 'must not be empty (leave it out to waive every scenario)');
  if (scenario !== undefined && scenario.length > MAX.scenario)
    throw new WaiverInputError(field('scenario'), `must be at most ${MAX.scenario} characters`);
  return {
    ...parseSubject(value, field),
    testcase: required(value, 'testcase', field),
    scenario: scenario ?? null,
  };
}

/** What current WaiverDB refuses beside a result_id (waiverdb/models/requests.py, RESULT_ID_CONFLICTS_WITH). */
const RESULT_ID_CONFLICTS = ['subject_identifier', 'subject_type', 'subject', 'testcase', 'scenario'];

/**
 * A waiver by result id, as WaiverDB's `_create_waiver` reads the ResultsDB result: the subject
 * from its data (`original_spec_nvr`, else `type` + `item`, brew-build as koji_build), the test
 * case's name, and the first `scenario` if it has one. Refusals keep WaiverDB's wording.
 */
function resultTarget(
  value: Record<string, unknown>,
  field: (name: string) => string,
  resultById: ResultLookup,
): WaiverTarget {
  const conflicts = RESULT_ID_CONFLICTS.filter((k) => given(value[k]));
  if (conflicts.length > 0) {
    throw new WaiverInputError(
      field('result_id'),
      `must not be given together with ${conflicts.join(', ')}: the subject, test case and scenario are the result's`,
    );
  }
  const raw = value.result_id;
  const id =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && /^\s*\d{1,15}\s*$/.test(raw)
        ? Number(raw)
        : NaN;
  if (!Number.isSafeInteger(id) || id < 0)
    throw new WaiverInputError(
      field('result_id'),
      `must be a result id, a whole number (got ${JSON.stringify(raw)})`,
    );
  const result = resultById(id);
  if (!result) throw new WaiverInputError(field('result_id'), 'Result id not found in Resultsdb');
  const first = (key: string) => result.data[key]?.[0] || undefined;
  const nvr = first('original_spec_nvr');
  const type = first('type');
  const item = first('item');
  let subject: { subjectType: string; subjectIdentifier: string };
  if (nvr !== undefined) subject = { subjectType: 'koji_build', subjectIdentifier: nvr };
  else if (type !== undefined && item !== undefined)
    subject = { subjectType: normalSubjectType(type), subjectIdentifier: item };
  else {
    throw new WaiverInputError(
      field('result_id'),
      'It is not possible to submit a waiver by id for this result. Please try again specifying a subject and a testcase.',
    );
  }
  const scenario = first('scenario');
  if (scenario !== undefined && scenario.length > MAX.scenario)
    throw new WaiverInputError(
      field('result_id'),
      `the result's scenario is longer than ${MAX.scenario} characters`,
    );
  return { ...subject, testcase: result.testcase.name, scenario: scenario ?? null };
}

function parseSubject(
  value: Record<string, unknown>,
  field: (name: string) => string,
): { subjectType: string; subjectIdentifier: string } {
  if (given(value.subject)) {
    if (given(value.subject_type) || given(value.subject_identifier)) {
      throw new WaiverInputError(
        field('subject'),
        'must not be given together with subject_type or subject_identifier',
      );
    }
    return legacySubject(value.subject, field('subject'));
  }
  if (!given(value.subject_type) && !given(value.subject_identifier)) {
    throw new WaiverInputError(
      field('subject_type'),
      'is required, with subject_identifier (or the legacy subject: {type, item})',
    );
  }
  return {
    subjectType: normalSubjectType(required(value, 'subject_type', field)),
    subjectIdentifier: required(value, 'subject_identifier', field),
  };
}

/** WaiverDB's subject_dict_to_type_identifier. */
function legacySubject(subject: unknown, at: string): { subjectType: string; subjectIdentifier: string } {
  if (!isPlainObject(subject)) throw new WaiverInputError(at, 'must be an object {type, item}');
  const str = (key: string) =>
    typeof subject[key] === 'string' && subject[key] !== '' ? (subject[key] as string) : undefined;
  const item = str('item');
  const type = str('type');
  if (item !== undefined && (type === 'koji_build' || type === 'brew-build'))
    return { subjectType: 'koji_build', subjectIdentifier: item };
  const nvr = str('original_spec_nvr');
  if (nvr !== undefined) return { subjectType: 'koji_build', subjectIdentifier: nvr };
  const compose = str('productmd.compose.id');
  if (compose !== undefined) return { subjectType: 'compose', subjectIdentifier: compose };
  if (item !== undefined) {
    if (type === undefined)
      throw new WaiverInputError(`${at}.type`, 'is required with item (a non-empty string)');
    return { subjectType: type, subjectIdentifier: item };
  }
  throw new WaiverInputError(
    at,
    'must be {type, item}, {original_spec_nvr} or {"productmd.compose.id"} with non-empty string values',
  );
}

function required(object: Record<string, unknown>, key: string, field: (name: string) => string): string {
  const value = object[key];
  if (!given(value)) throw new WaiverInputError(field(key), 'is required');
  if (typeof value !== 'string') throw new WaiverInputError(field(key), 'must be a string');
  if (value.trim() === '') throw new WaiverInputError(field(key), 'must not be empty');
  return value;
}

function optional(
  object: Record<string, unknown>,
  key: string,
  field: (name: string) => string,
): string | undefined {
  const value = object[key];
  if (!given(value)) return undefined;
  if (typeof value !== 'string') throw new WaiverInputError(field(key), 'must be a string');
  return value;
}

function given(value: unknown): boolean {
  return value !== undefined && value !== null;
}
