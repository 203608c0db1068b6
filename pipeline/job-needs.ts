import type { JobSettings } from '../config/pipeline-types.js';
import type { NodeResult } from './node-state.js';

/** One job a job waits for, and the results of it that let the waiting job run. */
export interface Need {
  job: string;
  accepts: readonly NodeResult[];
}

/** What the needs check reads of a run's node. */
export interface RunNode {
  id: number;
  job: string | null;
  result: NodeResult | null;
  retryOf: number | null;
}

export type NeedsState =
  | { kind: 'wait'; waitingFor: string[] }
  | { kind: 'start'; key: string; inputs: Record<string, number[]> }
  | { kind: 'skip'; key: string; reason: string };

export function needsOf(job: Pick<JobSettings, 'needs'>): Need[] {
  return job.needs.map((n) =>
    typeof n === 'string'
      ? { job: n, accepts: ['pass'] }
      : {
          job: n.job,
          accepts: n.result === undefined ? ['pass'] : Array.isArray(n.result) ? n.result : [n.result],
        },
  );
}

/**
 * A job's nodes that count in a run: the last attempt of each (a node another node re-runs is
 * superseded). A retry queued when its attempt failed exists before that failure is announced,
 * so a needed job being retried reads as still going.
 */
export function currentNodes<N extends RunNode>(nodes: readonly N[], job: string): N[] {
  const superseded = new Set(nodes.map((n) => n.retryOf).filter((id): id is number => id !== null));
  return nodes.filter((n) => n.job === job && !superseded.has(n.id));
}

/**
 * Whether a job with `needs` may start in a run. It waits while a needed job has no node yet or
 * one still without a result; then it starts, or is skipped when a needed result is not one it
 * accepts. The key names the exact attempts it was decided on: the same key decided twice (a
 * redelivered message, two needed jobs ending at once) is one decision, and a needed job re-run
 * later makes a new key, so the waiting job runs again on the new attempt.
 */
export function needsState(job: Pick<JobSettings, 'needs'>, nodes: readonly RunNode[]): NeedsState {
  const waitingFor: string[] = [];
  const refused: string[] = [];
  const inputs: Record<string, number[]> = {};
  for (const need of needsOf(job)) {
    const current = currentNodes(nodes, need.job);
    if (current.length === 0 || current.some((n) => n.result === null)) {
      waitingFor.push(need.job);
      continue;
    }
    inputs[need.job] = current.map((n) => n.id).sort((a, b) => a - b);
    for (const n of current)
      if (!need.accepts.includes(n.result!))
        refused.push(
          `needed job ${need.job} (node ${n.id}) ended ${n.result}, not ${need.accepts.join(' or ')}`,
        );
  }
  if (waitingFor.length) return { kind: 'wait', waitingFor };
  const key = Object.entries(inputs)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([j, ids]) => `${j}:${ids.join(',')}`)
    .join(';');
  return refused.length ? { kind: 'skip', key, reason: refused.join('; ') } : { kind: 'start', key, inputs };
}

/** Each cycle in the jobs' `needs`, as the names around it (`a → b → a`). */
export function needsCycles(jobs: ReadonlyArray<Pick<JobSettings, 'name' | 'needs'>>): string[][] {
  const edges = new Map(jobs.map((j) => [j.name, needsOf(j).map((n) => n.job)]));
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'open') {
      cycles.push([...stack.slice(stack.indexOf(name)), name]);
      return;
    }
    state.set(name, 'open');
    stack.push(name);
    for (const next of edges.get(name) ?? []) if (edges.has(next)) visit(next);
    stack.pop();
    state.set(name, 'done');
  };
  for (const j of jobs) visit(j.name);
  return cycles;
}
