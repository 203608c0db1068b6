import type { Migration } from '../migration.js';

/**
 * The (key, value, result_id) index over every data value cost more than the rest of storing a
 * result: a CI result carries about fifteen values, most of them URLs nobody filters on, each
 * landing on a random page of one large index. Filters are served instead by one partial index
 * per configured key (see db/data-key-indexes.ts), made and dropped at start to match the config.
 */
export const dataKeyIndexes: Migration = {
  version: 3,
  name: 'data-key-indexes',
  up: 'DROP INDEX result_data_key_value;',
};
