import { SluiceError } from './sluice-error.js';

/**
 * A Greenwave API request that cannot be answered as asked: DECISION_INVALID (400, bad input,
 * Greenwave's messages), POLICY_NOT_FOUND (404, no applicable policy) or DECISION_NO_JSON (415,
 * no JSON body). The message is what the client reads.
 */
export class DecisionInputError extends SluiceError {
  constructor(
    message: string,
    code: 'DECISION_INVALID' | 'DECISION_NO_JSON' | 'POLICY_NOT_FOUND' = 'DECISION_INVALID',
  ) {
    super(code, message);
  }
}
