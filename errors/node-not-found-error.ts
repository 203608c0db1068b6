import { SluiceError } from './sluice-error.js';

/** A pipeline node that does not exist; the HTTP error handler answers 404. */
export class NodeNotFoundError extends SluiceError {
  constructor(id: number | string) {
    super('NODE_NOT_FOUND', `node ${id} not found`);
  }
}
