import { NOTIFICATION_KINDS, OUTBOX_STATES, type OutboxFilter, type OutboxState } from '../db/mail-outbox.js';
import { QueryInputError } from '../errors/query-input-error.js';

/** `GET /api/v1/outbox` parameters: state (repeated or comma-separated), kind, rule, limit, before. */
export function parseOutboxQuery(pairs: Array<[string, string]>): OutboxFilter {
  const filter: OutboxFilter = { states: [], limit: 100 };
  for (const [key, value] of pairs) {
    switch (key) {
      case 'state':
        for (const s of value
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)) {
          if (!(OUTBOX_STATES as readonly string[]).includes(s))
            throw new QueryInputError('state', `must be one of ${OUTBOX_STATES.join(', ')} (got "${s}")`);
          filter.states.push(s as OutboxState);
        }
        break;
      case 'kind':
        if (!(NOTIFICATION_KINDS as readonly string[]).includes(value))
          throw new QueryInputError(
            'kind',
            `must be one of ${NOTIFICATION_KINDS.join(', ')} (got "${value}")`,
          );
        filter.kind = value as OutboxFilter['kind'];
        break;
      case 'rule':
        filter.rule = value;
        break;
      case 'limit':
        filter.limit = integer('limit', value, 1, 1000);
        break;
      case 'before':
        filter.beforeId = integer('before', value, 1, Number.MAX_SAFE_INTEGER);
        break;
      default:
        throw new QueryInputError(
          key,
          'is not a parameter of this listing (state, kind, rule, limit, before)',
        );
    }
  }
  return filter;
}

function integer(name: string, value: string, min: number, max: number): number {
  const n = /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new QueryInputError(name, `must be an integer from ${min} to ${max} (got "${value}")`);
  return n;
}
