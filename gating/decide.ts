import { DecisionInputError } from '../errors/decision-input-error.js';
import { answerJson, isGatingFileAnswer, isSatisfied, type Answer } from './answers.js';
import type { DecisionRequest } from './decision-request.js';
import { fnmatch } from '../results/fnmatch.js';
import { parseGatingYaml } from './gating-yaml.js';
import { latestPerKey, type GatingResult } from './gating-result.js';
import { ruleKey, type PassingTestCaseRule, type Policy, type RemoteRule } from './policy.js';
import { policyApplies } from './policy-match.js';
import { gatingFileKey, templatesFor, type GatingFileOutcome } from './remote-rule.js';
import { packageName, type Subject } from './subject.js';
import { summarize } from './summary.js';
import { activeWaivers, findWaiver, type WaiverJson } from './waivers.js';
import type { Requirement } from './requirement.js';

/** Outcome classes of result outcomes (Greenwave's OUTCOMES_PASSED / _INCOMPLETE / _ERROR); anything else failed. */
export interface OutcomeClasses {
  passed: readonly string[];
  incomplete: readonly string[];
  error: readonly string[];
}

/** Everything known about one subject of the request. */
export interface SubjectFacts {
  subject: Subject;
  /** The policies that apply to it (see applicablePolicies). */
  policies: readonly Policy[];
  /** Its results, reduced to the latest per key or not; ignored ids are dropped here. */
  results: readonly GatingResult[];
  /** For `verbose`: its results as the results API prints them, newest first. */
  verboseResults?: ReadonlyArray<{ id: number }>;
  /** Build time for `valid_since` / `valid_until`; null = unknown, taken as `now`. */
  creationTime: number | null;
}

export interface DecisionInput {
  request: DecisionRequest;
  subjects: readonly SubjectFacts[];
  /**
   * The subjects' waivers (any product version, revocations included), or how to get them:
   * a function is called only when some requirement is unsatisfied or `verbose` asks for them.
   */
  waivers: readonly WaiverJson[] | (() => readonly WaiverJson[]);
  /** Gating files fetched for RemoteRules, by gatingFileKey. */
  gatingFiles: ReadonlyMap<string, GatingFileOutcome>;
  /** URL templates per subject type id (`*` for the rest). */
  remoteRuleTemplates: Readonly<Record<string, readonly string[]>>;
  outcomes: OutcomeClasses;
  /** Epoch ms, stands in for an unknown creation time. */
  now: number;
}

export interface DecisionResponse {
  policies_satisfied: boolean;
  summary: string;
  satisfied_requirements: Requirement[];
  unsatisfied_requirements: Requirement[];
  applicable_policies?: string[];
  results?: unknown[];
  waivers?: WaiverJson[];
}

/**
 * Greenwave's decision, computed from data already gathered: no I/O, so the same facts always
 * give the same answer. Throws DecisionInputError (POLICY_NOT_FOUND, 404) when a subject has no applicable policy
 * and its type does not allow that.
 */
export function decide(input: DecisionInput): DecisionResponse {
  const { request } = input;
  const answers: Answer[] = [];
  const applicable: string[] = [];
  for (const facts of input.subjects) {
    if (facts.policies.length === 0) {
      if (facts.subject.type.ignoreMissingPolicy) continue;
      throw new DecisionInputError(
        `Found no applicable policies for ${facts.subject.type.id} subjects at gating point(s) ${request.decisionContexts.join(' ')} in ${request.productVersion}`,
        'POLICY_NOT_FOUND',
      );
    }
    const ctx = new SubjectContext(input, facts);
    for (const policy of facts.policies) answers.push(...ctx.checkPolicy(policy));
    applicable.push(...facts.policies.map((p) => p.id));
  }

  const needed = request.verbose || answers.some((a) => !isSatisfied(a));
  const given = !needed ? [] : typeof input.waivers === 'function' ? input.waivers() : input.waivers;
  const waivers = activeWaivers(given, {
    subjects: input.subjects.map((s) => s.subject),
    productVersion: request.productVersion,
    when: request.when,
    ignore: request.ignoreWaivers,
  });
  const final: Answer[] = [];
  for (const a of answers) {
    if (isSatisfied(a)) {
      final.push(a);
      continue;
    }
    const waiver = findWaiver(a, waivers);
    if (!waiver) final.push(a);
    // A waived gating-file problem disappears: Greenwave has no "-waived" form of it.
    else if (!isGatingFileAnswer(a)) final.push({ kind: 'waived', of: a, waiverId: waiver.id });
  }

  const response: DecisionResponse = {
    policies_satisfied: final.every(isSatisfied),
    summary: summarize(final),
    satisfied_requirements: final.filter(isSatisfied).map(answerJson),
    unsatisfied_requirements: final.filter((a) => !isSatisfied(a)).map(answerJson),
  };
  if (!request.onDemand) response.applicable_policies = applicable;
  if (request.verbose) {
    const results = new Map<number, { id: number }>();
    for (const facts of input.subjects) {
      for (const r of facts.verboseResults ?? [])
        if (!request.ignoreResults.has(r.id) && !results.has(r.id)) results.set(r.id, r);
    }
    response.results = [...results.values()];
    response.waivers = waivers;
  }
  return response;
}

/** Rule evaluation for one subject: each distinct rule is checked once, across all its policies. */
class SubjectContext {
  private readonly verified = new Set<string>();
  private readonly results: GatingResult[];

  constructor(
    private readonly input: DecisionInput,
    private readonly facts: SubjectFacts,
  ) {
    const ignore = input.request.ignoreResults;
    this.results = latestPerKey(ignore.size ? facts.results.filter((r) => !ignore.has(r.id)) : facts.results);
  }

  checkPolicy(policy: Policy): Answer[] {
    const subject = this.facts.subject;
    const name = packageName(subject);
    if (name !== null) {
      if (policy.excludedPackages.some((g) => fnmatch(name, g)))
        return [{ kind: 'excluded', subject, policy }];
      // With an allowlist, the policy does not apply to other packages: no requirement at all.
      if (policy.packages.length > 0 && !policy.packages.some((g) => fnmatch(name, g))) return [];
    }
    const answers: Answer[] = [];
    for (const rule of policy.rules) {
      const key = ruleKey(rule);
      if (this.verified.has(key)) continue;
      this.verified.add(key);
      answers.push(
        ...(rule.kind === 'RemoteRule' ? this.checkRemote(policy, rule) : this.checkTestcase(policy, rule)),
      );
    }
    return answers;
  }

  private checkTestcase(policy: Policy, rule: PassingTestCaseRule): Answer[] {
    const subject = this.facts.subject;
    if (rule.validSince !== null || rule.validUntil !== null) {
      const created = this.facts.creationTime ?? this.input.now;
      if (rule.validSince !== null && created < rule.validSince) return [];
      if (rule.validUntil !== null && rule.validUntil <= created) return [];
    }
    // Only the first scenario value of a result is kept; results carry one in practice.
    const matching = this.results.filter(
      (r) => r.testcase === rule.testCaseName && (rule.scenario === null || r.scenario === rule.scenario),
    );
    if (matching.length === 0)
      return [
        {
          kind: 'missing',
          subject,
          testcase: rule.testCaseName,
          scenario: rule.scenario,
          source: policy.source,
        },
      ];
    const { passed, incomplete, error } = this.input.outcomes;
    return matching.map((result): Answer => {
      const base = { subject, testcase: rule.testCaseName, source: policy.source, result };
      if (passed.includes(result.outcome)) return { kind: 'passed', ...base };
      if (incomplete.includes(result.outcome)) return { kind: 'incomplete', ...base };
      if (error.includes(result.outcome)) return { kind: 'errored', ...base };
      return { kind: 'failed', ...base };
    });
  }

  private checkRemote(policy: Policy, rule: RemoteRule): Answer[] {
    const subject = this.facts.subject;
    if (!subject.type.supportsRemoteRule) return [];
    const templates = templatesFor(rule, subject, this.input.remoteRuleTemplates);
    const file = this.input.gatingFiles.get(gatingFileKey(subject, templates));
    if (!file) return rule.required ? [{ kind: 'missing-gating-yaml', subject, sources: [] }] : [];
    if (file.kind === 'absent')
      return rule.required ? [{ kind: 'missing-gating-yaml', subject, sources: file.urls }] : [];
    if (file.kind === 'failed')
      return [{ kind: 'failed-fetch-gating-yaml', subject, sources: file.urls, error: file.error }];

    const answers: Answer[] = [{ kind: 'fetched-gating-yaml', subject, source: file.url }];
    const parsed = parseGatingYaml(file.text, file.url);
    if ('error' in parsed) {
      answers.push({ kind: 'invalid-gating-yaml', subject, details: parsed.error, source: file.url });
      return answers;
    }
    const { request } = this.input;
    for (const sub of parsed.policies) {
      // A package's policy counts under a server policy that shares a decision context with it
      // (an on-demand one: a product version), and for the decision asked.
      const belongs = policy.onDemand
        ? sub.productVersions.some((g) => policy.productVersions.some((pv) => fnmatch(pv, g)))
        : sub.decisionContexts.some((c) => policy.decisionContexts.includes(c));
      if (!belongs) continue;
      if (
        !policyApplies(
          { ...sub, onDemand: true },
          request.decisionContexts,
          request.productVersion,
          subject.type,
        )
      )
        continue;
      answers.push(...this.checkPolicy(sub));
    }
    return answers;
  }
}
