import type { Migration } from '../migration.js';

/**
 * Notifications kept their own copy of every pipeline node message for run reports while the
 * pipeline's node store was not there to read; reports now read the node store.
 */
export const dropRecordedRunNodes: Migration = {
  version: 10,
  name: 'drop-recorded-run-nodes',
  up: 'DROP TABLE notify_run_nodes;',
};
