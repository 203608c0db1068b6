import type { ResultsParser } from '../config/pipeline-types.js';
import { defineTopic } from '../schemas/topic-contract.js';
import type { NodeResult } from './node-state.js';
import type { ParsedTest } from './parsed-test.js';

/**
 * The messages between the dispatcher (dispatch/) and the builders that run jobs (builders/):
 * the dispatcher queues and cancels, a runner reports start, output and finish.
 */

/** `pipeline.job.queued` (schemas/messages/pipeline.job.queued.json). */
export interface JobQueued {
  node_id: number;
  run_id: number;
  job: string;
  attempt: number;
  command: string;
  env: Record<string, string>;
  timeout_s: number;
  deadline: string;
  runs_on: string[];
  artifacts: string[];
  results: { parser: ResultsParser; files: string[] };
}

/** `pipeline.job.started`. */
export interface JobStarted {
  node_id: number;
  builder: string;
  started_at: string;
  pgid?: number;
  workdir?: string;
}

/** `pipeline.job.finished`. */
export interface JobFinished {
  node_id: number;
  builder: string | null;
  status: NodeResult;
  exit_code: number | null;
  reason: string | null;
  duration_ms: number;
  log_bytes: number;
  artifacts: Array<{ name: string; size: number; sha256: string }>;
  data: Record<string, string>;
  tests: ParsedTest[];
}

/** `pipeline.job.log`: a piece of a job's output at its byte offset. */
export interface JobLogPiece {
  node_id: number;
  offset: number;
  data: string;
}

/** `pipeline.job.cancel`. */
export interface JobCancel {
  node_id: number;
  reason: string;
}

export const JOB_QUEUED = defineTopic<JobQueued>()('pipeline.job.queued');
export const JOB_STARTED = defineTopic<JobStarted>()('pipeline.job.started');
export const JOB_FINISHED = defineTopic<JobFinished>()('pipeline.job.finished');
export const JOB_LOG = defineTopic<JobLogPiece>()('pipeline.job.log');
export const JOB_CANCEL = defineTopic<JobCancel>()('pipeline.job.cancel');
