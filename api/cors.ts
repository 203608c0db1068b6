import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { hooksOf, routeAccess } from './route-access.js';

const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Request-ID, Last-Event-ID';
const MAX_AGE_SECONDS = 600;

interface ReadRoute {
  method: string;
  path: RegExp;
}

/**
 * CORS for the routes that only read (GETs, and POSTs declared READ_ONLY such as Greenwave's
 * POST /api/v1.0/decision, which Bodhi's update page calls from the browser): a page from one of
 * `origins` (`*` = any) may call them, and its preflight (OPTIONS) is answered. Writes get no CORS
 * headers, so no other site's page can make a browser send one. Credentials (cookies) are not
 * allowed: Sluice takes tokens from the Authorization header, which a page sets itself.
 */
export function installCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const anyOrigin = origins.includes('*');
  const allowed = new Set(origins);
  const readRoutes: ReadRoute[] = [];
  const allowedOrigin = (req: FastifyRequest): string | undefined => {
    const origin = req.headers.origin;
    if (typeof origin !== 'string') return undefined;
    return anyOrigin ? '*' : allowed.has(origin) ? origin : undefined;
  };

  const corsHeaders = (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const origin = allowedOrigin(req);
    if (origin !== undefined)
      void reply
        .header('access-control-allow-origin', origin)
        .header('access-control-expose-headers', 'X-Request-ID');
    if (!anyOrigin) void reply.header('vary', 'Origin');
    done();
  };

  app.addHook('onRoute', (route) => {
    const access = routeAccess(route);
    if (access?.kind !== 'read') return;
    for (const method of [route.method].flat())
      readRoutes.push({ method: String(method).toUpperCase(), path: pathPattern(route.url) });
    route.onRequest = [corsHeaders, ...hooksOf(route.onRequest)] as RouteOptions['onRequest'];
  });

  // A preflight matches no route (there are no OPTIONS routes), so it is answered here, before
  // fastify's 404; one for a write, or from an origin not allowed, gets that 404 and no CORS headers.
  app.addHook('onRequest', (req, reply, done) => {
    const wanted = req.headers['access-control-request-method'];
    if (req.method !== 'OPTIONS' || typeof wanted !== 'string') return done();
    const origin = allowedOrigin(req);
    const path = req.url.split('?', 1)[0]!;
    const methods = [...new Set(readRoutes.filter((r) => r.path.test(path)).map((r) => r.method))];
    if (origin === undefined || !methods.includes(wanted.toUpperCase())) return done();
    void reply
      .code(204)
      .header('access-control-allow-origin', origin)
      .header('access-control-allow-methods', methods.join(', '))
      .header('access-control-allow-headers', ALLOWED_HEADERS)
      .header('access-control-max-age', String(MAX_AGE_SECONDS))
      .header('vary', 'Origin')
      .send();
  });
}

/** A fastify route URL (`/api/v1.0/waivers/:id`, `/nodes/:id/artifacts/*`) as a RegExp for paths. */
export function pathPattern(url: string): RegExp {
  const parts = url.split('/').map((part) => {
    if (part === '*') return '.*';
    if (part.startsWith(':')) return '[^/]+';
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${parts.join('/')}$`);
}
