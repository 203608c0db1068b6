/**
 * The fields of a `pipeline.node.created` / `pipeline.node.updated` body (KernelCI's node, with
 * the state and result before the change) that notifications read. The pipeline owns the full
 * shape and its schema; this is only what mails need, so it stays valid as the node grows.
 */
export interface NodeEvent {
  id: number;
  run_id: number;
  retry_count?: number;
  parent_id: number | null;
  kind: string;
  name: string;
  path: string[];
  job?: string | null;
  state: 'running' | 'available' | 'closing' | 'done';
  result: 'pass' | 'fail' | 'skip' | 'incomplete' | null;
  previous_state: NodeEvent['state'] | null;
  previous_result: NodeEvent['result'];
  repo?: string | null;
  branch?: string | null;
  revision?: string | null;
  created: string;
  updated: string;
  retry_of?: number | null;
  artifacts?: Record<string, { size?: number; url?: string }>;
  data?: Record<string, unknown>;
  /** The node in the API; its log is `<href>/log`. */
  href?: string;
}

export const NODE_TOPICS = ['pipeline.node.created', 'pipeline.node.updated'] as const;

/** The node's log, where the pipeline serves it. */
export function logUrl(node: NodeEvent): string | null {
  return node.href ? `${node.href}/log` : null;
}

/** A short revision for subjects and tables (the full one stays in the body). */
export function shortRevision(revision: string | null | undefined): string {
  if (!revision) return '(no revision)';
  return /^[0-9a-f]{13,}$/i.test(revision) ? revision.slice(0, 12) : revision;
}

/** `repo/branch` as people name a change's place, from the run's root. */
export function repoBranch(node: Pick<NodeEvent, 'repo' | 'branch' | 'name'>): string {
  if (!node.repo) return node.name;
  return node.branch ? `${node.repo}/${node.branch}` : node.repo;
}
