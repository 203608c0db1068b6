import { SluiceError } from './sluice-error.js';

/** A configuration that cannot be used; `problems` lists each one as `path: reason`. */
export class ConfigError extends SluiceError {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super('CONFIG_INVALID', `invalid configuration in ${source}:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}
