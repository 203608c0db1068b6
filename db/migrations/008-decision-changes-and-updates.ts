import type { Migration } from '../migration.js';

/**
 * Decision-change messages and updates.
 *
 * gating_decisions: the decision last evaluated for a subject × decision context × product
 * version by the decision-change consumer (the answer JSON), which the next result or waiver is
 * compared with. A message's `previous` is this row, so the messages of one pair form a chain.
 *
 * updates / update_builds: what a release tool asked to gate (Bodhi's update: builds, a product
 * version, a request, critical-path groups), its last announced gating status, and when the
 * status must be looked at again without any new result (the end of the grace period for
 * missing results). update_builds is keyed by NVR first: a result names a build, and the
 * updates that contain it are what must be re-checked.
 */
export const decisionChangesAndUpdates: Migration = {
  version: 8,
  name: 'decision-changes-and-updates',
  up: `
    CREATE TABLE gating_decisions (
      subject_identifier TEXT NOT NULL,
      subject_type       TEXT NOT NULL,
      decision_context   TEXT NOT NULL,
      product_version    TEXT NOT NULL,
      decision           TEXT NOT NULL,
      evaluated_at       INTEGER NOT NULL,
      PRIMARY KEY (subject_identifier, subject_type, decision_context, product_version)
    ) WITHOUT ROWID;

    CREATE TABLE updates (
      id               TEXT PRIMARY KEY,
      product_version  TEXT NOT NULL,
      request          TEXT NOT NULL CHECK (request IN ('testing', 'stable')),
      critpath         INTEGER NOT NULL,
      critpath_groups  TEXT NOT NULL,
      submitter        TEXT NOT NULL,
      created_at       INTEGER NOT NULL,
      modified_at      INTEGER NOT NULL,
      status           TEXT NOT NULL CHECK (status IN ('waiting', 'passed', 'failed', 'ignored')),
      status_at        INTEGER NOT NULL,
      recheck_at       INTEGER
    );
    CREATE INDEX updates_recheck ON updates (recheck_at) WHERE recheck_at IS NOT NULL;

    CREATE TABLE update_builds (
      nvr       TEXT NOT NULL,
      update_id TEXT NOT NULL REFERENCES updates (id),
      position  INTEGER NOT NULL,
      PRIMARY KEY (nvr, update_id)
    ) WITHOUT ROWID;
    CREATE INDEX update_builds_update ON update_builds (update_id, position);
  `,
};
