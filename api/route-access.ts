import type { RouteOptions } from 'fastify';
import type { Scope } from '../config/config-types.js';

const SCOPE = Symbol.for('sluice.requiredScope');

/**
 * What a route lets in. `write`: a token holding `scope` (or admin); `read`: anyone, or any valid
 * token when auth.readsRequireToken is set; `public`: anyone, always (health checks, so that a
 * load balancer or systemd can probe without a token).
 */
export type RouteAccess = { kind: 'write'; scope: Scope } | { kind: 'read' } | { kind: 'public' };

/**
 * For a route that is not a GET but only reads (a query too big for a URL, such as WaiverDB's
 * POST /waivers/+filtered or Greenwave's POST /decision): `{ config: READ_ONLY, ... }`. Without it
 * (or a scope), a non-GET route fails the route-table test, so that no write is left open by mistake.
 */
export const READ_ONLY = { access: 'read' } as const;
/** For a route everyone may call whatever the configuration: `{ config: PUBLIC, ... }`. */
export const PUBLIC = { access: 'public' } as const;

/** Marks a preHandler as the check for `scope`, so the route table says which scope a route needs. */
export function tagScope<F extends object>(fn: F, scope: Scope): F {
  return Object.assign(fn, { [SCOPE]: scope });
}

export function scopeOf(fn: unknown): Scope | undefined {
  return typeof fn === 'function'
    ? ((fn as unknown as Record<symbol, Scope | undefined>)[SCOPE] ?? undefined)
    : undefined;
}

type RouteShape = Pick<RouteOptions, 'method' | 'preHandler' | 'onRequest'> & { config?: unknown };

/** What a route declares, read from its options (as fastify's onRoute hook sees them). */
export function routeAccess(route: RouteShape): RouteAccess | undefined {
  const scope = [...hooksOf(route.onRequest), ...hooksOf(route.preHandler)]
    .map(scopeOf)
    .find((s) => s !== undefined);
  if (scope) return { kind: 'write', scope };
  const declared = (route.config as { access?: string } | undefined)?.access;
  if (declared === 'public') return { kind: 'public' };
  if (declared === 'read' || isReadMethod(route.method)) return { kind: 'read' };
  return undefined;
}

export function hooksOf(hooks: unknown): unknown[] {
  return hooks === undefined || hooks === null
    ? []
    : Array.isArray(hooks)
      ? [...(hooks as unknown[])]
      : [hooks];
}

export function isReadMethod(method: RouteOptions['method']): boolean {
  const methods = Array.isArray(method) ? method : [method];
  return methods.every((m) => m === 'GET' || m === 'HEAD' || m === 'OPTIONS');
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** READ_ONLY or PUBLIC; see RouteAccess. */
    access?: 'read' | 'public';
    /** The response is an endless stream (server-sent events). */
    stream?: boolean;
  }
}
