import type { NodeMessage } from '../pipeline/node-message.js';
import type { NodeJson } from '../pipeline/pipeline-node.js';
import { NODE_CREATED, NODE_UPDATED } from '../pipeline/node-message.js';

/** A `pipeline.node.created` / `pipeline.node.updated` body, as the pipeline publishes it. */
export type NodeEvent = NodeMessage;

export const NODE_TOPICS = [NODE_CREATED.name, NODE_UPDATED.name] as const;

/** The node's log, where the pipeline serves it. */
export function logUrl(node: NodeJson): string | null {
  return node.href ? `${node.href}/log` : null;
}

/** A short revision for subjects and tables (the full one stays in the body). */
export function shortRevision(revision: string | null | undefined): string {
  if (!revision) return '(no revision)';
  return /^[0-9a-f]{13,}$/i.test(revision) ? revision.slice(0, 12) : revision;
}

/** `repo/branch` as people name a change's place, from the run's root. */
export function repoBranch(node: Pick<NodeJson, 'repo' | 'branch' | 'name'>): string {
  if (!node.repo) return node.name;
  return node.branch ? `${node.repo}/${node.branch}` : node.repo;
}
