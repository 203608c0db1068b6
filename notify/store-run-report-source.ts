import type { NodeStore } from '../db/node-store.js';
import type { ResultsStore } from '../db/results-store.js';
import { nodeJson, type NodeJson } from '../pipeline/pipeline-node.js';
import type { PreviousRun, RunReport, RunReportSource } from './run-report-source.js';

const FAILING = ['FAILED', 'ERROR'];
const PAGE = 100;
/** More nodes than any run has; a report lists them all. */
const MAX_NODES = 100_000;

/**
 * Run reports from the pipeline's node store and the results store, where the pipeline files each
 * test result with `run_id` and `node_id` data. The results since the run began are read through
 * their time index and checked for the run id one by one, which stays cheap whatever the store's
 * size, because only results newer than the run are read.
 */
export class StoreRunReportSource implements RunReportSource {
  constructor(
    private readonly nodes: NodeStore,
    private readonly results: ResultsStore,
    /** Read at each use: with port 0 the URL is known only once the server listens. */
    private readonly serverUrl: () => string,
  ) {}

  node(id: number): NodeJson | undefined {
    const node = this.nodes.get(id);
    return node && nodeJson(node, this.serverUrl());
  }

  runReport(rootNodeId: number): RunReport | undefined {
    const root = this.node(rootNodeId);
    if (!root) return undefined;
    const base = this.serverUrl();
    const nodes = this.nodes.list({ runId: root.run_id, limit: MAX_NODES }).map((n) => nodeJson(n, base));
    const superseded = supersededIds(nodes);
    const page = this.failing(root);
    const failingTests = page.items
      .map((r) => {
        const node = Number(r.data.node_id?.[0]);
        return {
          testcase: r.testcase.name,
          outcome: r.outcome,
          note: r.note,
          url: r.href,
          nodeId: Number.isInteger(node) ? node : null,
        };
      })
      // A test of a job that was re-run counts by its last attempt only.
      .filter((t) => t.nodeId === null || !superseded.has(t.nodeId));
    return { root, nodes, failingTests, moreFailingTests: page.hasNext, previous: this.previous(root) };
  }

  /** The same branch's last finished run before this one (same kind of root, same namespace). */
  private previous(root: NodeJson): PreviousRun | null {
    if (root.repo === null || root.branch === null) return null;
    const before = this.nodes
      .list({ repo: root.repo, branch: root.branch, rootsOnly: true, beforeId: root.id, limit: 50 })
      .find(
        (n) =>
          n.kind === root.kind &&
          n.state === 'done' &&
          (n.data.namespace ?? null) === (root.data.namespace ?? null),
      );
    if (!before) return null;
    const base = this.serverUrl();
    const nodes = this.nodes.list({ runId: before.id, limit: MAX_NODES }).map((n) => nodeJson(n, base));
    const superseded = supersededIds(nodes);
    return {
      runId: before.id,
      failedJobs: nodes
        .filter((n) => n.parent_id !== null && n.result === 'fail' && !superseded.has(n.id))
        .map((n) => n.path.slice(1).join(' › ')),
      failingTestcases: this.failing(nodeJson(before, base)).items.map((r) => r.testcase.name),
    };
  }

  private failing(root: NodeJson) {
    return this.results.listResults({
      testcases: [],
      testcasesLike: [],
      outcomes: FAILING,
      since: { start: Date.parse(root.created) },
      groups: [],
      data: [{ key: 'run_id', like: false, values: [String(root.run_id)] }],
      sort: 'desc',
      page: 0,
      limit: PAGE,
      distinctOn: [],
    });
  }
}

function supersededIds(nodes: readonly NodeJson[]): Set<number> {
  return new Set(nodes.map((n) => n.retry_of).filter((id): id is number => typeof id === 'number'));
}
