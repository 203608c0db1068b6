import type { NodeResult } from './node-state.js';

/** What the verdict reads of a run's node. */
export interface VerdictNode {
  id: number;
  parentId: number | null;
  name: string;
  job: string | null;
  result: NodeResult | null;
  retryOf: number | null;
  /** false for a non-voting job (`voting: false`): it never decides the verdict. */
  voting: boolean;
}

export interface RunVerdict {
  result: NodeResult;
  reason: string | null;
}

/**
 * A run's verdict, the result its root ends with: `fail` when a voting job failed, `incomplete`
 * when one could not finish (or has no result when the run ends), `pass` otherwise. Each job
 * counts by its last attempt, so a job that passed when re-run does not fail the run; skipped
 * jobs and non-voting jobs do not count.
 */
export function runVerdict(nodes: readonly VerdictNode[]): RunVerdict {
  const superseded = new Set(nodes.map((n) => n.retryOf).filter((id): id is number => id !== null));
  const voting = nodes.filter(
    (n) => n.parentId !== null && n.job !== null && n.voting && !superseded.has(n.id),
  );
  const failed = voting.filter((n) => n.result === 'fail');
  if (failed.length) return { result: 'fail', reason: `failed: ${names(failed)}` };
  const unfinished = voting.filter((n) => n.result === null || n.result === 'incomplete');
  if (unfinished.length) return { result: 'incomplete', reason: `did not finish: ${names(unfinished)}` };
  return { result: 'pass', reason: null };
}

function names(nodes: readonly VerdictNode[]): string {
  const shown = nodes.slice(0, 10).map((n) => `${n.name} (node ${n.id})`);
  return `${shown.join(', ')}${nodes.length > 10 ? `, and ${nodes.length - 10} more` : ''}`;
}
