import type { Migration } from '../migration.js';

/**
 * What pipeline.retention pruned, so that the API can tell "gone" (410) from "never was" (404):
 * a node's log, its artifacts, or the node itself (with its whole run).
 */
export const retention: Migration = {
  version: 18,
  name: 'retention',
  up: `
    CREATE TABLE pruned_nodes (
      node_id   INTEGER NOT NULL,
      what      TEXT NOT NULL CHECK (what IN ('log', 'artifacts', 'node')),
      pruned_at INTEGER NOT NULL,
      PRIMARY KEY (node_id, what)
    ) WITHOUT ROWID;
    CREATE INDEX pipeline_nodes_done_age ON pipeline_nodes (updated_at) WHERE state = 'done';
  `,
};
