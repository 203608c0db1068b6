import { defineTopic } from '../schemas/topic-contract.js';
import type { StoredResult } from './result-json.js';

/** A result was stored: the result as GET /api/v2.0/results/{id} answers it (ResultsDB's message). */
export const RESULT_NEW = defineTopic<StoredResult>()('resultsdb.result.new');

/**
 * A result sent over the bus instead of HTTP: a ResultsDB POST /api/v2.0/results body. The schema
 * checks its outline; parse-result-input.ts checks the rest and names the field it refuses.
 */
export const RESULT_SUBMIT = defineTopic<Record<string, unknown>>()('result.submit');
