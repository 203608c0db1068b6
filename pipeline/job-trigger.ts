import type { JobSettings } from '../config/pipeline-types.js';
import { matchesAny } from './glob.js';
import type { NodeResult, NodeState } from './node-state.js';

/** What a `pipeline.node.created|updated` message says about the node and its change. */
export interface NodeEvent {
  kind: string;
  name: string;
  job: string | null;
  state: NodeState;
  result: NodeResult | null;
  previousState: NodeState | null;
  repo: string | null;
  branch: string | null;
  /** The files the change touched, when known (a push says; a poll or a run by hand does not). */
  changedFiles: readonly string[] | null;
  /** What started the run: a push (also a poll, a run by hand) or a pull request. */
  runEvent?: 'push' | 'pull_request';
}

/**
 * The jobs a node event starts. A job fires when the node *enters* the state its `on` names
 * (created in it, or moved into it), never on an update of a node already in that state, so a
 * redelivered or repeated update starts nothing twice. `on.name` matches a node's name or, for
 * a matrix node, the job that made it. Selective checks (`paths`) run a job only when a changed
 * file matches; when the changed files are unknown every job runs, as a full run is the safe side.
 */
export function jobsFiredBy(event: NodeEvent, jobs: readonly JobSettings[]): JobSettings[] {
  if (event.previousState === event.state) return [];
  return jobs.filter((job) => {
    const on = job.on;
    if (on === undefined) return false; // started by its needs (pipeline/job-needs.ts)
    if (on.kind !== event.kind || on.state !== event.state) return false;
    if (on.name !== undefined && on.name !== event.name && on.name !== event.job) return false;
    if (on.result !== undefined && on.result !== event.result) return false;
    if (job.repos.length && !matchesAny(event.repo ?? '', job.repos, false)) return false;
    if (job.branches.length && !matchesAny(event.branch ?? '', job.branches, false)) return false;
    if (job.events?.length && !job.events.includes(event.runEvent ?? 'push')) return false;
    if (
      job.paths.length &&
      event.changedFiles !== null &&
      !event.changedFiles.some((f) => matchesAny(f, job.paths, true))
    )
      return false;
    return true;
  });
}

/**
 * Whether some job could start on this node: then it finishes `available` (children may come),
 * else `done`. A job that needs this node's job starts under the node that completes its needs.
 */
export function hasListeners(
  node: { kind: string; name: string; job: string | null },
  jobs: readonly JobSettings[],
): boolean {
  return jobs.some(
    (j) =>
      (j.on !== undefined &&
        j.on.kind === node.kind &&
        (j.on.name === undefined || j.on.name === node.name || j.on.name === node.job)) ||
      (node.job !== null && j.needs.some((n) => (typeof n === 'string' ? n : n.job) === node.job)),
  );
}
