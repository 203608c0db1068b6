import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/tests/…, sources and fixtures stay at the root). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = path.join(ROOT, 'dist/cli/main.js');
export const TEST_SCHEMA_DIR = path.join(ROOT, 'tests/fixtures/schemas');

export function tempDir(prefix = 'sluice-'): string {
  return mkdtempSync(path.join(process.env.SLUICE_TEST_TMP ?? os.tmpdir(), prefix));
}
