import { SluiceError } from './sluice-error.js';

/**
 * A change a node may not undergo: a state going backwards or skipping, a result overwritten,
 * `done` without a result, a change to a finished node. The HTTP error handler answers 409
 * (the node is in the wrong state for the request).
 */
export class NodeTransitionError extends SluiceError {
  constructor(
    code:
      | 'NODE_TRANSITION_ILLEGAL'
      | 'NODE_RESULT_FINAL'
      | 'NODE_RESULT_REQUIRED'
      | 'NODE_DONE'
      | 'NODE_PARENT_CLOSED',
    message: string,
  ) {
    super(code, message);
  }
}
