import type { NodeEvent } from './node-event.js';

export interface FailingTest {
  testcase: string;
  outcome: string;
  note: string | null;
  /** The result in the results API. */
  url: string | null;
  nodeId: number | null;
}

export interface RunReport {
  root: NodeEvent;
  /** Every node of the run, the root included, oldest first. */
  nodes: NodeEvent[];
  /** The run's failed and errored test results, newest first (at most a page of them). */
  failingTests: FailingTest[];
  /** True when there are more than the page holds. */
  moreFailingTests: boolean;
}

/**
 * Everything a run's report is made from. Kept to this one call so that the implementation over
 * recorded node messages can give way to one over the pipeline's node store without the mail
 * noticing.
 */
export interface RunReportSource {
  runReport(rootNodeId: number): RunReport | undefined;
}
