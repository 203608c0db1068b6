import { SluiceError } from './sluice-error.js';

/**
 * A WaiverDB request body (a waiver to submit, or a +filtered query) that cannot be used. The
 * message is `field: reason`, the field written as a path into the body (`[1].comment` for the
 * second waiver of a list), because that is what the client has to fix.
 */
export class WaiverInputError extends SluiceError {
  readonly field: string;
  constructor(field: string, reason: string) {
    super('WAIVER_INVALID', `${field}: ${reason}`);
    this.field = field;
  }
}
