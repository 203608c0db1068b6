import { parseIsoTime } from '../results/parse-iso-time.js';
import type { StoredResult } from '../results/result-json.js';
import type { WaiverJson } from '../waivers/waiver-json.js';
import { resultSubjects } from './result-subjects.js';
import type { Subject } from './subject.js';
import type { SubjectTypes } from './subject-types.js';

/** A stored result or waiver as gating sees it: what may have changed, for whom, and when. */
export interface GatingEvent {
  kind: 'result' | 'waiver';
  /** The result's or waiver's id. */
  id: number;
  testcase: string;
  subjects: Subject[];
  /** A waiver's product version; null for a result (product versions are derived from the subject). */
  productVersion: string | null;
  /** Epoch ms: the result's submit_time, the waiver's timestamp. */
  at: number;
  /** A QUEUED or RUNNING result: no decision changes for it (Greenwave's OUTCOMES_INCOMPLETE). */
  incomplete: boolean;
  /**
   * Who it is from, for the decision history: a waiver's username, a result's reporting CI system
   * (`ci_name`, from a Fedora CI message's contact) when it names one. ResultsDB keeps no submitter.
   */
  by?: string | null;
}

/** `resultsdb.result.new`'s body (the result as the results API prints it) as an event. */
export function resultEvent(
  result: StoredResult,
  types: SubjectTypes,
  incompleteOutcomes: readonly string[],
): GatingEvent {
  return {
    kind: 'result',
    id: result.id,
    testcase: result.testcase.name,
    subjects: resultSubjects(result.data, types),
    productVersion: null,
    at: parseIsoTime(result.submit_time) ?? Date.now(),
    incomplete: incompleteOutcomes.includes(result.outcome),
    by: reporter(result.data),
  };
}

/** `waiverdb.waiver.new`'s body (the waiver as the waivers API prints it) as an event; revocations too. */
export function waiverEvent(waiver: WaiverJson, types: SubjectTypes): GatingEvent {
  return {
    kind: 'waiver',
    id: waiver.id,
    testcase: waiver.testcase,
    subjects: [{ type: types.resolve(waiver.subject_type), identifier: waiver.subject_identifier }],
    productVersion: waiver.product_version,
    at: parseIsoTime(waiver.timestamp) ?? Date.now(),
    incomplete: false,
    by: waiver.username,
  };
}

/** `ci_name` as stored (a list) or as another ResultsDB's message may carry it (a string). */
function reporter(data: StoredResult['data'] | undefined): string | null {
  const v: unknown = data?.ci_name;
  const name = Array.isArray(v) ? v[0] : v;
  return typeof name === 'string' && name !== '' ? name : null;
}
