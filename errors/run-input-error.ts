import { SluiceError } from './sluice-error.js';

/** A request to start or retry a run that cannot be used; `field: reason`, HTTP 400. */
export class RunInputError extends SluiceError {
  readonly field: string;
  constructor(field: string, reason: string) {
    super('RUN_INVALID', `${field}: ${reason}`);
    this.field = field;
  }
}
