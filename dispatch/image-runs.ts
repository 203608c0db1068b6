import type { ProcessedMessages } from '../db/processed-messages.js';
import type { ImagePush } from '../pipeline/image-push.js';
import type { PipelineEngine } from './pipeline-engine.js';

/** The ledger's name for registry event ids, shared by the bus consumer and the HTTP hook. */
const REGISTRY_EVENTS = 'registry-events';

/**
 * Inside the caller's transaction: a run for each push not seen before. A registry sends an
 * envelope again until it is answered 2xx, and may send one push by the hook and by the bus;
 * its event id makes the second time a no-op. Returns the new runs' ids.
 */
export function startImageRuns(
  engine: PipelineEngine,
  ledger: ProcessedMessages,
  pushes: ImagePush[],
  now = Date.now(),
): number[] {
  const runs: number[] = [];
  for (const push of pushes) {
    if (push.eventId !== null && !ledger.record(REGISTRY_EVENTS, push.eventId)) continue;
    const root = engine.startImageRun(push, now);
    if (root) runs.push(root.id);
  }
  return runs;
}
