import { ResultInputError } from '../errors/result-input-error.js';
import type { GroupInput } from './parse-result-input.js';
import { isPlainObject } from './parse-result-input.js';

/**
 * POST /testcases: `{name, ref_url}`. A null or absent ref_url leaves a stored one as it is,
 * as in ResultsDB. Pure; throws ResultInputError naming the field.
 */
export function parseTestcaseInput(body: unknown): { name: string; refUrl: string | undefined } {
  if (!isPlainObject(body)) throw new ResultInputError('body', 'must be a JSON object');
  const { name, ref_url: refUrl } = body;
  if (name === undefined || name === null) throw new ResultInputError('name', 'is required');
  if (typeof name !== 'string') throw new ResultInputError('name', 'must be a string');
  if (name === '') throw new ResultInputError('name', 'must not be empty');
  if (refUrl !== undefined && refUrl !== null && typeof refUrl !== 'string')
    throw new ResultInputError('ref_url', 'must be a string');
  return { name, refUrl: typeof refUrl === 'string' ? refUrl : undefined };
}

/**
 * POST /groups: `{uuid?, description?, ref_url?}`. Without a uuid a new group is made; empty or
 * null fields leave stored ones as they are, as in ResultsDB. Pure; throws ResultInputError.
 */
export function parseGroupInput(body: unknown): GroupInput {
  if (body === undefined || body === null)
    return { uuid: undefined, description: undefined, refUrl: undefined };
  if (!isPlainObject(body)) throw new ResultInputError('body', 'must be a JSON object');
  const text = (field: string): string | undefined => {
    const value = body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw new ResultInputError(field, 'must be a string');
    return value === '' ? undefined : value;
  };
  const uuid = text('uuid');
  if (uuid !== undefined && uuid.length > 255)
    throw new ResultInputError('uuid', 'must be at most 255 characters');
  return { uuid, description: text('description'), refUrl: text('ref_url') };
}
