import type { GatingResult } from './gating-result.js';
import type { Policy } from './policy.js';
import { subjectDict, type Subject } from './subject.js';
import type { Requirement } from './requirement.js';

/**
 * What evaluating one rule for one subject found (Greenwave's Answer classes). Satisfied ones
 * go to `satisfied_requirements`, the others to `unsatisfied_requirements`.
 */
export type Answer =
  | { kind: 'passed'; subject: Subject; testcase: string; source: string | null; result: GatingResult }
  | { kind: 'missing'; subject: Subject; testcase: string; scenario: string | null; source: string | null }
  | {
      kind: 'incomplete' | 'failed' | 'errored';
      subject: Subject;
      testcase: string;
      source: string | null;
      result: GatingResult;
    }
  | { kind: 'waived'; of: WaivableAnswer; waiverId: number }
  | { kind: 'invalid-gating-yaml'; subject: Subject; details: string; source: string }
  | { kind: 'missing-gating-yaml'; subject: Subject; sources: string[] }
  | { kind: 'failed-fetch-gating-yaml'; subject: Subject; sources: string[]; error: string }
  | { kind: 'fetched-gating-yaml'; subject: Subject; source: string }
  | { kind: 'excluded'; subject: Subject; policy: Policy };

export type WaivableAnswer = Extract<Answer, { kind: 'missing' | 'incomplete' | 'failed' | 'errored' }>;
export type GatingFileAnswer = Extract<
  Answer,
  { kind: 'invalid-gating-yaml' | 'missing-gating-yaml' | 'failed-fetch-gating-yaml' }
>;

export type SatisfiedAnswer = Extract<
  Answer,
  { kind: 'passed' | 'waived' | 'fetched-gating-yaml' | 'excluded' }
>;

export function isSatisfied(a: Answer): a is SatisfiedAnswer {
  return (
    a.kind === 'passed' || a.kind === 'waived' || a.kind === 'fetched-gating-yaml' || a.kind === 'excluded'
  );
}

/** Answers that count as required tests in the summary; gating-file answers are counted apart. */
export function isTestAnswer(a: Answer): boolean {
  return a.kind !== 'fetched-gating-yaml' && !isGatingFileAnswer(a);
}

export function isGatingFileAnswer(a: Answer): a is GatingFileAnswer {
  return (
    a.kind === 'invalid-gating-yaml' ||
    a.kind === 'missing-gating-yaml' ||
    a.kind === 'failed-fetch-gating-yaml'
  );
}

/** The testcase a waiver must name to waive this answer (gating-file problems have fixed names, as in Greenwave). */
export function answerTestcase(a: WaivableAnswer | GatingFileAnswer): string {
  return 'testcase' in a ? a.testcase : a.kind;
}

/** The scenario a waiver with a scenario must name: the rule's for a missing result, the result's otherwise. */
export function answerScenario(a: WaivableAnswer | GatingFileAnswer): string | null {
  if (a.kind === 'missing') return a.scenario;
  return 'result' in a ? a.result.scenario : null;
}

/** A requirement as the decision API prints it (Greenwave's Answer.to_json, field for field). */
export function answerJson(a: Answer): Requirement {
  switch (a.kind) {
    case 'passed':
      return {
        type: 'test-result-passed',
        ...head(a.subject, a.testcase),
        source: a.source,
        result_id: a.result.id,
        ...resultData(a.result),
      };
    case 'missing':
      return {
        type: 'test-result-missing',
        ...head(a.subject, a.testcase),
        scenario: a.scenario,
        source: a.source,
        item: subjectDict(a.subject),
      };
    case 'incomplete':
    case 'failed':
      // An incomplete result (QUEUED, RUNNING) keeps the type of a missing one, as Greenwave does for old clients.
      return {
        type: a.kind === 'failed' ? 'test-result-failed' : 'test-result-missing',
        ...head(a.subject, a.testcase),
        source: a.source,
        result_id: a.result.id,
        item: subjectDict(a.subject),
        ...resultData(a.result),
      };
    case 'errored':
      return {
        type: 'test-result-errored',
        ...head(a.subject, a.testcase),
        source: a.source,
        result_id: a.result.id,
        error_reason: a.result.errorReason,
        item: subjectDict(a.subject),
        ...resultData(a.result),
      };
    case 'waived': {
      const json = answerJson(a.of);
      delete json.item;
      return { ...json, type: `${json.type as string}-waived`, waiver_id: a.waiverId };
    }
    case 'invalid-gating-yaml':
      return {
        type: a.kind,
        ...head(a.subject, 'invalid-gating-yaml'),
        scenario: null,
        source: a.source,
        details: a.details,
      };
    case 'missing-gating-yaml':
      return { type: a.kind, ...head(a.subject, 'missing-gating-yaml'), scenario: null, sources: a.sources };
    case 'failed-fetch-gating-yaml':
      return {
        type: a.kind,
        ...head(a.subject, 'failed-fetch-gating-yaml'),
        scenario: null,
        sources: a.sources,
        error: a.error,
      };
    case 'fetched-gating-yaml':
      return { type: a.kind, ...head(a.subject, 'fetched-gating-yaml'), source: a.source };
    case 'excluded':
      // A gating.yaml policy may have no id; Greenwave prints null then.
      return {
        type: 'excluded',
        subject_identifier: a.subject.identifier,
        policy: a.policy.id || null,
        source: a.policy.source,
      };
  }
}

function head(subject: Subject, testcase: string) {
  return { testcase, subject_type: subject.type.id, subject_identifier: subject.identifier };
}

function resultData(r: GatingResult) {
  return { scenario: r.scenario, system_architecture: r.systemArchitecture, system_variant: r.systemVariant };
}
