import type { DecisionState, ReceivedDecisionState } from './decision-update-message.js';

/** A decision as the history keeps it: what a person reads to see why a subject is blocked. */
export interface DecisionSnapshot {
  policies_satisfied: boolean;
  summary: string;
  unsatisfied_requirements: DecisionState['unsatisfied_requirements'];
}

/** What changed a decision: the stored result or waiver, and who it is from when known. */
export interface DecisionCause {
  kind: 'result' | 'waiver';
  id: number;
  testcase: string;
  by: string | null;
  /** Epoch ms: the result's submit time, the waiver's timestamp. */
  at: number;
}

/** One decision change, as published on `greenwave.decision.update`. */
export interface DecisionChange {
  subjectType: string;
  subjectIdentifier: string;
  context: string;
  productVersion: string;
  before: DecisionSnapshot | null;
  after: DecisionSnapshot;
  cause: DecisionCause;
  /** Epoch ms: when the change was worked out. */
  at: number;
}

/** Where decision changes are kept (db/decision-history-store.ts); written in the publishing transaction. */
export interface DecisionHistory {
  /**
   * Keeps the change and returns its id. `beforeIsAfterOf` names an earlier change whose `after`
   * is exactly this one's `before`, so the store may keep a reference instead of a copy.
   */
  record(change: DecisionChange, beforeIsAfterOf?: number | null): number;
}

export function decisionSnapshot(d: ReceivedDecisionState): DecisionSnapshot {
  return {
    policies_satisfied: d.policies_satisfied,
    summary: d.summary,
    unsatisfied_requirements: d.unsatisfied_requirements,
  };
}
