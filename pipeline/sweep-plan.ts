import type { NodeResult, NodeState } from './node-state.js';

/** What the sweeper needs of a node that is not done. */
export interface SweepNode {
  id: number;
  parentId: number | null;
  depth: number;
  job: string | null;
  state: Exclude<NodeState, 'done'>;
  result: NodeResult | null;
  timeoutAt: number | null;
  holdoffAt: number | null;
}

export type SweepReason = 'timeout' | 'ancestor-timeout' | 'holdoff' | 'children-done';

export interface SweepAction {
  id: number;
  state: 'closing' | 'done';
  /** Set only when the node had none: a result already there (a real fail) stays. */
  result?: NodeResult;
  reason: SweepReason;
  /** Its job may still be running somewhere and must be killed. */
  cancelJob: boolean;
}

/**
 * KernelCI's timeout service as a pure function of the open nodes and the time:
 * - a node past its timeout becomes done, and so does every open node under it; one without a
 *   result gets `incomplete`, and a job still running is to be killed;
 * - an available node past its holdoff becomes closing while it has open children, done when
 *   it has none; a closing node whose children are all done becomes done.
 * Deeper nodes are decided first, so a leaf that finishes in this sweep lets its parent close.
 */
export function planSweep(open: readonly SweepNode[], now: number): SweepAction[] {
  const byParent = new Map<number, SweepNode[]>();
  for (const n of open) {
    if (n.parentId === null) continue;
    const list = byParent.get(n.parentId) ?? [];
    list.push(n);
    byParent.set(n.parentId, list);
  }
  const actions = new Map<number, SweepAction>();
  const finish = (n: SweepNode, reason: SweepReason) => {
    if (actions.get(n.id)?.state === 'done') return;
    actions.set(n.id, {
      id: n.id,
      state: 'done',
      ...(n.result === null ? { result: 'incomplete' as const } : {}),
      reason,
      cancelJob: n.state === 'running' && n.job !== null,
    });
    for (const child of byParent.get(n.id) ?? []) finish(child, 'ancestor-timeout');
  };
  for (const n of open) {
    if (n.timeoutAt !== null && n.timeoutAt <= now) finish(n, 'timeout');
  }
  const stillOpen = (n: SweepNode) => actions.get(n.id)?.state !== 'done';
  const deepestFirst = [...open].sort((a, b) => b.depth - a.depth || a.id - b.id);
  for (const n of deepestFirst) {
    if (!stillOpen(n)) continue;
    const openChildren = (byParent.get(n.id) ?? []).some(stillOpen);
    if (n.state === 'available' && n.holdoffAt !== null && n.holdoffAt <= now) {
      actions.set(
        n.id,
        openChildren
          ? { id: n.id, state: 'closing', reason: 'holdoff', cancelJob: false }
          : done(n, 'holdoff'),
      );
    } else if (n.state === 'closing' && !openChildren) {
      actions.set(n.id, done(n, 'children-done'));
    }
  }
  return [...actions.values()].sort((a, b) => a.id - b.id);
}

function done(n: SweepNode, reason: SweepReason): SweepAction {
  return {
    id: n.id,
    state: 'done',
    ...(n.result === null ? { result: 'incomplete' as const } : {}),
    reason,
    cancelJob: false,
  };
}
