import { SluiceError } from './sluice-error.js';

/** A message body (or its topic) that no schema accepts; `problems` are `path: reason` lines. */
export class MessageValidationError extends SluiceError {
  readonly topic: string;
  readonly problems: string[];
  constructor(
    topic: string,
    problems: string[],
    code: 'MESSAGE_INVALID' | 'TOPIC_UNKNOWN' | 'TOPIC_INVALID' = 'MESSAGE_INVALID',
  ) {
    super(code, `message on topic "${topic}" is invalid: ${problems.join('; ')}`);
    this.topic = topic;
    this.problems = problems;
  }
}
