import path from 'node:path';
import type { ForgeSettings, ForgeType } from '../config/forge-types.js';

/** Where each forge's REST API is when the configuration does not say (the public instances). */
const DEFAULT_API: Partial<Record<ForgeType, string>> = {
  github: 'https://api.github.com',
  gitlab: 'https://gitlab.com/api/v4',
};

/**
 * The checks the schema cannot make: names used twice (the hook URL would be ambiguous), a
 * self-hosted forge without its API URL. Files are resolved against the configuration's folder.
 */
export function compileForges(forges: ForgeSettings[], cwd: string, problems: string[]): ForgeSettings[] {
  const seen = new Set<string>();
  return forges.map((f, i) => {
    if (seen.has(f.name)) problems.push(`forges[${i}].name: "${f.name}" is used by an earlier forge`);
    seen.add(f.name);
    const apiUrl = (f.apiUrl ?? DEFAULT_API[f.type] ?? null)?.replace(/\/+$/, '') ?? null;
    if (apiUrl === null)
      problems.push(
        `forges[${i}].apiUrl: is required for a ${f.type} forge (e.g. https://codeberg.org/api/v1)`,
      );
    if (f.retry.maxDelayMs < f.retry.delayMs)
      problems.push(`forges[${i}].retry.maxDelayMs: must be >= forges[${i}].retry.delayMs`);
    return {
      ...f,
      apiUrl,
      secretFile: path.resolve(cwd, f.secretFile),
      tokenFile: f.tokenFile === null ? null : path.resolve(cwd, f.tokenFile),
    };
  });
}
