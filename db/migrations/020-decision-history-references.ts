import type { Migration } from '../migration.js';

/**
 * Most decision changes start from the decision the change before them ended in, so their
 * `before` is a copy of that row's `after`. decision_history.before_id names that row instead
 * (`before` is then NULL and read through it); gating_decisions.history_id says which change a
 * stored decision was announced by, so the next change knows it may point there. Rows written
 * before this migration keep their copies. A decision stored without an announcement (only
 * result ids moved) has no history_id, and the change after it keeps a copy.
 */
export const decisionHistoryReferences: Migration = {
  version: 20,
  name: 'decision-history-references',
  up: `
    ALTER TABLE decision_history ADD COLUMN before_id INTEGER;
    ALTER TABLE gating_decisions ADD COLUMN history_id INTEGER;
  `,
};
