import { SluiceError } from './sluice-error.js';

/** A results file a job left that cannot be read as its parser expects; the message names the file. */
export class ResultsParseError extends SluiceError {
  constructor(file: string, reason: string) {
    super('RESULTS_UNREADABLE', `${file}: ${reason}`);
  }
}
