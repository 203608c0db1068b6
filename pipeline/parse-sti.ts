import { ResultsParseError } from '../errors/results-parse-error.js';
import { parseYamlBounded, YAML_LIMITS, type YamlLimits } from '../gating/bounded-yaml.js';
import type { ParsedTest } from './parsed-test.js';

const OUTCOMES: Readonly<Record<string, ParsedTest['outcome']>> = {
  pass: 'PASSED',
  fail: 'FAILED',
  error: 'ERROR',
};

/** A large suite's results.yml runs to thousands of entries; read in the runner, not per request. */
const STI_LIMITS: YamlLimits = { ...YAML_LIMITS, maxBytes: 1024 * 1024, maxNodes: 200_000, maxAliases: 1000 };

/**
 * The Standard Test Interface's results.yml: `results: [{test, result: pass|fail|error, logs}]`.
 */
export function parseStiResults(file: string, text: string): ParsedTest[] {
  let doc: unknown;
  try {
    // A test writes this file: read it as any YAML from outside is read (gating/bounded-yaml).
    const [first] = parseYamlBounded(text, {}, STI_LIMITS).documents;
    if (first?.errors[0]) throw first.errors[0];
    // Expansion is already bounded by STI_LIMITS; toJS's own alias check would refuse a file within them.
    doc = first?.toJS({ maxAliasCount: -1 });
  } catch (err) {
    throw new ResultsParseError(file, `not YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const results = (doc as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) throw new ResultsParseError(file, 'has no "results" list');
  return results.map((r: unknown, i) => {
    const entry = r as { test?: unknown; result?: unknown; logs?: unknown };
    if (typeof entry?.test !== 'string' || entry.test === '')
      throw new ResultsParseError(file, `results[${i}].test: is required`);
    const outcome = typeof entry.result === 'string' ? OUTCOMES[entry.result.toLowerCase()] : undefined;
    if (!outcome)
      throw new ResultsParseError(
        file,
        `results[${i}].result: must be pass, fail or error (got ${JSON.stringify(entry.result)})`,
      );
    const logs = Array.isArray(entry.logs)
      ? entry.logs.filter((l): l is string => typeof l === 'string')
      : [];
    return { name: entry.test, outcome, ...(logs.length ? { note: `logs: ${logs.join(', ')}` } : {}) };
  });
}

/** The STI's older test.log: lines `PASS name`, `FAIL name`, `ERROR name`; other lines are output. */
export function parseStiTestLog(file: string, text: string): ParsedTest[] {
  const out: ParsedTest[] = [];
  for (const line of text.split('\n')) {
    const m = /^(PASS|FAIL|ERROR)\b[:\s]+(\S.*?)\s*$/.exec(line);
    if (m) out.push({ name: m[2]!, outcome: OUTCOMES[m[1]!.toLowerCase()]! });
  }
  if (out.length === 0) throw new ResultsParseError(file, 'has no PASS, FAIL or ERROR lines');
  return out;
}
