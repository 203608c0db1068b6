import type { Migration } from '../migration.js';

/**
 * An outbox message whose work one of this deployment's consumers already did (a result's
 * decision changes, worked out in the transaction that stored it) names that consumer, so that
 * the bus can keep the message away from it instead of delivering a certain duplicate.
 */
export const outboxHandledBy: Migration = {
  version: 13,
  name: 'outbox-handled-by',
  up: 'ALTER TABLE outbox ADD COLUMN handled_by TEXT;',
};
