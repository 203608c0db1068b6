import type { NodeResult, NodeState } from './node-state.js';
import type { NodeJson } from './pipeline-node.js';

/** The body of `pipeline.node.created` / `pipeline.node.updated`. */
export type NodeMessage = NodeJson & { previous_state: NodeState | null; previous_result: NodeResult | null };
