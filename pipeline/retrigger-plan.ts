import type { JobSettings } from '../config/pipeline-types.js';

/** A required result to run again: its test case, its subject, and the result, when there is one. */
export interface RetriggerTarget {
  testcase: string;
  type: string;
  item: string;
  resultId: number | null;
}

/** A decision's requirement, as Greenwave prints it (gating/requirement.ts). */
interface RequirementLike {
  type: string;
  testcase?: string;
  subject_type?: string;
  subject_identifier?: string;
  result_id?: number | null;
}

/**
 * The requirements to re-run: the unsatisfied ones (a failed, errored, missing or incomplete
 * result), or every one with `all`; waived, excluded and passed ones only with `all`, and only
 * those that name a test case and a subject (a rule that cannot run has no job behind it).
 */
export function retriggerTargets(
  decision: { satisfied_requirements?: RequirementLike[]; unsatisfied_requirements: RequirementLike[] },
  all: boolean,
): RetriggerTarget[] {
  const reqs = [
    ...decision.unsatisfied_requirements,
    ...(all ? (decision.satisfied_requirements ?? []) : []),
  ];
  const seen = new Set<string>();
  const out: RetriggerTarget[] = [];
  for (const r of reqs) {
    if (!r.testcase || !r.subject_identifier || !r.subject_type) continue;
    if (r.type === 'invalid-gating-yaml' || r.type === 'failed-fetch-gating-yaml') continue;
    const key = `${r.subject_type}\u0000${r.subject_identifier}\u0000${r.testcase}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      testcase: r.testcase,
      type: r.subject_type,
      item: r.subject_identifier,
      resultId: typeof r.result_id === 'number' ? r.result_id : null,
    });
  }
  return out;
}

/**
 * The configured job whose results a test case is: its stage result
 * (`namespace.type.category`) or one of its parsed tests (`namespace.type.NAME`).
 */
export function jobOfTestcase(jobs: readonly JobSettings[], testcase: string): JobSettings | undefined {
  return jobs.find((j) => {
    const prefix = `${j.ci.namespace}.${j.ci.type ?? j.name}`;
    return testcase === `${prefix}.${j.ci.category}` || testcase.startsWith(`${prefix}.`);
  });
}

/** The node a stored result came from: the pipeline files `node_id`; a CI stage result links the node. */
export function nodeIdOfResult(result: {
  data: Record<string, string[]>;
  ref_url: string | null;
}): number | null {
  const fromData = Number(result.data.node_id?.[0]);
  if (Number.isInteger(fromData) && fromData > 0) return fromData;
  const m = /\/api\/v1\/nodes\/(\d+)$/.exec(result.ref_url ?? '');
  return m ? Number(m[1]) : null;
}
