import { fnmatch } from '../results/fnmatch.js';
import type { Policy } from './policy.js';
import type { Subject } from './subject.js';
import { SubjectTypes, type SubjectType } from './subject-types.js';

/**
 * Greenwave's Policy.matches for a decision: one of the asked decision contexts (none asked =
 * any), the product version matching one of the policy's globs, and the subject's type named by
 * the policy (on-demand policies take any type). Rules never exclude a policy here: a RemoteRule
 * policy applies whether or not the package has a gating.yaml.
 */
export function policyApplies(
  p: Policy,
  contexts: readonly string[],
  productVersion: string,
  type: SubjectType,
): boolean {
  if (contexts.length > 0 && !contexts.some((c) => p.decisionContexts.includes(c))) return false;
  if (!p.productVersions.some((g) => fnmatch(productVersion, g))) return false;
  return p.onDemand === true || p.subjectTypes.some((name) => SubjectTypes.matches(type, name));
}

export function applicablePolicies(
  policies: readonly Policy[],
  contexts: readonly string[],
  productVersion: string,
  subject: Subject,
): Policy[] {
  return policies.filter((p) => policyApplies(p, contexts, productVersion, subject.type));
}

/**
 * The (decision context, product version) pairs whose policies may be affected by a new result
 * or waiver for `testcase` on a subject of this type (Greenwave's
 * applicable_decision_context_product_version_pairs): what a decision-change consumer recomputes.
 * Policies with a RemoteRule count for every testcase, since a gating.yaml may name any.
 * Product versions are the policies' globs unless `productVersion` is given.
 */
export function decisionPairs(
  policies: readonly Policy[],
  type: SubjectType,
  testcase: string,
  productVersion?: string,
): Array<[string, string]> {
  const pairs = new Set<string>();
  for (const p of policies) {
    if (!p.subjectTypes.some((name) => SubjectTypes.matches(type, name))) continue;
    if (productVersion !== undefined && !p.productVersions.some((g) => fnmatch(productVersion, g))) continue;
    const cares =
      p.rules.length === 0 || p.rules.some((r) => r.kind === 'RemoteRule' || r.testCaseName === testcase);
    if (!cares) continue;
    for (const c of p.decisionContexts)
      for (const v of productVersion !== undefined ? [productVersion] : p.productVersions)
        pairs.add(JSON.stringify([c, v]));
  }
  return [...pairs].sort().map((s) => JSON.parse(s) as [string, string]);
}
