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
