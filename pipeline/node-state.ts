import { NODE_RESULTS, NODE_STATES, type NodeResult, type NodeState } from '../config/pipeline-types.js';
import { NodeTransitionError } from '../errors/node-transition-error.js';

// The words are the settings' too (a trigger names a state and a result), so config/ holds them.
export { NODE_RESULTS, NODE_STATES, type NodeResult, type NodeState };

/** Forward only. `running → done` is a leaf job finishing or a timeout; nothing leaves `done`. */
const NEXT: Readonly<Record<NodeState, readonly NodeState[]>> = {
  running: ['available', 'done'],
  available: ['closing', 'done'],
  closing: ['done'],
  done: [],
};

export interface NodeStatus {
  id: number;
  state: NodeState;
  result: NodeResult | null;
}

export interface StatusChange {
  state?: NodeState | undefined;
  result?: NodeResult | undefined;
}

/**
 * The state and result a node has after `change`, or NodeTransitionError saying why it may not.
 * A result, once set, is final: a real `fail` is never overwritten (by `incomplete` or anything).
 */
export function applyStatusChange(
  node: NodeStatus,
  change: StatusChange,
): { state: NodeState; result: NodeResult | null } {
  if (node.state === 'done')
    throw new NodeTransitionError('NODE_DONE', `node ${node.id} is done; it cannot change any more`);
  const state = change.state ?? node.state;
  if (state !== node.state && !NEXT[node.state].includes(state)) {
    throw new NodeTransitionError(
      'NODE_TRANSITION_ILLEGAL',
      `node ${node.id}: ${node.state} → ${state} is not allowed (${node.state} may become ${NEXT[node.state].join(' or ')})`,
    );
  }
  let result = node.result;
  if (change.result !== undefined && change.result !== node.result) {
    if (node.result !== null) {
      throw new NodeTransitionError(
        'NODE_RESULT_FINAL',
        `node ${node.id} already has the result ${node.result}; it cannot become ${change.result}`,
      );
    }
    result = change.result;
  }
  if (state === 'done' && result === null)
    throw new NodeTransitionError('NODE_RESULT_REQUIRED', `node ${node.id} cannot be done without a result`);
  return { state, result };
}

/** KernelCI: a node that is closing or done takes no new children. */
export function acceptsChildren(state: NodeState): boolean {
  return state === 'running' || state === 'available';
}

export function isNodeState(value: unknown): value is NodeState {
  return typeof value === 'string' && (NODE_STATES as readonly string[]).includes(value);
}

export function isNodeResult(value: unknown): value is NodeResult {
  return typeof value === 'string' && (NODE_RESULTS as readonly string[]).includes(value);
}
