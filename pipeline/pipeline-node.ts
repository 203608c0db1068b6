import type { NodeResult, NodeState } from './node-state.js';

/** A stored file a node produced: its path under the node is the name. */
export interface NodeArtifact {
  size: number;
  sha256: string;
}

/** One node of a run's tree, as the store holds it (times are epoch milliseconds). */
export interface PipelineNode {
  id: number;
  /** The root node's id; a root is its own run. */
  runId: number;
  parentId: number | null;
  kind: string;
  name: string;
  /** Names from the root down to this node. */
  path: string[];
  /** The configured job that runs for this node; null for roots (checkouts, schedules). */
  job: string | null;
  state: NodeState;
  result: NodeResult | null;
  repo: string | null;
  branch: string | null;
  revision: string | null;
  createdAt: number;
  updatedAt: number;
  timeoutAt: number | null;
  holdoffAt: number | null;
  retryCount: number;
  retryOf: number | null;
  artifacts: Record<string, NodeArtifact>;
  data: Record<string, unknown>;
}

/** A node as the API returns it and `pipeline.node.*` messages carry it (KernelCI's field names). */
export interface NodeJson {
  id: number;
  run_id: number;
  parent_id: number | null;
  kind: string;
  name: string;
  path: string[];
  job: string | null;
  state: NodeState;
  result: NodeResult | null;
  repo: string | null;
  branch: string | null;
  revision: string | null;
  created: string;
  updated: string;
  timeout: string | null;
  holdoff: string | null;
  retry_count: number;
  retry_of: number | null;
  artifacts: Record<string, NodeArtifact & { url: string }>;
  data: Record<string, unknown>;
  href: string;
}

export const PIPELINE_API = '/api/v1';

export function nodeJson(node: PipelineNode, serverUrl: string): NodeJson {
  const href = `${serverUrl}${PIPELINE_API}/nodes/${node.id}`;
  return {
    id: node.id,
    run_id: node.runId,
    parent_id: node.parentId,
    kind: node.kind,
    name: node.name,
    path: node.path,
    job: node.job,
    state: node.state,
    result: node.result,
    repo: node.repo,
    branch: node.branch,
    revision: node.revision,
    created: iso(node.createdAt),
    updated: iso(node.updatedAt),
    timeout: node.timeoutAt === null ? null : iso(node.timeoutAt),
    holdoff: node.holdoffAt === null ? null : iso(node.holdoffAt),
    retry_count: node.retryCount,
    retry_of: node.retryOf,
    artifacts: Object.fromEntries(
      Object.entries(node.artifacts).map(([name, a]) => [
        name,
        { ...a, url: `${href}/artifacts/${name.split('/').map(encodeURIComponent).join('/')}` },
      ]),
    ),
    data: node.data,
    href,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
