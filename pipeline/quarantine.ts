import { matchesAny } from './glob.js';
import type { ParsedTest } from './parsed-test.js';

/**
 * Quarantined test cases (names or globs, `*` matching anything): a failure or error of one is
 * kept as INFO, flagged and noted with what it was, so it is stored and seen but fails nothing.
 * A quarantined test that passed stays PASSED, flagged too, so people can see it is fixed.
 */
export function applyQuarantine(tests: readonly ParsedTest[], globs: readonly string[]): ParsedTest[] {
  if (globs.length === 0) return [...tests];
  return tests.map((t) => {
    if (!matchesAny(t.name, globs, false)) return t;
    if (t.outcome !== 'FAILED' && t.outcome !== 'ERROR') return { ...t, quarantined: true };
    const note = `quarantined; was ${t.outcome}${t.note ? `: ${t.note}` : ''}`;
    return { ...t, outcome: 'INFO', quarantined: true, note };
  });
}
