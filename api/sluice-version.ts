import { readFileSync } from 'node:fs';

/** The version in package.json, read once (from dist/api/, the package root is two folders up). */
export const SLUICE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
