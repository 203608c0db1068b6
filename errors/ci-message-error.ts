import { SluiceError } from './sluice-error.js';

/**
 * A CI message its schema accepts but that cannot become a result: its topic is not
 * `ci.<artifact>.<event>.<state>`, or names another artifact than the body does. Retrying
 * cannot help, so consumers dead-letter it with this message as the reason.
 */
export class CiMessageError extends SluiceError {
  constructor(message: string) {
    super('CI_MESSAGE_UNMAPPABLE', message);
  }
}
