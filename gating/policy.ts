/** Greenwave's policy model, as loaded from `--- !Policy` documents or a decision request's `rules`. */

export interface PassingTestCaseRule {
  kind: 'PassingTestCaseRule';
  testCaseName: string;
  scenario: string | null;
  /** Epoch ms; the rule applies only to subjects created at or after it. */
  validSince: number | null;
  /** Epoch ms; the rule applies only to subjects created before it. */
  validUntil: number | null;
}

export interface RemoteRule {
  kind: 'RemoteRule';
  required: boolean;
  /** URL templates tried in order; none = the configured templates for the subject type. */
  sources: string[] | null;
}

export type Rule = PassingTestCaseRule | RemoteRule;

export interface Policy {
  id: string;
  productVersions: string[];
  /** Exactly one of these two was given in the file; `decisionContexts` is the effective list. */
  decisionContext: string | null;
  decisionContexts: string[];
  /** As declared (`subject_type` or Sluice's `subject_types`); `subjectTypes` is the effective list. */
  subjectType: string | null;
  subjectTypes: string[];
  rules: Rule[];
  excludedPackages: string[];
  packages: string[];
  relevanceKey: string | null;
  relevanceValue: string | null;
  /** Where a remote (gating.yaml) policy came from; null for the server's own policies, as in Greenwave. */
  source: string | null;
  /** The file it was loaded from, for error messages and `sluice config check`; not in the API. */
  file: string | null;
  /** On-demand policies (a request's `rules`) apply to any subject type. */
  onDemand?: boolean;
}

/** A rule as GET /policies prints it (Greenwave's `Rule.to_json`). */
export function ruleJson(rule: Rule): Record<string, unknown> {
  if (rule.kind === 'RemoteRule')
    return { rule: 'RemoteRule', required: rule.required, sources: rule.sources };
  const json: Record<string, unknown> = {
    rule: 'PassingTestCaseRule',
    test_case_name: rule.testCaseName,
    scenario: rule.scenario,
  };
  // Greenwave leaves these out; Sluice adds them when set so that the listing explains a rule fully.
  if (rule.validSince !== null) json.valid_since = new Date(rule.validSince).toISOString();
  if (rule.validUntil !== null) json.valid_until = new Date(rule.validUntil).toISOString();
  return json;
}

/** A policy as GET /policies prints it (Greenwave's `Policy.to_json`, plus `subject_types`). */
export function policyJson(p: Policy): Record<string, unknown> {
  return {
    id: p.id,
    product_versions: p.productVersions,
    decision_context: p.decisionContext,
    decision_contexts: p.decisionContext === null ? p.decisionContexts : [],
    subject_type: p.subjectType,
    subject_types: p.subjectTypes,
    rules: p.rules.map(ruleJson),
    excluded_packages: p.excludedPackages,
    packages: p.packages,
    relevance_key: p.relevanceKey,
    relevance_value: p.relevanceValue,
  };
}

/**
 * Two rules are the same requirement when Greenwave's `to_json` says so: a testcase named in
 * several applicable policies is checked once per subject.
 */
export function ruleKey(rule: Rule): string {
  return rule.kind === 'RemoteRule'
    ? `R\u0000${rule.required}\u0000${JSON.stringify(rule.sources)}`
    : `P\u0000${rule.testCaseName}\u0000${rule.scenario ?? '\u0001'}`;
}
