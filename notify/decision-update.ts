/** One requirement of a decision, as Greenwave prints it. */
export interface Requirement {
  type: string;
  testcase?: string;
  subject_type?: string;
  subject_identifier?: string;
  result_id?: number | null;
  scenario?: string | null;
  error_reason?: string | null;
  details?: string;
  item?: Record<string, unknown>;
  [key: string]: unknown;
}

/** What a decision says, with or without the subject it is about (`previous` has no subject). */
export interface DecisionState {
  policies_satisfied: boolean;
  summary: string;
  satisfied_requirements?: Requirement[];
  unsatisfied_requirements: Requirement[];
  applicable_policies?: string[];
}

/** The body of `greenwave.decision.update` (schemas/messages/greenwave.decision.update.json). */
export interface DecisionUpdate extends DecisionState {
  subject_type: string;
  subject_identifier: string;
  subject: Array<Record<string, string>>;
  decision_context: string;
  product_version: string | null;
  testcase?: string;
  satisfied_requirements: Requirement[];
  applicable_policies: string[];
  previous: DecisionState | null;
}

export const DECISION_TOPIC = 'greenwave.decision.update';
