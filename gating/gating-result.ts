import type { StoredResult } from '../results/result-json.js';

/** Result data keys that make two results of one testcase different requirements (Greenwave's DISTINCT_LATEST_RESULTS_ON). */
export const DISTINCT_ON = ['scenario', 'system_architecture', 'system_variant'] as const;

/** What a decision needs of a result: far less than the full ResultsDB JSON, so that the fast path stays small. */
export interface GatingResult {
  id: number;
  testcase: string;
  outcome: string;
  /** Epoch ms. */
  submitTime: number;
  /** First values of the data keys, as Greenwave copies them into requirements. */
  scenario: string | null;
  systemArchitecture: string | null;
  systemVariant: string | null;
  errorReason: string | null;
  /** testcase × all values of scenario / arch / variant: one requirement per distinct key. */
  distinctKey: string;
}

/** A data value list as one comparable string; absent ('') differs from any list. */
export function valuesKey(values: readonly string[] | undefined): string {
  return values ? JSON.stringify(values) : '';
}

/**
 * The distinct key of a result: its testcase and the valuesKey of each DISTINCT_ON key, joined
 * by U+0001 (which SQLite, building the same key in the latest-result table, handles as text).
 */
export function distinctKeyOf(
  testcase: string,
  scenarioKey: string,
  archKey: string,
  variantKey: string,
): string {
  return `${testcase}\u0001${scenarioKey}\u0001${archKey}\u0001${variantKey}`;
}

export function distinctKey(testcase: string, data: Record<string, readonly string[] | undefined>): string {
  const [s, a, v] = DISTINCT_ON.map((k) => valuesKey(data[k]));
  return distinctKeyOf(testcase, s!, a!, v!);
}

export function fromStoredResult(r: StoredResult): GatingResult {
  const first = (k: string) => r.data[k]?.[0] ?? null;
  return {
    id: r.id,
    testcase: r.testcase.name,
    outcome: r.outcome,
    submitTime: Date.parse(`${r.submit_time}Z`),
    scenario: first('scenario'),
    systemArchitecture: first('system_architecture'),
    systemVariant: first('system_variant'),
    errorReason: first('error_reason'),
    distinctKey: distinctKey(r.testcase.name, r.data),
  };
}

/** Newer first: later submit time, then the later id (ResultsDB's order). */
export function newerFirst(a: GatingResult, b: GatingResult): number {
  return b.submitTime - a.submitTime || b.id - a.id;
}

/**
 * The newest result per testcase × scenario × architecture × variant, newest first. Idempotent,
 * so already-reduced input (the fast path) passes through unchanged.
 */
export function latestPerKey(results: readonly GatingResult[]): GatingResult[] {
  const best = new Map<string, GatingResult>();
  for (const r of results) {
    const seen = best.get(r.distinctKey);
    if (!seen || newerFirst(r, seen) < 0) best.set(r.distinctKey, r);
  }
  return [...best.values()].sort(newerFirst);
}
