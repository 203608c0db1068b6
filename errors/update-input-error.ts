import { SluiceError } from './sluice-error.js';

/**
 * An update request that cannot be used: 400 with `field: reason` (the field as a path into the
 * body, `builds[2]`), or 409 when the alias is taken. `statusCode` is what the HTTP error
 * handler answers with.
 */
export class UpdateInputError extends SluiceError {
  readonly field: string;
  readonly statusCode: 400 | 409;
  constructor(field: string, reason: string, statusCode: 400 | 409 = 400) {
    super(statusCode === 409 ? 'UPDATE_EXISTS' : 'UPDATE_INVALID', `${field}: ${reason}`);
    this.field = field;
    this.statusCode = statusCode;
  }
}
