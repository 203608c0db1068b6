import { QueryInputError } from '../errors/query-input-error.js';

export interface DecisionHistoryQuery {
  subjectType: string;
  subjectIdentifier: string;
  context?: string;
  productVersion?: string;
  beforeId?: number;
  limit: number;
}

const PARAMETERS = [
  'subject_type',
  'subject_identifier',
  'decision_context',
  'product_version',
  'limit',
  'before',
] as const;
const MAX_TEXT = 1024;

/**
 * `GET /api/v1/decisions/history` parameters: the subject (required), optional decision context
 * and product version, and the paging of Sluice's own listings (`limit`, `before` = the last id
 * of the page before). Each refusal names its parameter.
 */
export function parseDecisionHistoryQuery(pairs: Array<[string, string]>): DecisionHistoryQuery {
  const seen = new Map<string, string>();
  for (const [key, value] of pairs) {
    if (!(PARAMETERS as readonly string[]).includes(key))
      throw new QueryInputError(key, `is not a parameter of the decision history (${PARAMETERS.join(', ')})`);
    if (seen.has(key)) throw new QueryInputError(key, 'is given more than once');
    seen.set(key, value);
  }
  const text = (name: string, required: boolean): string | undefined => {
    const v = seen.get(name);
    if (v === undefined) {
      if (required) throw new QueryInputError(name, 'is required');
      return undefined;
    }
    if (v === '') throw new QueryInputError(name, 'must not be empty');
    if (v.length > MAX_TEXT) throw new QueryInputError(name, `must be at most ${MAX_TEXT} characters`);
    return v;
  };
  const query: DecisionHistoryQuery = {
    subjectType: text('subject_type', true)!,
    subjectIdentifier: text('subject_identifier', true)!,
    limit: integer('limit', seen.get('limit'), 1, 1000) ?? 50,
  };
  const context = text('decision_context', false);
  const productVersion = text('product_version', false);
  const beforeId = integer('before', seen.get('before'), 1, Number.MAX_SAFE_INTEGER);
  if (context !== undefined) query.context = context;
  if (productVersion !== undefined) query.productVersion = productVersion;
  if (beforeId !== undefined) query.beforeId = beforeId;
  return query;
}

function integer(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new QueryInputError(name, `must be an integer from ${min} to ${max} (got "${value}")`);
  return n;
}
