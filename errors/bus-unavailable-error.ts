import { SluiceError } from './sluice-error.js';

/** The broker did not confirm a publish in time (down, blocked, or unreachable). The caller still owns the message. */
export class BusUnavailableError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BUS_UNAVAILABLE', message, options);
  }
}
