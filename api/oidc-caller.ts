import type { OidcSettings, Scope } from '../config/config-types.js';

/** Who an OIDC token names, or why it names nobody Sluice can use. */
export type OidcCaller =
  | { ok: true; user: string; groups: string[]; scopes: Scope[] }
  | { ok: false; status: 401 | 403; message: string };

/**
 * A verified token's claims as a Sluice caller. The user is the `userClaim`, the groups the
 * `groupsClaim` (a dotted path, as WaiverDB's OIDC_GROUPS_FIELD). The Sluice scopes are the union
 * of `scopes` (every valid token), `groupScopes` of each of the user's groups and `tokenScopes` of
 * each OAuth scope the token holds; the token's OAuth scopes grant nothing on their own.
 */
export function oidcCaller(claims: Record<string, unknown>, settings: OidcSettings): OidcCaller {
  const user = claimAt(claims, settings.userClaim);
  if (typeof user !== 'string' || user === '')
    return {
      ok: false,
      status: 401,
      message: `the token has no "${settings.userClaim}" claim naming the user (auth.oidc.userClaim)`,
    };
  const rawGroups = claimAt(claims, settings.groupsClaim);
  const groups = Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => typeof g === 'string') : [];
  const tokenScopes = oauthScopes(claims);
  if (settings.requiredScope !== null && !tokenScopes.includes(settings.requiredScope)) {
    return {
      ok: false,
      status: 403,
      message: `the token lacks the OAuth scope "${settings.requiredScope}" (auth.oidc.requiredScope)`,
    };
  }
  const scopes = new Set<Scope>(settings.scopes);
  for (const g of groups) for (const s of settings.groupScopes[g] ?? []) scopes.add(s);
  for (const t of tokenScopes) for (const s of settings.tokenScopes[t] ?? []) scopes.add(s);
  return { ok: true, user, groups, scopes: [...scopes] };
}

/** RFC 9068 / RFC 7662 `scope` (space-separated), or the `scp` list some providers send. */
export function oauthScopes(claims: Record<string, unknown>): string[] {
  const raw = claims.scope ?? claims.scp;
  if (typeof raw === 'string') return raw.split(' ').filter(Boolean);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string');
  return [];
}

function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let value: unknown = claims;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key))
      return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
