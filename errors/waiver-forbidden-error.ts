import { SluiceError } from './sluice-error.js';

/**
 * The caller is known but may not submit this waiver: the permission rules do not let the user
 * waive the test case, or the caller names another user without being a superuser. HTTP 403.
 */
export class WaiverForbiddenError extends SluiceError {
  constructor(message: string) {
    super('WAIVER_FORBIDDEN', message);
  }
}
