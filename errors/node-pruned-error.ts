import { SluiceError } from './sluice-error.js';

/** What pipeline.retention removed (a run's nodes, a log, artifacts); the HTTP API answers 410 Gone. */
export class NodePrunedError extends SluiceError {
  constructor(what: string, prunedAt: number) {
    super('NODE_PRUNED', `${what}: gone, pruned on ${new Date(prunedAt).toISOString()} (pipeline.retention)`);
  }
}
