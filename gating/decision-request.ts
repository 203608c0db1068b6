import { DecisionInputError } from '../errors/decision-input-error.js';
import { parseIsoTime } from '../results/parse-iso-time.js';
import type { Policy } from './policy.js';
import { onDemandRulesError } from './on-demand-rules.js';
import { PolicyParseError, readPolicy } from './policy-reader.js';
import { fromJson } from './policy-tree.js';
import { subjectFromData, type Subject } from './subject.js';
import type { SubjectTypes } from './subject-types.js';

/** A POST /decision body once checked: what the decision engine works from. */
export interface DecisionRequest {
  productVersion: string;
  /** Empty for on-demand requests. */
  decisionContexts: string[];
  /** The request's own `rules` as a policy, or null when it names decision contexts. */
  onDemand: Policy | null;
  subjects: Subject[];
  verbose: boolean;
  /** Epoch ms: answer as of then (only results and waivers submitted at or before it). */
  when: number | null;
  ignoreResults: ReadonlySet<number>;
  ignoreWaivers: ReadonlySet<number>;
}

/**
 * Checks a decision request in the order Greenwave's make_decision does, so that a request
 * with several faults gets the message Greenwave would give, word for word; the few checks
 * Greenwave lacks (types of lists, ids) come with messages in the same style.
 */
export function parseDecisionRequest(body: unknown, types: SubjectTypes): DecisionRequest {
  // A body that is not JSON (text/plain) is no JSON payload to Greenwave either, and neither is
  // an empty or falsy one (`{}`, `[]`, `""`, `0`, `false`): make_decision's `if not data`.
  if (body === undefined || body === null || typeof body === 'string' || isFalsyJson(body))
    throw new DecisionInputError('No JSON payload in request', 'DECISION_NO_JSON');
  if (typeof body !== 'object' || Array.isArray(body))
    throw new DecisionInputError('Invalid JSON payload, must be an object');
  const data = body as Record<string, unknown>;

  if (!data.product_version) throw new DecisionInputError('Missing required product version');
  if (typeof data.product_version !== 'string')
    throw new DecisionInputError('Invalid product_version, must be a string');
  const hasRules = Array.isArray(data.rules) ? data.rules.length > 0 : Boolean(data.rules);
  if (!data.decision_context && !hasRules)
    throw new DecisionInputError('Either decision_context or rules is required.');

  const raw = data.decision_context ?? [];
  const decisionContexts = Array.isArray(raw) ? raw : [raw];
  if (!decisionContexts.every((c) => typeof c === 'string' && c !== '')) {
    throw new DecisionInputError('Invalid decision_context, must be a string or a list of strings');
  }
  if (decisionContexts.length > 0 && hasRules)
    throw new DecisionInputError('Cannot have both decision_context and rules');

  let subjects: Subject[] | undefined;
  let onDemand: Policy | null = null;
  if (hasRules) {
    subjects = parseSubjects(data, types);
    onDemand = onDemandPolicy(data);
  }

  const verbose = data.verbose ?? false;
  if (typeof verbose !== 'boolean') throw new DecisionInputError('Invalid verbose flag, must be a bool');
  const ignoreResults = idList(data.ignore_result, 'ignore_result', 'result');
  const ignoreWaivers = idList(data.ignore_waiver, 'ignore_waiver', 'waiver');

  let when: number | null = null;
  if (data.when !== undefined && data.when !== null && data.when !== '') {
    const t = typeof data.when === 'string' ? parseIsoTime(data.when) : undefined;
    if (t === undefined) throw new DecisionInputError('Invalid "when" parameter, must be in ISO8601 format');
    when = t;
  }

  return {
    productVersion: data.product_version,
    decisionContexts: decisionContexts as string[],
    onDemand,
    subjects: subjects ?? parseSubjects(data, types),
    verbose,
    when,
    ignoreResults,
    ignoreWaivers,
  };
}

function parseSubjects(data: Record<string, unknown>, types: SubjectTypes): Subject[] {
  if ('subject' in data) {
    const list = data.subject;
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      !list.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e))
    ) {
      throw new DecisionInputError('Invalid subject, must be a list of dicts');
    }
    return list.map((entry) => {
      const subject = subjectFromData(entry as Record<string, unknown>, types);
      if (!subject) throw new DecisionInputError('Could not detect subject_identifier.');
      return subject;
    });
  }
  if (!('subject_type' in data)) throw new DecisionInputError('Missing required "subject_type" parameter');
  if (!('subject_identifier' in data))
    throw new DecisionInputError('Missing required "subject_identifier" parameter');
  const { subject_type: type, subject_identifier: id } = data;
  if (typeof type !== 'string' || type === '')
    throw new DecisionInputError('Invalid "subject_type" parameter, must be a non-empty string');
  if (typeof id !== 'string' || id === '')
    throw new DecisionInputError('Invalid "subject_identifier" parameter, must be a non-empty string');
  return [{ type: types.resolve(type), identifier: id }];
}

/** Greenwave's OnDemandPolicy: the request's rules and package lists under a made-up id and context. */
function onDemandPolicy(data: Record<string, unknown>): Policy {
  const spec: Record<string, unknown> = {
    id: 'on-demand-policy',
    product_versions: [data.product_version],
    decision_context: 'on-demand-policy',
    rules: data.rules,
  };
  for (const key of ['id', 'excluded_packages', 'packages'] as const)
    if (data[key] !== undefined) spec[key] = data[key];
  const rulesError = onDemandRulesError(data.rules);
  if (rulesError) throw new DecisionInputError(`Failed to parse on demand policy: ${rulesError}`);
  try {
    return readPolicy(fromJson(spec), 'onDemand', { source: null, file: null });
  } catch (err) {
    if (err instanceof PolicyParseError)
      throw new DecisionInputError(`Failed to parse on demand policy: ${err.message}`);
    throw err;
  }
}

function idList(value: unknown, name: string, what: string): Set<number> {
  if (value === undefined || value === null) return new Set();
  if (!Array.isArray(value) || !value.every((v) => Number.isSafeInteger(v))) {
    throw new DecisionInputError(`Invalid ${name}, must be a list of ${what} ids`);
  }
  return new Set(value as number[]);
}

function isFalsyJson(body: unknown): boolean {
  if (Array.isArray(body)) return body.length === 0;
  if (typeof body === 'object' && body !== null) return Object.keys(body).length === 0;
  return body === 0 || body === false || body === '';
}
