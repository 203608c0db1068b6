import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { hooksOf } from './route-access.js';

/**
 * A callback name a page may ask for: dotted JavaScript identifiers (jQuery's `jQuery3600_17…`,
 * `ns.cb`), nothing that could close the call or start another statement.
 */
const CALLBACK = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;
const MAX_CALLBACK = 128;

function callbackOf(req: FastifyRequest): string | undefined {
  const value = (req.query as Record<string, unknown> | undefined)?.callback;
  if (Array.isArray(value)) return value.length > 0 ? String(value[value.length - 1]) : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Greenwave's JSONP (its `@jsonp` decorator): with `?callback=NAME`, a GET answer of `paths` is
 * sent as `NAME(<json>);` typed application/javascript. Greenwave echoes any name; here a name
 * that is not a plain identifier path is a 400, as it would otherwise be script the caller wrote.
 * The hooks go on those routes alone, as they are registered (so call this before them: `/about`
 * is registered by the WaiverDB routes, whose answer Greenwave's clients share); every other
 * route, the decision route first among them, runs no JSONP code at all.
 */
export function jsonpFor(app: FastifyInstance, paths: readonly string[]): void {
  const wanted = new Set(paths);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!wanted.has(route.url) || !methods.some((m) => m === 'GET' || m === 'HEAD')) return;
    // First, as a scope-wide hook would run: a HEAD route fastify derives from the GET ends its
    // onSend with a step that drops the body and sets the length, which must see the wrapped one.
    route.preHandler = [checkCallback, ...hooksOf(route.preHandler)] as RouteOptions['preHandler'];
    route.onSend = [wrapInCallback, ...hooksOf(route.onSend)] as RouteOptions['onSend'];
  });
}

function checkCallback(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
  const callback = callbackOf(req);
  if (callback === undefined || (callback.length <= MAX_CALLBACK && CALLBACK.test(callback))) {
    done();
    return;
  }
  void reply.code(400).send({
    message: `Invalid callback: must be a JavaScript identifier or a dotted path of them, at most ${MAX_CALLBACK} characters`,
  });
}

function wrapInCallback(
  req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (err: null, value: unknown) => void,
): void {
  const callback = reply.statusCode === 200 && typeof payload === 'string' ? callbackOf(req) : undefined;
  if (callback === undefined || !CALLBACK.test(callback)) {
    done(null, payload);
    return;
  }
  reply.type('application/javascript; charset=utf-8');
  reply.header('x-content-type-options', 'nosniff');
  done(null, `${callback}(${payload});`);
}
