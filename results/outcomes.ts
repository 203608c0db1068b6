/** ResultsDB's own outcomes; every deployment accepts these. */
export const PRESET_OUTCOMES = ['PASSED', 'INFO', 'FAILED', 'NEEDS_INSPECTION'] as const;

/** The outcomes a deployment accepts: the preset ones, then the configured additional ones. */
export function knownOutcomes(additional: readonly string[]): string[] {
  return [...new Set([...PRESET_OUTCOMES, ...additional])];
}

/**
 * An outcome as ResultsDB reads it: trimmed and upper-cased, so that "passed " is PASSED.
 * Undefined when it is not one of `known`.
 */
export function normalizeOutcome(raw: string, known: readonly string[]): string | undefined {
  const outcome = raw.trim().toUpperCase();
  return known.includes(outcome) ? outcome : undefined;
}
