import { stableJson } from '../schemas/stable-json.js';
import type { DecisionState } from './decision-update-message.js';

/**
 * Whether a recomputed decision is no news, so Sluice publishes nothing (notify compares the
 * decisions it receives by its own rule: notify/classify-decision-change.ts).
 * Greenwave's _is_decision_unchanged, a little wider: the same answer when `result_id` is
 * ignored (a re-run that passes again is no news), and with these differences too:
 * - a required result that is QUEUED or RUNNING counts as missing, as it does for its own
 *   event (Greenwave publishes nothing for those): otherwise the next unrelated result of the
 *   subject, handled after a QUEUED one was stored, would announce "1 test incomplete";
 * - the order of requirements does not count: results of one testcase on several
 *   architectures come newest first, so a re-run on one would reorder them;
 * - the summary is not compared: it is worded from the requirements, apart from the
 *   missing/incomplete distinction left out above.
 */
export function sameDecision(a: DecisionState, b: DecisionState): boolean {
  if (a.policies_satisfied !== b.policies_satisfied) return false;
  if (stableJson(a.applicable_policies) !== stableJson(b.applicable_policies)) return false;
  return (
    sameRequirements(a.satisfied_requirements, b.satisfied_requirements) &&
    sameRequirements(a.unsatisfied_requirements, b.unsatisfied_requirements)
  );
}

function sameRequirements(
  a: ReadonlyArray<Record<string, unknown>>,
  b: ReadonlyArray<Record<string, unknown>>,
): boolean {
  const left = requirementKeys(a);
  const right = requirementKeys(b);
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

/** Distinct, sorted: several QUEUED results of one test (one per architecture) are one missing result. */
function requirementKeys(reqs: ReadonlyArray<Record<string, unknown>>): string[] {
  const keys = new Set<string>();
  for (const r of reqs) {
    if (typeof r.type === 'string' && r.type.startsWith('test-result-missing')) {
      keys.add(
        stableJson({
          type: r.type,
          testcase: r.testcase,
          subject_type: r.subject_type,
          subject_identifier: r.subject_identifier,
          waiver_id: r.waiver_id,
        }),
      );
    } else {
      keys.add(stableJson(r, 'result_id'));
    }
  }
  return [...keys].sort();
}
