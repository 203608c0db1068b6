import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

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
 * Hooked on the whole scope because one of the paths (`/about`) is registered by the WaiverDB
 * routes, whose answer Greenwave's clients share; other routes pass through at the cost of a lookup.
 */
export function jsonpFor(app: FastifyInstance, paths: readonly string[]): void {
  const wanted = new Set(paths);
  const applies = (req: FastifyRequest) =>
    (req.method === 'GET' || req.method === 'HEAD') && wanted.has(req.routeOptions.url ?? '');
  app.addHook('preHandler', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const callback = applies(req) ? callbackOf(req) : undefined;
    if (callback === undefined || (callback.length <= MAX_CALLBACK && CALLBACK.test(callback))) return done();
    void reply.code(400).send({
      message: `Invalid callback: must be a JavaScript identifier or a dotted path of them, at most ${MAX_CALLBACK} characters`,
    });
  });
  app.addHook(
    'onSend',
    (
      req: FastifyRequest,
      reply: FastifyReply,
      payload: unknown,
      done: (err: null, value: unknown) => void,
    ) => {
      const callback =
        applies(req) && reply.statusCode === 200 && typeof payload === 'string' ? callbackOf(req) : undefined;
      if (callback === undefined || !CALLBACK.test(callback)) return done(null, payload);
      reply.type('application/javascript; charset=utf-8');
      reply.header('x-content-type-options', 'nosniff');
      done(null, `${callback}(${payload});`);
    },
  );
}
