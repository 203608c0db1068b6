import type { NodeJson } from '../pipeline/pipeline-node.js';

export interface FailingTest {
  testcase: string;
  outcome: string;
  note: string | null;
  /** The result in the results API. */
  url: string | null;
  nodeId: number | null;
}

export interface RunReport {
  root: NodeJson;
  /** Every node of the run, the root included, oldest first. */
  nodes: NodeJson[];
  /** The run's failed and errored test results, newest first (at most a page of them). */
  failingTests: FailingTest[];
  /** True when there are more than the page holds. */
  moreFailingTests: boolean;
  /**
   * The branch's run before this one, for KernelCI's regression view: what failed there too is
   * not new. Absent or null when there is none.
   */
  previous?: PreviousRun | null;
}

export interface PreviousRun {
  runId: number;
  /** Its failed jobs (last attempts), by path below the root (`build › unit`). */
  failedJobs: string[];
  /** Its failed and errored test cases (at most a page of them). */
  failingTestcases: string[];
}

/** Everything a run's report (and a failed job's mail) is made from. */
export interface RunReportSource {
  /** A node as the API shows it now, e.g. a run's root for the change's repo, revision and author. */
  node(id: number): NodeJson | undefined;
  runReport(rootNodeId: number): RunReport | undefined;
}
