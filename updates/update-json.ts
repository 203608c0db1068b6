import type { DecisionState } from '../gating/decision-update-message.js';
import type { GatingStatus } from '../db/updates-store.js';
import { defineTopic } from '../schemas/topic-contract.js';
import type { UpdateRequestKind } from '../db/updates-store.js';

export const UPDATES_PREFIX = '/api/v1/updates';

/** What GET /api/v1/updates/:id answers (and POST, with 201). */
export interface UpdateJson {
  id: string;
  href: string;
  product_version: string;
  request: UpdateRequestKind;
  builds: string[];
  critpath: boolean;
  critpath_groups: string[];
  /** The contexts it is gated at, as Bodhi asks Greenwave. */
  decision_contexts: string[];
  submitter: string;
  created: string;
  modified: string;
  /** Bodhi's field name: waiting | passed | failed | ignored. */
  test_gating_status: GatingStatus;
  test_gating_status_since: string;
  /** After this, a missing result with nothing queued or running fails the update. */
  missing_results_deadline: string;
  /** The decision over its builds (koji_build) and itself (bodhi_update) at those contexts. */
  decision: DecisionState;
}

/** The body of `update.gating.status` (schemas/messages/update.gating.status.json). */
export interface UpdateStatusBody {
  id: string;
  href: string;
  product_version: string;
  request: UpdateRequestKind;
  builds: string[];
  decision_contexts: string[];
  test_gating_status: GatingStatus;
  /** null when the update was just filed. */
  previous_test_gating_status: GatingStatus | null;
  summary: string;
  policies_satisfied: boolean;
  unsatisfied_requirements: Array<Record<string, unknown>>;
  changed_at: string;
}

export const UPDATE_STATUS = defineTopic<UpdateStatusBody>()('update.gating.status');

/** An alias in Bodhi's style (FEDORA-2025-1a2b3c4d5e) from the product version's name, the year and 10 random hex digits. */
export function makeAlias(productVersion: string, now: number, hex10: string): string {
  const dash = productVersion.lastIndexOf('-');
  const name = (dash > 0 ? productVersion.slice(0, dash) : productVersion)
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${name || 'UPDATE'}-${new Date(now).getUTCFullYear()}-${hex10}`;
}
