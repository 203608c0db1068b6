import { SluiceError } from './sluice-error.js';

/**
 * A builder that cannot take a job: its host key is not the pinned one, it cannot be reached,
 * no builder has the labels a job needs, or every one that has them is down.
 */
export class BuilderError extends SluiceError {
  constructor(
    code: 'HOST_KEY_MISMATCH' | 'BUILDER_UNREACHABLE' | 'NO_BUILDER' | 'BUILDER_LOST',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
