import type { Statement } from 'better-sqlite3';
import { NodeNotFoundError } from '../errors/node-not-found-error.js';
import { NodeTransitionError } from '../errors/node-transition-error.js';
import {
  acceptsChildren,
  applyStatusChange,
  type NodeResult,
  type NodeState,
} from '../pipeline/node-state.js';
import { nodeJson, type NodeArtifact, type PipelineNode } from '../pipeline/pipeline-node.js';
import type { Outbox } from './outbox.js';
import type { Db } from './open-database.js';
import { NODE_CREATED, NODE_UPDATED } from '../pipeline/node-message.js';

export interface NewNode {
  parentId?: number | null;
  kind: string;
  name: string;
  job?: string | null;
  state?: NodeState;
  /** A root names its change; a child inherits its parent's unless given. */
  repo?: string | null;
  branch?: string | null;
  revision?: string | null;
  timeoutAt?: number | null;
  holdoffAt?: number | null;
  retryCount?: number;
  retryOf?: number | null;
  /** Or made from the new node's id (a job's command may name its own node). */
  data?: Record<string, unknown> | ((id: number) => Record<string, unknown>);
  /** A retry asked for by hand may go under a parent that is already closing or done. */
  anyParentState?: boolean;
}

export interface NodeChange {
  state?: NodeState;
  result?: NodeResult;
  /** Merged into the node's data key by key. */
  data?: Record<string, unknown>;
  /** Merged into the node's artifacts by name. */
  artifacts?: Record<string, NodeArtifact>;
  holdoffAt?: number | null;
  timeoutAt?: number | null;
}

export interface NodeFilter {
  runId?: number;
  parentId?: number;
  kind?: string;
  state?: NodeState;
  repo?: string;
  branch?: string;
  rootsOnly?: boolean;
  limit: number;
  /** Only nodes with a smaller id (paging backwards from the newest). */
  beforeId?: number;
}

interface NodeRow {
  id: number;
  run_id: number;
  parent_id: number | null;
  kind: string;
  name: string;
  path: string;
  job: string | null;
  state: NodeState;
  result: NodeResult | null;
  repo: string | null;
  branch: string | null;
  revision: string | null;
  created_at: number;
  updated_at: number;
  timeout_at: number | null;
  holdoff_at: number | null;
  retry_count: number;
  retry_of: number | null;
  artifacts: string;
  data: string;
}

/**
 * Pipeline nodes in SQLite. Every create and every update goes through the state machine and
 * adds `pipeline.node.created` / `pipeline.node.updated` (with `previous_state` and
 * `previous_result`) to the outbox in the same transaction, so the message exists exactly when
 * the change does. Called inside a consumer's effect, it all commits with the message id.
 */
export class NodeStore {
  private readonly sql: {
    insert: Statement;
    setRun: Statement<[number, number]>;
    setData: Statement<[string, number]>;
    get: Statement<[number]>;
    update: Statement;
    children: Statement<[number]>;
    open: Statement<[]>;
  };
  private readonly createTx: (input: NewNode, now: number) => PipelineNode;
  private readonly updateTx: (
    id: number,
    change: NodeChange,
    now: number,
  ) => { node: PipelineNode; previous: PipelineNode };

  constructor(
    private readonly db: Db,
    private readonly outbox: Outbox,
    private readonly serverUrl: () => string,
  ) {
    this.sql = {
      insert:
        db.prepare(`INSERT INTO pipeline_nodes (run_id, parent_id, kind, name, path, job, state, result, repo, branch, revision,
          created_at, updated_at, timeout_at, holdoff_at, retry_count, retry_of, artifacts, data)
        VALUES (@runId, @parentId, @kind, @name, @path, @job, @state, NULL, @repo, @branch, @revision,
          @now, @now, @timeoutAt, @holdoffAt, @retryCount, @retryOf, '{}', @data) RETURNING id`),
      setRun: db.prepare('UPDATE pipeline_nodes SET run_id = ? WHERE id = ?'),
      setData: db.prepare('UPDATE pipeline_nodes SET data = ? WHERE id = ?'),
      get: db.prepare('SELECT * FROM pipeline_nodes WHERE id = ?'),
      update:
        db.prepare(`UPDATE pipeline_nodes SET state = @state, result = @result, updated_at = @now, timeout_at = @timeoutAt,
          holdoff_at = @holdoffAt, artifacts = @artifacts, data = @data WHERE id = @id`),
      children: db.prepare('SELECT * FROM pipeline_nodes WHERE parent_id = ? ORDER BY id'),
      open: db.prepare("SELECT * FROM pipeline_nodes WHERE state <> 'done' ORDER BY id"),
    };
    this.createTx = db.transaction((input: NewNode, now: number) => this.insert(input, now));
    this.updateTx = db.transaction((id: number, change: NodeChange, now: number) =>
      this.change(id, change, now),
    );
  }

  create(input: NewNode, now = Date.now()): PipelineNode {
    return this.createTx(input, now);
  }

  /** Applies `change` through the state machine; returns the node after and before it. */
  update(id: number, change: NodeChange, now = Date.now()): { node: PipelineNode; previous: PipelineNode } {
    return this.updateTx(id, change, now);
  }

  get(id: number): PipelineNode | undefined {
    const row = this.sql.get.get(id) as NodeRow | undefined;
    return row && toNode(row);
  }

  require(id: number): PipelineNode {
    const node = this.get(id);
    if (!node) throw new NodeNotFoundError(id);
    return node;
  }

  children(id: number): PipelineNode[] {
    return (this.sql.children.all(id) as NodeRow[]).map(toNode);
  }

  /** Every node that is not done, oldest first: what the sweeper looks at. */
  open(): PipelineNode[] {
    return (this.sql.open.all() as NodeRow[]).map(toNode);
  }

  list(filter: NodeFilter): PipelineNode[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: filter.limit };
    const eq = (column: string, key: keyof NodeFilter) => {
      if (filter[key] === undefined) return;
      where.push(`${column} = @${key}`);
      params[key] = filter[key];
    };
    eq('run_id', 'runId');
    eq('parent_id', 'parentId');
    eq('kind', 'kind');
    eq('state', 'state');
    eq('repo', 'repo');
    eq('branch', 'branch');
    if (filter.rootsOnly) where.push('parent_id IS NULL');
    if (filter.beforeId !== undefined) {
      where.push('id < @beforeId');
      params.beforeId = filter.beforeId;
    }
    // A run's nodes read best from the root down; listings of runs newest first.
    const order = filter.runId !== undefined ? 'id ASC' : 'id DESC';
    const sql = `SELECT * FROM pipeline_nodes ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT @limit`;
    return (this.db.prepare(sql).all(params) as NodeRow[]).map(toNode);
  }

  private insert(input: NewNode, now: number): PipelineNode {
    const parent = input.parentId != null ? this.require(input.parentId) : undefined;
    if (parent && !input.anyParentState && !acceptsChildren(parent.state)) {
      throw new NodeTransitionError(
        'NODE_PARENT_CLOSED',
        `node ${parent.id} is ${parent.state}; it takes no new children`,
      );
    }
    const row = this.sql.insert.get({
      runId: parent?.runId ?? 0,
      parentId: parent?.id ?? null,
      kind: input.kind,
      name: input.name,
      path: JSON.stringify([...(parent?.path ?? []), input.name]),
      job: input.job ?? null,
      state: input.state ?? 'running',
      repo: input.repo !== undefined ? input.repo : (parent?.repo ?? null),
      branch: input.branch !== undefined ? input.branch : (parent?.branch ?? null),
      revision: input.revision !== undefined ? input.revision : (parent?.revision ?? null),
      now,
      timeoutAt: input.timeoutAt ?? null,
      holdoffAt: input.holdoffAt ?? null,
      retryCount: input.retryCount ?? 0,
      retryOf: input.retryOf ?? null,
      data: typeof input.data === 'function' ? '{}' : JSON.stringify(input.data ?? {}),
    }) as { id: number };
    if (!parent) this.sql.setRun.run(row.id, row.id);
    if (typeof input.data === 'function') this.sql.setData.run(JSON.stringify(input.data(row.id)), row.id);
    const node = this.require(row.id);
    this.outbox.add(NODE_CREATED, {
      ...nodeJson(node, this.serverUrl()),
      previous_state: null,
      previous_result: null,
    });
    return node;
  }

  private change(
    id: number,
    change: NodeChange,
    now: number,
  ): { node: PipelineNode; previous: PipelineNode } {
    const previous = this.require(id);
    const status = applyStatusChange(previous, change);
    this.sql.update.run({
      id,
      state: status.state,
      result: status.result,
      now,
      timeoutAt: change.timeoutAt !== undefined ? change.timeoutAt : previous.timeoutAt,
      holdoffAt: change.holdoffAt !== undefined ? change.holdoffAt : previous.holdoffAt,
      artifacts: JSON.stringify({ ...previous.artifacts, ...change.artifacts }),
      data: JSON.stringify({ ...previous.data, ...change.data }),
    });
    const node = this.require(id);
    this.outbox.add(NODE_UPDATED, {
      ...nodeJson(node, this.serverUrl()),
      previous_state: previous.state,
      previous_result: previous.result,
    });
    return { node, previous };
  }
}

function toNode(r: NodeRow): PipelineNode {
  return {
    id: r.id,
    runId: r.run_id,
    parentId: r.parent_id,
    kind: r.kind,
    name: r.name,
    path: JSON.parse(r.path) as string[],
    job: r.job,
    state: r.state,
    result: r.result,
    repo: r.repo,
    branch: r.branch,
    revision: r.revision,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    timeoutAt: r.timeout_at,
    holdoffAt: r.holdoff_at,
    retryCount: r.retry_count,
    retryOf: r.retry_of,
    artifacts: JSON.parse(r.artifacts) as Record<string, NodeArtifact>,
    data: JSON.parse(r.data) as Record<string, unknown>,
  };
}
