import { defineTopic } from '../schemas/topic-contract.js';
import type { NodeResult, NodeState } from './node-state.js';
import type { NodeJson } from './pipeline-node.js';

/** The body of `pipeline.node.created` / `pipeline.node.updated`. */
export type NodeMessage = NodeJson & { previous_state: NodeState | null; previous_result: NodeResult | null };

export const NODE_CREATED = defineTopic<NodeMessage>()('pipeline.node.created', 'pipeline.node.json');
export const NODE_UPDATED = defineTopic<NodeMessage>()('pipeline.node.updated', 'pipeline.node.json');
