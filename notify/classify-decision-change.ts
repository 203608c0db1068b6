import { stableJson } from '../schemas/stable-json.js';
import type { ReceivedDecisionState, Requirement } from '../gating/decision-update-message.js';

export type DecisionChange = 'became-unsatisfied' | 'became-satisfied' | 'changed' | 'unchanged';
export type DecisionCondition = 'changed' | 'became-unsatisfied' | 'became-satisfied';

/**
 * Greenwave's test for "the decision did not change": the same verdict and the same requirements,
 * ignoring result ids (a newer result with the same outcome is no change). Requirements are
 * compared as sets, so that an answer listed in another order is not a change either. Satisfied
 * requirements count only when both sides list them (a `previous` may leave them out).
 *
 * Not gating/same-decision.ts on purpose: that one decides what Sluice publishes; this one reads
 * decisions any publisher sent (a real Greenwave's too). Their `previous` may lack satisfied
 * requirements, and a requirement that turned QUEUED is a change here when the publisher
 * announced it as one, so a mail rule fires on what subscribers were told.
 */
export function sameReceivedDecision(a: ReceivedDecisionState, b: ReceivedDecisionState): boolean {
  if (a.policies_satisfied !== b.policies_satisfied) return false;
  if (!sameRequirements(a.unsatisfied_requirements, b.unsatisfied_requirements)) return false;
  if (a.satisfied_requirements && b.satisfied_requirements)
    return sameRequirements(a.satisfied_requirements, b.satisfied_requirements);
  return true;
}

/** How `after` differs from `before`; no `before` (a first decision) counts as a change into `after`'s verdict. */
export function classifyChange(
  before: ReceivedDecisionState | null,
  after: ReceivedDecisionState,
): DecisionChange {
  if (before === null) return after.policies_satisfied ? 'became-satisfied' : 'became-unsatisfied';
  if (sameReceivedDecision(before, after)) return 'unchanged';
  if (before.policies_satisfied && !after.policies_satisfied) return 'became-unsatisfied';
  if (!before.policies_satisfied && after.policies_satisfied) return 'became-satisfied';
  return 'changed';
}

export function changeMeets(condition: DecisionCondition, change: DecisionChange): boolean {
  if (change === 'unchanged') return false;
  return condition === 'changed' || condition === change;
}

/** The part of a decision a later one is compared with: what a debounced mail's "before" is. */
export function decisionBaseline(d: ReceivedDecisionState): ReceivedDecisionState {
  return {
    policies_satisfied: d.policies_satisfied,
    summary: d.summary,
    ...(d.satisfied_requirements ? { satisfied_requirements: d.satisfied_requirements } : {}),
    unsatisfied_requirements: d.unsatisfied_requirements,
    ...(d.applicable_policies ? { applicable_policies: d.applicable_policies } : {}),
  };
}

function sameRequirements(a: Requirement[], b: Requirement[]): boolean {
  if (a.length !== b.length) return false;
  // A re-run's new result id is no change.
  const left = a.map((r) => stableJson(r, 'result_id')).sort();
  const right = b.map((r) => stableJson(r, 'result_id')).sort();
  return left.every((v, i) => v === right[i]);
}
