import type { ForgeType } from '../config/forge-types.js';
import type { NodeResult } from './node-state.js';
import type { PipelineNode } from './pipeline-node.js';

/** A commit status to send, in Sluice's terms: the forge's words come from `forgeState`. */
export interface PlannedStatus {
  /** Once per node and phase, however often the change that causes it is replayed. */
  dedupKey: string;
  phase: 'pending' | 'final';
  outcome: 'pending' | NodeResult;
  context: string;
  description: string;
}

/**
 * The statuses a node's change calls for. A run's root: `pending` when it is created, its
 * verdict (the root's result) when it is done. A job: `pending` when its command starts (the
 * runner's report sets `started_at`), and its result the first time it has one (a job that
 * never started, timed out or was cancelled gets only that one).
 */
export function plannedStatuses(
  previous: PipelineNode | null,
  node: PipelineNode,
  baseContext: string,
): PlannedStatus[] {
  const out: PlannedStatus[] = [];
  const isRoot = node.parentId === null;
  if (!isRoot && node.job === null) return out;
  const context = isRoot ? baseContext : `${baseContext}/${node.name}`;
  const what = isRoot ? `run ${node.runId}` : `${node.name}`;
  const started = isRoot
    ? previous === null
    : previous !== null && previous.data.started_at === undefined && node.data.started_at !== undefined;
  const finished = isRoot
    ? node.state === 'done' && previous?.state !== 'done'
    : node.result !== null && (previous === null || previous.result === null);
  if (started && !finished)
    out.push({
      dedupKey: `${node.id}:pending`,
      phase: 'pending',
      outcome: 'pending',
      context,
      description: isRoot ? `${what} started` : `${what} is running`,
    });
  if (finished) {
    const outcome = node.result ?? 'incomplete';
    const reason = typeof node.data.reason === 'string' ? `: ${node.data.reason}` : '';
    out.push({
      dedupKey: `${node.id}:final`,
      phase: 'final',
      outcome,
      context,
      description: clip(`${what} ${OUTCOME_WORDS[outcome]}${outcome === 'pass' ? '' : reason}`),
    });
  }
  return out;
}

const OUTCOME_WORDS: Record<NodeResult, string> = {
  pass: 'passed',
  fail: 'failed',
  skip: 'was skipped',
  incomplete: 'could not finish',
};

/**
 * The forge's word for an outcome. GitHub (error, failure, pending, success) and Forgejo
 * (also warning) share theirs; GitLab's are pending, running, success, failed, canceled. A job
 * that could not finish is neither passed nor failed: `error` / `canceled`, never a success.
 */
export function forgeState(type: ForgeType, outcome: PlannedStatus['outcome']): string {
  if (type === 'gitlab')
    return { pending: 'running', pass: 'success', skip: 'success', fail: 'failed', incomplete: 'canceled' }[
      outcome
    ];
  return { pending: 'pending', pass: 'success', skip: 'success', fail: 'failure', incomplete: 'error' }[
    outcome
  ];
}

/** GitHub refuses descriptions over 140 characters. */
function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length <= 140 ? one : `${one.slice(0, 139)}…`;
}
