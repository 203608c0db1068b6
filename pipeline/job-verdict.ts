import type { ResultsParser } from '../config/pipeline-types.js';
import type { NodeResult } from './node-state.js';
import type { ParsedTest } from './parsed-test.js';

/** The files each parser reads when the job names none. */
export const DEFAULT_RESULT_FILES: Readonly<Record<ResultsParser, readonly string[]>> = {
  'exit-code': [],
  junit: ['**/junit*.xml', '**/TEST-*.xml'],
  sti: ['artifacts/results.yml', 'results.yml', 'artifacts/test.log', 'test.log'],
};

/**
 * A finished command's result: a non-zero exit fails it whatever the files say; otherwise the
 * parsed tests decide (any FAILED or ERROR fails it). A parser that found nothing to read makes
 * the job incomplete, as nobody can tell whether it passed.
 */
export function jobVerdict(
  parser: ResultsParser,
  exitCode: number,
  tests: readonly ParsedTest[] | undefined,
): { result: NodeResult; reason: string | null } {
  if (exitCode !== 0) return { result: 'fail', reason: `the command exited with ${exitCode}` };
  if (parser === 'exit-code') return { result: 'pass', reason: null };
  if (tests === undefined || tests.length === 0)
    return { result: 'incomplete', reason: `the ${parser} parser found no results to read` };
  const bad = tests.filter((t) => t.outcome === 'FAILED' || t.outcome === 'ERROR');
  if (bad.length)
    return {
      result: 'fail',
      reason: `${bad.length} of ${tests.length} tests did not pass: ${bad
        .slice(0, 5)
        .map((t) => t.name)
        .join(', ')}${bad.length > 5 ? ', …' : ''}`,
    };
  return { result: 'pass', reason: null };
}
