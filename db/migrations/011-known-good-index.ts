import type { Migration } from '../migration.js';

/**
 * Composes read the decisions of one context and product version across every build of a
 * release (the known-good set); without this index that is a walk over every stored decision.
 */
export const knownGoodIndex: Migration = {
  version: 11,
  name: 'known-good-index',
  up: 'CREATE INDEX gating_decisions_by_pair ON gating_decisions (decision_context, product_version, subject_type);',
};
