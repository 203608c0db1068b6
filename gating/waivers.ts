import { parseIsoTime } from '../results/parse-iso-time.js';
import { answerScenario, answerTestcase, type GatingFileAnswer, type WaivableAnswer } from './answers.js';
import { SubjectTypes } from './subject-types.js';
import type { Subject } from './subject.js';

/** A waiver as WaiverDB's API returns it; only the fields decisions read are required. */
export interface WaiverJson {
  id: number;
  subject_type: string;
  subject_identifier: string;
  testcase: string;
  scenario?: string | null;
  product_version: string;
  waived: boolean;
  /** Naive UTC, as WaiverDB prints it. */
  timestamp: string;
  comment?: string;
  username?: string;
  proxied_by?: string | null;
}

/** Where decisions read waivers from (the waivers store; an in-memory one in tests). */
export interface WaiverSource {
  /** Every waiver of these subjects (revocations included), id ascending; `before` is epoch ms, inclusive. */
  forSubjects(
    subjects: Array<{ type: string; identifier: string }>,
    options: { productVersions?: string[]; before?: number },
  ): WaiverJson[];
}

export interface WaiverScope {
  subjects: readonly Subject[];
  productVersion: string;
  /** Epoch ms, inclusive; null = now. */
  when: number | null;
  ignore: ReadonlySet<number>;
}

/**
 * The waivers that count, newest first. As WaiverDB's /waivers/+filtered and Greenwave do it:
 * per subject × testcase × scenario × user × product version only the newest waiver stands
 * (so `waived: false` from the same user revokes the earlier waiver), revoking ones are
 * dropped, then the ids the request says to ignore (which does not bring an older one back).
 */
export function activeWaivers(waivers: readonly WaiverJson[], scope: WaiverScope): WaiverJson[] {
  const newest = new Map<string, { w: WaiverJson; t: number }>();
  for (const w of waivers) {
    if (w.product_version !== scope.productVersion) continue;
    if (!scope.subjects.some((s) => sameSubject(w, s))) continue;
    const t = parseIsoTime(w.timestamp) ?? 0;
    if (scope.when !== null && t > scope.when) continue;
    const key = [w.subject_type, w.subject_identifier, w.testcase, w.scenario ?? '', w.username ?? ''].join(
      '\u0000',
    );
    const seen = newest.get(key);
    if (!seen || t > seen.t || (t === seen.t && w.id > seen.w.id)) newest.set(key, { w, t });
  }
  return [...newest.values()]
    .filter(({ w }) => w.waived && !scope.ignore.has(w.id))
    .sort((a, b) => b.t - a.t || b.w.id - a.w.id)
    .map(({ w }) => w);
}

/** The first (newest) waiver covering this answer: same subject and testcase; no scenario = every scenario. */
export function findWaiver(
  answer: WaivableAnswer | GatingFileAnswer,
  waivers: readonly WaiverJson[],
): WaiverJson | undefined {
  const testcase = answerTestcase(answer);
  const scenario = answerScenario(answer);
  return waivers.find(
    (w) =>
      sameSubject(w, answer.subject) && w.testcase === testcase && (!w.scenario || w.scenario === scenario),
  );
}

/** WaiverDB files brew-build waivers as koji_build; either name matches the subject's type. */
function sameSubject(w: WaiverJson, s: Subject): boolean {
  return w.subject_identifier === s.identifier && SubjectTypes.matches(s.type, w.subject_type);
}
