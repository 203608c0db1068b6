import type { RecordedRunNodes } from '../db/recorded-run-nodes.js';
import type { ResultsStore } from '../db/results-store.js';
import type { RunReport, RunReportSource } from './run-report-source.js';

const FAILING = ['FAILED', 'ERROR'];
const PAGE = 100;

/**
 * Run reports from what this branch can see: the node messages the notifier recorded, and the
 * results store, where the pipeline files each test result with `run_id` and `node_id` data.
 * Meant to be replaced by an implementation over the pipeline's node store once both are merged
 * (the recorded nodes are then redundant). The results since the run began are read through
 * their time index and checked for the run id one by one, which stays cheap whatever the
 * store's size, because only results newer than the run are read.
 */
export class RecordedRunReportSource implements RunReportSource {
  constructor(
    private readonly nodes: RecordedRunNodes,
    private readonly results: ResultsStore,
  ) {}

  runReport(rootNodeId: number): RunReport | undefined {
    const root = this.nodes.get(rootNodeId);
    if (!root) return undefined;
    const nodes = this.nodes.run(root.run_id);
    const superseded = new Set(nodes.map((n) => n.retry_of).filter((id): id is number => typeof id === 'number'));
    const page = this.results.listResults({
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
    const failingTests = page.items
      .map((r) => {
        const node = Number(r.data.node_id?.[0]);
        return { testcase: r.testcase.name, outcome: r.outcome, note: r.note, url: r.href, nodeId: Number.isInteger(node) ? node : null };
      })
      // A test of a job that was re-run counts by its last attempt only.
      .filter((t) => t.nodeId === null || !superseded.has(t.nodeId));
    return { root, nodes, failingTests, moreFailingTests: page.hasNext };
  }
}
