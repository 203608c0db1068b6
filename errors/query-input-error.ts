import { SluiceError } from './sluice-error.js';

/** A query parameter of the results API that cannot be used; the message is `param: reason`. */
export class QueryInputError extends SluiceError {
  readonly param: string;
  constructor(param: string, reason: string) {
    super('QUERY_INVALID', `${param}: ${reason}`);
    this.param = param;
  }
}
