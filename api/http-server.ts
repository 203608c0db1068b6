import { randomBytes } from 'node:crypto';
import http from 'node:http';
import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifySchema,
  type RouteOptions,
} from 'fastify';
import type { Scope } from '../config/config-types.js';
import { jsonDepthMessage, jsonTooDeep } from '../schemas/json-depth.js';
import { forgeHookRoutes } from './routes/forge-hook-routes.js';
import type { AppContext } from './app-context.js';
import { installCors } from './cors.js';
import { installErrorHandler } from './error-handler.js';
import { loginRoutes } from './login-routes.js';
import { RequestDeadlines } from './request-deadlines.js';
import { StreamSlots } from './stream-slots.js';
import { hooksOf, routeAccess, scopeOf, type RouteAccess } from './route-access.js';
import { isResultsdbPost } from './auth.js';
import { decisionHistoryRoutes } from './routes/decision-history-routes.js';
import { eventStreamRoutes } from './routes/event-stream-routes.js';
import { greenwaveJsonp, greenwaveRoutes } from './routes/greenwave-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { messageRoutes } from './routes/message-routes.js';
import { opsRoutes } from './routes/ops-routes.js';
import { outboxRoutes } from './routes/outbox-routes.js';
import { pipelineRoutes } from './routes/pipeline-routes.js';
import { imageHookRoutes } from './routes/image-hook-routes.js';
import { resultsdbRoutes } from './routes/resultsdb-routes.js';
import { updatesRoutes } from './routes/updates-routes.js';
import { waiverdbRoutes } from './routes/waiverdb-routes.js';
import { SLUICE_VERSION } from './sluice-version.js';

/** One route as registered: what the docs, the OpenAPI document and the route-table tests read. */
export interface RouteInfo {
  method: string;
  url: string;
  /** Undefined = the route declares neither a scope nor that it only reads (a test refuses that). */
  access: RouteAccess | undefined;
  schema: FastifySchema | undefined;
  /** Server-sent events: the response never ends on its own. */
  stream: boolean;
}

export interface HttpServer {
  app: FastifyInstance;
  /** Every route, in registration order (HEAD twins of GET routes left out). */
  routes: RouteInfo[];
  /** Ends every open event stream, so that closing the server does not wait on them. */
  endStreams(): void;
}

export interface HttpServerOptions {
  /** False = only the operator's routes (health, readiness, metrics): a process without the api role. */
  api?: boolean;
  /** Route groups the service composes besides the API's own (the dashboard), registered with the API's. */
  routeGroups?: Array<(scope: FastifyInstance, ctx: AppContext) => void>;
}

/** Kinds of route, in the order the API description lists them. */
export const TAGS = [
  'operations',
  'messages',
  'results',
  'waivers',
  'gating',
  'pipeline',
  'notifications',
  'dashboard',
] as const;

const requestIdPrefix = randomBytes(6).toString('hex');
let requestCount = 0;
function nextRequestId(): string {
  return `${requestIdPrefix}-${(++requestCount).toString(36)}`;
}

export function buildHttpServer(
  ctx: AppContext,
  { api = true, routeGroups = [] }: HttpServerOptions = {},
): HttpServer {
  const { server } = ctx.config;
  const app: FastifyInstance = Fastify({
    loggerInstance: ctx.log.child({ part: 'http' }) as FastifyBaseLogger,
    bodyLimit: server.bodyLimitBytes,
    // `//api/v1.0/decision` (a client whose base URL ends in `/`) is routed as werkzeug and Apache do.
    routerOptions: { ignoreDuplicateSlashes: true },
    // A client that has not sent its whole request in time gets 408 (node checks every second).
    serverFactory: (handler) =>
      http.createServer(
        {
          requestTimeout: server.requestTimeoutMs,
          headersTimeout: Math.min(server.requestTimeoutMs, 60_000),
          connectionsCheckingInterval: Math.min(1000, server.requestTimeoutMs),
        },
        handler,
      ),
    clientErrorHandler,
    // The caller's X-Request-ID when it is a sane token, so a request can be followed across
    // proxies and processes; otherwise this process's random prefix and a counter (fastify's bare
    // counter repeats in every process; randomBytes per request costs a native object the
    // young-generation GC must finalize, ~2 µs each, which made every scavenge pause ~3 ms).
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:@-]{1,128}$/.test(given) ? given : nextRequestId();
    },
    ajv: {
      customOptions: { allErrors: false, coerceTypes: true, useDefaults: true, removeAdditional: false },
    },
  });
  installErrorHandler(app);
  // A deep JSON body is refused before it is parsed (JSON.parse of 1 MiB of `[` takes ~90 ms);
  // the rest (empty body, syntax, __proto__) is fastify's own parser. A scope with a JSON parser
  // of its own (the Greenwave decision route) makes the same check first.
  const parseJson = app.getDefaultJsonParser('error', 'ignore');
  app.removeContentTypeParser('application/json');
  // A container registry sends its notifications as JSON of its own media type (v1, v2 since distribution 3).
  const jsonTypes = [
    'application/json',
    'application/vnd.docker.distribution.events.v1+json',
    'application/vnd.docker.distribution.events.v2+json',
  ];
  app.addContentTypeParser(jsonTypes, { parseAs: 'string' }, (req, body, done) => {
    if (typeof body === 'string' && jsonTooDeep(body))
      return done(Object.assign(new Error(`body: ${jsonDepthMessage()}`), { statusCode: 400 }), undefined);
    parseJson(req, body as string, done);
  });
  const routes: RouteInfo[] = [];
  const readGuard = ctx.config.auth.readsRequireToken ? ctx.auth.requireToken() : undefined;
  app.addHook('onRoute', (route) => {
    const access = routeAccess(route);
    // A route asks for its scope as a preHandler; the check moves to onRequest, so that a caller
    // without the scope learns nothing from validation and makes the server parse no body.
    const scopeChecks = hooksOf(route.preHandler).filter((h) => scopeOf(h) !== undefined);
    if (scopeChecks.length > 0) {
      route.preHandler = hooksOf(route.preHandler).filter(
        (h) => scopeOf(h) === undefined,
      ) as RouteOptions['preHandler'];
      route.onRequest = [...scopeChecks, ...hooksOf(route.onRequest)] as RouteOptions['onRequest'];
    }
    // Reads are closed by adding the token check to every read route as it is registered, so
    // routes added later are covered without knowing about it.
    if (readGuard && access?.kind === 'read')
      route.onRequest = [readGuard, ...hooksOf(route.onRequest)] as RouteOptions['onRequest'];
    // A ResultsDB client (resultsdb_api) may send its token as the body's `_auth_token`. On those
    // routes alone: a hook on every route costs the decision route a step per request.
    if (isResultsdbPost(route.method, route.url))
      route.preValidation = [
        ctx.auth.bodyTokenCheck,
        ...hooksOf(route.preValidation),
      ] as RouteOptions['preValidation'];
    if (route.method === 'HEAD') return;
    const stream = (route.config as { stream?: boolean } | undefined)?.stream === true;
    routes.push({ method: String(route.method), url: route.url, access, schema: route.schema, stream });
  });
  // After the hook above, so that a refusal by the read guard carries CORS headers too.
  installCors(app, server.cors);
  // The hooks every request passes take callbacks: an async hook costs a promise and its
  // microtasks per request, measurable on the decision route.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    // One bound for every route's query, before any parser sees it; each parser bounds its own
    // filters and values further (results/parse-results-query QUERY_LIMITS).
    const at = req.url.indexOf('?');
    if (at >= 0 && countParameters(req.url, at + 1) > MAX_QUERY_PARAMETERS) {
      void reply
        .code(400)
        .send({ message: `query: more than ${MAX_QUERY_PARAMETERS} parameters (the limit)` });
      return;
    }
    done();
  });
  // ajv's type coercion turns "1e309" into Infinity and then lets it past integer, minimum and
  // maximum (found by fuzzing: a 500 from SQLite). Every validated route is covered here.
  app.addHook('preHandler', (req, reply, done) => {
    const where =
      req.routeOptions.schema &&
      (nonFinite(req.query, 'querystring') ?? nonFinite(req.params, 'params') ?? nonFinite(req.body, 'body'));
    if (where) void reply.code(400).send({ message: `${where}: must be a finite number` });
    else done();
  });
  // A request whose handler has not answered in time gets 503. (fastify's own handlerTimeout
  // is cleared when node emits 'close' on a request whose body was read, i.e. almost at once.)
  const deadlines = new RequestDeadlines<FastifyReply>(
    server.requestTimeoutMs,
    Math.max(50, Math.min(1000, server.requestTimeoutMs / 4)),
    (reply) => {
      if (reply.sent || reply.raw.headersSent) return;
      reply.request.log.warn({ ms: server.requestTimeoutMs }, 'request timed out');
      void reply.code(503).send({
        message: `no answer within server.requestTimeoutMs (${server.requestTimeoutMs} ms); the work may still complete, so check before retrying`,
      });
    },
  );
  app.addHook('preHandler', (_req, reply, done) => {
    deadlines.add(reply);
    done();
  });
  app.addHook('onClose', async () => deadlines.clear());
  app.addHook('onResponse', (req, reply, done) => {
    deadlines.remove(reply);
    ctx.metrics.httpDuration.observe(
      {
        method: req.method,
        route: req.routeOptions.url ?? '(no route)',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });

  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Sluice',
        version: SLUICE_VERSION,
        description:
          'Message-bus-driven CI gating: results (ResultsDB v2.0), waivers (WaiverDB v1.0), messages, operations.',
      },
      components: {
        securitySchemes: {
          token: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API token from auth.tokens (sluice token new)',
          },
        },
      },
      tags: TAGS.map((name) => ({ name })),
    },
    transform: ({ schema, url, route }) => {
      const access = routeAccess(route as RouteOptions);
      const described = { ...(schema as Record<string, unknown>) };
      if (access?.kind === 'write') {
        described.security = [{ token: [] }];
        described.description = [
          described.description,
          `Needs a token with the scope \`${access.scope}\` (or admin).`,
        ]
          .filter(Boolean)
          .join('\n\n');
      }
      return { schema: described as FastifySchema, url };
    },
  });

  const streams = new StreamSlots(server.maxEventStreams);
  void app.register(async (scope) => {
    // Before the routes: it hooks the ones it wraps as they are registered.
    greenwaveJsonp(scope);
    healthRoutes(scope, ctx);
    opsRoutes(scope, ctx);
    if (!api) return;
    messageRoutes(scope, ctx);
    eventStreamRoutes(scope, ctx, streams);
    resultsdbRoutes(scope, ctx);
    waiverdbRoutes(scope, ctx);
    greenwaveRoutes(scope, ctx);
    decisionHistoryRoutes(scope, ctx);
    loginRoutes(scope, ctx);
    updatesRoutes(scope, ctx);
    outboxRoutes(scope, ctx);
    pipelineRoutes(scope, ctx, streams);
    imageHookRoutes(scope, ctx);
    if (ctx.config.forges.length) forgeHookRoutes(scope, ctx);
    for (const group of routeGroups) group(scope, ctx);
  });
  return {
    app,
    routes,
    endStreams: () => streams.endAll(),
  };
}

/** Parameters in one request's query string, at most. */
export const MAX_QUERY_PARAMETERS = 1000;

function countParameters(url: string, from: number): number {
  let n = 1;
  for (let i = url.indexOf('&', from); i >= 0; i = url.indexOf('&', i + 1)) n++;
  return n;
}

/** The path of the first number that is not finite in a validated input, if any. */
function nonFinite(value: unknown, at: string, depth = 0): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : at;
  if (value === null || typeof value !== 'object' || depth > 32) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const found = nonFinite(v, Array.isArray(value) ? `${at}[${k}]` : `${at}.${k}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Scopes named in the route table, for the docs. */
export function scopesIn(routes: RouteInfo[]): Scope[] {
  return [...new Set(routes.flatMap((r) => (r.access?.kind === 'write' ? [r.access.scope] : [])))];
}

/**
 * Errors before a request reaches fastify (a body that never finishes arriving, headers too
 * large, bytes that are not HTTP): answered in the API's own `{"message"}` shape.
 */
function clientErrorHandler(err: NodeJS.ErrnoException, socket: import('node:net').Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, text, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'the request did not arrive completely within server.requestTimeoutMs']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
        : [400, 'Bad Request', 'the request is not valid HTTP'];
  const body = JSON.stringify({ message });
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${text}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(err);
}
