import { SluiceError } from './sluice-error.js';

/** A migration failed; the database was rolled back to the version it had before. */
export class MigrationError extends SluiceError {
  readonly version: number;
  constructor(version: number, name: string, cause: unknown) {
    super(
      'MIGRATION_FAILED',
      `migration ${version} (${name}) failed and was rolled back: ${(cause as Error)?.message ?? cause}`,
      { cause },
    );
    this.version = version;
  }
}
