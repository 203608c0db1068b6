import { formatSubmitTime } from '../results/result-json.js';

export const WAIVERDB_PREFIX = '/api/v1.0';

/**
 * A waiver exactly as WaiverDB v1.0 prints it (GET /waivers/:id, the POST answer, every listing)
 * and as `waiverdb.waiver.new` carries it.
 */
export interface WaiverJson {
  id: number;
  subject_type: string;
  subject_identifier: string;
  /** WaiverDB < 0.11's form of the subject, still printed: `{type, item}`, or `{"productmd.compose.id": id}` for a compose. */
  subject: Record<string, string>;
  testcase: string;
  /** null: the waiver covers every scenario of the test case. */
  scenario: string | null;
  product_version: string;
  /** false: this waiver revokes the ones before it. */
  waived: boolean;
  comment: string;
  /** Whom the waiver is from (the caller, or the user a superuser named). */
  username: string;
  /** The superuser who submitted it on `username`'s behalf; null when the user submitted it. */
  proxied_by: string | null;
  /** Naive UTC with microseconds, as WaiverDB prints it: "2026-01-02T03:04:05.678000". */
  timestamp: string;
}

export interface WaiverRow {
  id: number;
  subject_type: string;
  subject_identifier: string;
  testcase: string;
  scenario: string | null;
  product_version: string;
  waived: number;
  comment: string;
  username: string;
  proxied_by: string | null;
  timestamp: number;
}

/** WaiverDB's subject_type_identifier_to_dict: composes keep their productmd key. */
export function subjectDict(subjectType: string, subjectIdentifier: string): Record<string, string> {
  if (subjectType === 'compose') return { 'productmd.compose.id': subjectIdentifier };
  return { type: subjectType, item: subjectIdentifier };
}

export function waiverJson(row: WaiverRow): WaiverJson {
  return {
    id: row.id,
    subject_type: row.subject_type,
    subject_identifier: row.subject_identifier,
    subject: subjectDict(row.subject_type, row.subject_identifier),
    testcase: row.testcase,
    scenario: row.scenario,
    product_version: row.product_version,
    waived: row.waived === 1,
    comment: row.comment,
    username: row.username,
    proxied_by: row.proxied_by,
    // WaiverDB, like ResultsDB, keeps naive UTC datetimes and prints them with isoformat().
    timestamp: formatSubmitTime(row.timestamp),
  };
}

/** WaiverDB stores `brew-build` (Brew is Red Hat's Koji) as `koji_build`, and so do we. */
export function normalSubjectType(subjectType: string): string {
  return subjectType === 'brew-build' ? 'koji_build' : subjectType;
}
