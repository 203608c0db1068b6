import { SluiceError } from './sluice-error.js';

/**
 * A Greenwave API request that cannot be answered as asked: 400 (bad input, Greenwave's
 * messages), 404 (no applicable policy) or 415 (no JSON body). The message is what the client reads.
 */
export class DecisionInputError extends SluiceError {
  readonly status: 400 | 404 | 415;
  constructor(message: string, status: 400 | 404 | 415 = 400) {
    super(status === 404 ? 'POLICY_NOT_FOUND' : 'DECISION_INVALID', message);
    this.status = status;
  }
}
