import type { ResultsParser } from '../config/pipeline-types.js';
import type { JobQueued } from '../pipeline/job-messages.js';

/** A `pipeline.job.queued` message as the runner uses it (the bus has validated the body). */
export interface JobRequest {
  nodeId: number;
  runId: number;
  job: string;
  attempt: number;
  command: string;
  env: Record<string, string>;
  timeoutMs: number;
  deadline: number;
  runsOn: string[];
  artifacts: string[];
  results: { parser: ResultsParser; files: string[] };
}

export function jobRequest(b: JobQueued): JobRequest {
  return {
    nodeId: b.node_id,
    runId: b.run_id,
    job: b.job,
    attempt: b.attempt,
    command: b.command,
    env: b.env,
    timeoutMs: b.timeout_s * 1000,
    deadline: Date.parse(b.deadline),
    runsOn: b.runs_on,
    artifacts: b.artifacts,
    results: b.results,
  };
}
