import type { Migration } from '../migration.js';

/**
 * Waivers (WaiverDB's model). Append-only: a revocation is a newer waiver with waived = 0, so
 * that the answer a decision gave at any moment can be worked out again. waivers_subject serves
 * the gating lookup ("every waiver of these subjects [for these product versions]") and the
 * "is there a newer one?" test that hides obsolete waivers; it starts with the identifier, the
 * selective part, so that a listing by subject_identifier alone (WaiverDB allows it) uses it too.
 * waivers_time serves the listing, newest first.
 */
export const waivers: Migration = {
  version: 4,
  name: 'waivers',
  up: `
    -- timestamp is UTC epoch milliseconds
    CREATE TABLE waivers (
      id                 INTEGER PRIMARY KEY,
      subject_type       TEXT NOT NULL,
      subject_identifier TEXT NOT NULL,
      testcase           TEXT NOT NULL,
      scenario           TEXT,
      product_version    TEXT NOT NULL,
      waived             INTEGER NOT NULL CHECK (waived IN (0, 1)),
      comment            TEXT NOT NULL,
      username           TEXT NOT NULL,
      proxied_by         TEXT,
      timestamp          INTEGER NOT NULL
    );
    CREATE INDEX waivers_subject ON waivers (subject_identifier, subject_type, product_version, testcase);
    CREATE INDEX waivers_time ON waivers (timestamp);

    CREATE TRIGGER waivers_no_update BEFORE UPDATE ON waivers
      BEGIN SELECT RAISE(ABORT, 'waivers are append-only: submit a new waiver (waived: false revokes)'); END;
    CREATE TRIGGER waivers_no_delete BEFORE DELETE ON waivers
      BEGIN SELECT RAISE(ABORT, 'waivers are append-only: submit a new waiver (waived: false revokes)'); END;
  `,
};
