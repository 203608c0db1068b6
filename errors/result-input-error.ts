import { SluiceError } from './sluice-error.js';

/**
 * A result (a ResultsDB POST /results body) that cannot be stored. The message names the field
 * and why, as `field: reason`, because it is what the HTTP client or the message's sender reads.
 */
export class ResultInputError extends SluiceError {
  readonly field: string;
  constructor(field: string, reason: string) {
    super('RESULT_INVALID', `${field}: ${reason}`);
    this.field = field;
  }
}
