import { SluiceError } from './sluice-error.js';

/**
 * An update request that cannot be used: UPDATE_INVALID (400) with `field: reason`, the field as
 * a path into the body (`builds[2]`), or UPDATE_EXISTS (409) when the alias is taken.
 */
export class UpdateInputError extends SluiceError {
  readonly field: string;
  constructor(field: string, reason: string, code: 'UPDATE_INVALID' | 'UPDATE_EXISTS' = 'UPDATE_INVALID') {
    super(code, `${field}: ${reason}`);
    this.field = field;
  }
}
