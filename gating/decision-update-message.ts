import type { DecisionResponse } from './decide.js';
import type { Requirement } from './requirement.js';
import { defineTopic } from '../schemas/topic-contract.js';
import { subjectDict, type Subject } from './subject.js';

export type { Requirement };

/**
 * A decision as decision-change messages carry it (new and `previous`): the answer without
 * verbose extras. Sluice always sends every field; what others send is ReceivedDecisionState.
 */
export interface DecisionState {
  policies_satisfied: boolean;
  summary: string;
  satisfied_requirements: Requirement[];
  unsatisfied_requirements: Requirement[];
  applicable_policies: string[];
}

/**
 * A decision as any publisher may send it: the message schema lets a `previous` leave out the
 * satisfied requirements and the applicable policies (schemas/messages/greenwave.decision.update.json).
 */
export type ReceivedDecisionState = Omit<DecisionState, 'satisfied_requirements' | 'applicable_policies'> &
  Partial<Pick<DecisionState, 'satisfied_requirements' | 'applicable_policies'>>;

export function decisionState(d: DecisionResponse): DecisionState {
  return {
    policies_satisfied: d.policies_satisfied,
    summary: d.summary,
    satisfied_requirements: d.satisfied_requirements,
    unsatisfied_requirements: d.unsatisfied_requirements,
    applicable_policies: d.applicable_policies ?? [],
  };
}

/** The body of `greenwave.decision.update` (schemas/messages/greenwave.decision.update.json). */
export interface DecisionUpdate extends DecisionState {
  subject_type: string;
  subject_identifier: string;
  subject: Array<Record<string, string>>;
  decision_context: string;
  product_version: string | null;
  testcase?: string;
  previous: ReceivedDecisionState | null;
}

/** The body of `greenwave.decision.update`, field for field as Greenwave publishes it (plus the testcase for results too). */
export function decisionUpdateBody(
  subject: Subject,
  context: string,
  productVersion: string,
  testcase: string,
  now: DecisionState,
  previous: DecisionState | null,
): DecisionUpdate {
  return {
    ...now,
    subject_type: subject.type.id,
    subject_identifier: subject.identifier,
    subject: [subjectDict(subject)],
    decision_context: context,
    product_version: productVersion,
    testcase,
    previous,
  };
}

/** What Sluice publishes when a decision changes, as Greenwave does. */
export const DECISION_UPDATE = defineTopic<DecisionUpdate>()('greenwave.decision.update');
