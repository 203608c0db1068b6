import { defineTopic } from '../schemas/topic-contract.js';

/** What a re-trigger queued again, and what it could not (with why). */
export interface RetriggerAnswer {
  requeued: Array<{ node_id: number; retry_of: number; job: string; run_id: number; testcases: string[] }>;
  not_requeued: Array<{ testcase: string; item: string; reason: string }>;
}

/** `pipeline.tests.retriggered` (schemas/messages/pipeline.tests.retriggered.json). */
export interface TestsRetriggered extends RetriggerAnswer {
  update_id: string | null;
  subject: { type: string; item: string } | null;
  agent: string;
  all: boolean;
  retriggered_at: string;
}

/** Sluice's counterpart of Bodhi's re-trigger (`trigger-tests`): which jobs were queued again, and why. */
export const TESTS_RETRIGGERED = defineTopic<TestsRetriggered>()('pipeline.tests.retriggered');
