import type { GatingStatus } from '../db/updates-store.js';

export interface GatingStatusInput {
  satisfied: ReadonlyArray<Record<string, unknown>>;
  unsatisfied: ReadonlyArray<Record<string, unknown>>;
  /** Epoch ms: when the update's builds were last set; missing results are waited for from then. */
  since: number;
  now: number;
  graceMs: number;
}

/**
 * Bodhi's Update._get_test_gating_status on one decision: `failed` when some unsatisfied
 * requirement is not a missing result (a failed or errored test, a gating-file problem); `failed`
 * too when, after the grace period, some required result is missing with nothing QUEUED or
 * RUNNING for it (a missing requirement without a result_id); `ignored` when nothing is required;
 * `passed` when everything required is satisfied; `waiting` otherwise (results still to come).
 */
export function gatingStatus({
  satisfied,
  unsatisfied,
  since,
  now,
  graceMs,
}: GatingStatusInput): GatingStatus {
  if (unsatisfied.length > 0) {
    if (!unsatisfied.every((r) => r.type === 'test-result-missing')) return 'failed';
    const recent = now - since < graceMs;
    if (!recent && !unsatisfied.every((r) => r.result_id !== undefined && r.result_id !== null))
      return 'failed';
    return 'waiting';
  }
  return satisfied.length === 0 ? 'ignored' : 'passed';
}

/** When the status must be looked at again with no new result or waiver: the end of the grace period, if still ahead. */
export function recheckAt(since: number, now: number, graceMs: number): number | null {
  return now < since + graceMs ? since + graceMs : null;
}
