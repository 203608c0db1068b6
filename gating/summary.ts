import { isGatingFileAnswer, isSatisfied, isTestAnswer, type Answer } from './answers.js';

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * The decision's one-line summary, as Greenwave words it: problems with gating files first
 * ("1 error due to missing remote rule file"), then the tests: "No tests are required", "All
 * required tests (N total) have passed or been waived", or "Of N required tests, " followed by
 * the non-zero counts of missing results, errored, failed and incomplete tests.
 */
export function summarize(answers: readonly Answer[]): string {
  const parts: string[] = [];
  const fileErrors = answers.filter(isGatingFileAnswer);
  const count = (kind: Answer['kind']) => fileErrors.filter((a) => a.kind === kind).length;
  const missingFiles = count('missing-gating-yaml');
  const invalidFiles = count('invalid-gating-yaml');
  const failedFetches = count('failed-fetch-gating-yaml');
  if (missingFiles) parts.push(`${plural(missingFiles, 'error', 'errors')} due to missing remote rule file`);
  if (invalidFiles) parts.push(`${plural(invalidFiles, 'error', 'errors')} due to invalid remote rule file`);
  if (failedFetches)
    parts.push(`${plural(failedFetches, 'error', 'errors')} due to failed fetch of remote rule file`);

  const tests = answers.filter(isTestAnswer);
  if (tests.length === 0) return parts.length ? parts.join('. ') : 'No tests are required';
  const unsatisfied = tests.filter((a) => !isSatisfied(a));
  if (unsatisfied.length === 0) {
    parts.push(`All required tests (${tests.length} total) have passed or been waived`);
  } else {
    const n = (kind: Answer['kind']) => unsatisfied.filter((a) => a.kind === kind).length;
    const counts = [
      [n('missing'), 'result missing', 'results missing'],
      [n('errored'), 'test errored', 'tests errored'],
      [n('failed'), 'test failed', 'tests failed'],
      [n('incomplete'), 'test incomplete', 'tests incomplete'],
    ] as const;
    const said = counts.filter(([c]) => c > 0).map(([c, one, many]) => plural(c, one, many));
    parts.push(`Of ${plural(tests.length, 'required test', 'required tests')}, ${said.join(', ')}`);
  }
  return parts.join('. ');
}
