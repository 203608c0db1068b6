import { SluiceError } from '../errors/sluice-error.js';

/**
 * What a `sluice serve` process does. `api`: the HTTP API (every process serves /healthz,
 * /readyz and /metrics); `consumers`: the bus consumers that store results and the like;
 * `runner`: the consumers that run pipeline jobs (they speak only through the bus, so they may
 * live on other machines); `scheduler`: scheduled tasks, run by one scheduler process at a time.
 */
export const ROLES = ['api', 'consumers', 'runner', 'scheduler'] as const;
export type Role = (typeof ROLES)[number];

/** `all`, or a comma-separated list of roles. */
export function parseRoles(text: string): Set<Role> {
  const words = text
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean);
  if (words.length === 0)
    throw new SluiceError(
      'ROLE_INVALID',
      `--role: expected one of all, ${ROLES.join(', ')} (or a comma-separated list)`,
    );
  const roles = new Set<Role>();
  for (const w of words) {
    if (w === 'all') for (const r of ROLES) roles.add(r);
    else if ((ROLES as readonly string[]).includes(w)) roles.add(w as Role);
    else
      throw new SluiceError(
        'ROLE_INVALID',
        `--role: "${w}" is not a role; the roles are all, ${ROLES.join(', ')}`,
      );
  }
  return roles;
}
