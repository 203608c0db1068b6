import type { Migration } from '../migration.js';

/**
 * The outbox no longer says which consumer already did a message's work (migration 013): the
 * gating-changes consumer's ledger drops the announcements whose decision changes were worked out
 * as they were stored, so the bus needs no mark to keep them away from it.
 */
export const dropOutboxHandledBy: Migration = {
  version: 14,
  name: 'drop-outbox-handled-by',
  up: 'ALTER TABLE outbox DROP COLUMN handled_by;',
};
