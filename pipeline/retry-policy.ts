import type { JobSettings } from '../config/pipeline-types.js';
import type { NodeResult } from './node-state.js';

/** How many more attempts a job gets after each kind of ending (`retries: N` is for incomplete only). */
export function retryLimits(job: Pick<JobSettings, 'retries'>): { onIncomplete: number; onFail: number } {
  const r = job.retries;
  return typeof r === 'number'
    ? { onIncomplete: r, onFail: 0 }
    : { onIncomplete: r.onIncomplete ?? 0, onFail: r.onFail ?? 0 };
}

/** Whether an attempt that ended so (the `retryCount`-th re-run) gets another one. */
export function retriesAfter(
  job: Pick<JobSettings, 'retries'>,
  result: NodeResult,
  retryCount: number,
): boolean {
  const limits = retryLimits(job);
  if (result === 'incomplete') return retryCount < limits.onIncomplete;
  if (result === 'fail') return retryCount < limits.onFail;
  return false;
}
