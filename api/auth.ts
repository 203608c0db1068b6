import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { CompiledConfig, OidcSettings, Scope } from '../config/config-types.js';
import type { WebSessionsStore } from '../db/web-sessions-store.js';
import { API_PREFIX as RESULTSDB_PREFIX } from '../results/result-json.js';
import { oidcCaller } from './oidc-caller.js';
import { OidcVerifier } from './oidc-verifier.js';
import { isReadMethod, tagScope } from './route-access.js';
import { sessionCaller } from './web-session.js';

export interface Caller {
  user: string;
  groups: string[];
  scopes: Scope[];
  /** True when no authentication is configured and the server is on loopback: everything is allowed. */
  anonymous: boolean;
}

/** Why a request's credentials are refused: 401 (none or not valid), 403 (not enough), 503 (cannot be checked now). */
export interface Refusal {
  status: 401 | 403 | 503;
  message: string;
}

const ALL_SCOPES: Scope[] = [
  'results:write',
  'waivers:write',
  'updates:write',
  'messages:publish',
  'runs:write',
  'admin',
];

/**
 * A fresh API token. The prefix keeps it from starting with "-" (1 base64url token in 64 did,
 * and `sluice token hash TOKEN` then took it for an option) and lets secret scanners find it.
 */
export function newToken(): string {
  return `sluice_${randomBytes(24).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** resultsdb_api's field: ResultsDB (before v3) took the OIDC token from a POST's JSON body. */
export const BODY_TOKEN_FIELD = '_auth_token';

const PENDING_SCOPE = Symbol('sluice.pendingScope');

/**
 * Who is calling: `Authorization: Bearer TOKEN` holding a configured API token (compared by its
 * SHA-256 hash, in constant time, so the configuration never holds a usable secret) or an OIDC
 * access token (auth.oidc); on ResultsDB's POST routes the token may come as the body's
 * `_auth_token` instead. With no authentication configured and the server on loopback (`open`),
 * credentials are ignored and everything is allowed, but HTTP Basic's user name names the caller,
 * as WaiverDB's development mode (AUTH_METHOD = 'dummy') does.
 */
export class Authenticator {
  private readonly tokens: Array<{ hash: Buffer; caller: Caller }>;
  private readonly oidcSettings: OidcSettings | null;
  private readonly oidc: OidcVerifier | null;
  readonly open: boolean;

  /** `sessions`: the dashboard's sign-ins; a request without an Authorization header may then come with the session cookie. */
  constructor(
    config: CompiledConfig,
    private readonly sessions?: WebSessionsStore,
  ) {
    this.tokens = config.auth.tokens.map((t) => ({
      hash: Buffer.from(t.sha256, 'hex'),
      caller: { user: t.user, groups: t.groups, scopes: t.scopes, anonymous: false },
    }));
    this.oidcSettings = config.auth.oidc;
    this.oidc = config.auth.oidc ? new OidcVerifier(config.auth.oidc) : null;
    this.open = this.tokens.length === 0 && this.oidc === null && isLoopback(config.server.host);
  }

  /** The caller, undefined when the request brings no credentials, or why its credentials are refused. */
  async identify(header: string | undefined, bodyToken?: string): Promise<Caller | undefined | Refusal> {
    if (this.open)
      return { user: basicUser(header) ?? 'anonymous', groups: [], scopes: ALL_SCOPES, anonymous: true };
    let token = bodyToken;
    if (header) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m)
        return {
          status: 401,
          message:
            'the Authorization header must be "Bearer TOKEN" (HTTP Basic is taken only when no authentication is configured)',
        };
      token = m[1]!;
    }
    if (token === undefined) return undefined;
    const hash = createHash('sha256').update(token, 'utf8').digest();
    const hit = this.tokens.find((t) => timingSafeEqual(t.hash, hash));
    if (hit) return hit.caller;
    if (!this.oidc) return { status: 401, message: 'the API token is not valid' };
    const verified = await this.oidc.verify(token);
    if (!verified.ok) return { status: verified.status, message: verified.message };
    const caller = oidcCaller(verified.claims, this.oidcSettings!);
    return caller.ok
      ? { user: caller.user, groups: caller.groups, scopes: caller.scopes, anonymous: false }
      : { status: caller.status, message: caller.message };
  }

  /**
   * A fastify preHandler that lets through only callers holding `scope` (or admin): 401 without a
   * valid token, 403 with one that lacks the scope; both say which scope is needed. (The route
   * table runs it as an onRequest hook; a ResultsDB POST without an Authorization header is
   * checked once its body, which may hold the token, is parsed: see `bodyTokenCheck`.)
   */
  require(scope: Scope) {
    return tagScope(async (req: FastifyRequest, reply: FastifyReply) => {
      if (this.mayCarryBodyToken(req)) {
        (req as PendingRequest)[PENDING_SCOPE] = scope;
        return;
      }
      if (!this.admit(req, reply, scope, await this.callerOf(req))) return reply;
      return undefined;
    }, scope);
  }

  /**
   * The caller of a request: its Authorization header, else the dashboard's session cookie (a
   * state-changing request then needs the session's CSRF token: web-session.ts).
   */
  callerOf(req: FastifyRequest): Promise<Caller | undefined | Refusal> | Caller | Refusal | undefined {
    const header = req.headers.authorization;
    if (this.open || header !== undefined || !this.sessions) return this.identify(header);
    return sessionCaller(this.sessions, req, isReadMethod(req.method as RouteOptions['method']));
  }

  /**
   * A preValidation hook for the ResultsDB POST routes (isResultsdbPost; the route table hooks it
   * on those alone): takes `_auth_token` out of the body (it is never stored), and for a route
   * that asked for a scope, checks the caller it names.
   */
  readonly bodyTokenCheck = (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    // A callback, not an async hook: it runs on every ResultsDB POST, most of them without a token.
    const token = takeBodyToken(req);
    const scope = (req as PendingRequest)[PENDING_SCOPE];
    if (scope === undefined) {
      done();
      return;
    }
    const caller = token === undefined ? this.callerOf(req) : this.identify(undefined, token);
    Promise.resolve(caller).then(
      (caller) => {
        if (this.admit(req, reply, scope, caller)) done();
      },
      (err: Error) => done(err),
    );
  };

  /** For reads when auth.readsRequireToken is set: any valid token will do. */
  requireToken() {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      const caller = await this.callerOf(req);
      if (caller === undefined)
        return refuse(
          reply,
          {
            status: 401,
            message: 'reads need an API token here (auth.readsRequireToken): Authorization: Bearer TOKEN',
          },
          false,
        );
      if (isRefusal(caller)) return refuse(reply, caller, true);
      req.caller = caller;
    };
  }

  /** Sends the refusal, or records the caller and returns true. */
  private admit(
    req: FastifyRequest,
    reply: FastifyReply,
    scope: Scope,
    caller: Caller | undefined | Refusal,
  ): boolean {
    if (caller === undefined) {
      refuse(
        reply,
        {
          status: 401,
          message: `this endpoint needs an API token with scope "${scope}" (Authorization: Bearer TOKEN)`,
        },
        false,
      );
      return false;
    }
    if (isRefusal(caller)) {
      refuse(reply, caller, true);
      return false;
    }
    if (!caller.scopes.includes(scope) && !caller.scopes.includes('admin')) {
      void reply
        .code(403)
        .send({ message: `user ${caller.user} lacks the scope "${scope}" this endpoint needs` });
      return false;
    }
    req.caller = caller;
    return true;
  }

  private mayCarryBodyToken(req: FastifyRequest): boolean {
    return (
      !this.open &&
      req.headers.authorization === undefined &&
      isResultsdbPost(req.method, req.routeOptions.url ?? '') &&
      /\bjson\b/i.test(req.headers['content-type'] ?? '')
    );
  }
}

type PendingRequest = FastifyRequest & { [PENDING_SCOPE]?: Scope };

function isRefusal(value: Caller | Refusal): value is Refusal {
  return 'status' in value;
}

function refuse(reply: FastifyReply, refusal: Refusal, tokenGiven: boolean): FastifyReply {
  // RFC 6750 §3: a client such as python-openidc-client fetches a new token on invalid_token.
  if (refusal.status === 401)
    void reply.header(
      'www-authenticate',
      tokenGiven ? 'Bearer realm="sluice", error="invalid_token"' : 'Bearer realm="sluice"',
    );
  return reply.code(refusal.status).send({ message: refusal.message });
}

/**
 * A ResultsDB POST route, whose body may carry resultsdb_api's `_auth_token`. `routeUrl` is the
 * route as registered, not the URL as sent, which may be spelled differently (//api, %2F…).
 */
export function isResultsdbPost(method: string | readonly string[], routeUrl: string): boolean {
  return (
    (typeof method === 'string' ? method === 'POST' : method.includes('POST')) &&
    routeUrl.startsWith(`${RESULTSDB_PREFIX}/`)
  );
}

function takeBodyToken(req: FastifyRequest): string | undefined {
  const body = req.body;
  if (
    body === null ||
    typeof body !== 'object' ||
    Array.isArray(body) ||
    !Object.hasOwn(body, BODY_TOKEN_FIELD)
  )
    return undefined;
  const token = (body as Record<string, unknown>)[BODY_TOKEN_FIELD];
  delete (body as Record<string, unknown>)[BODY_TOKEN_FIELD];
  return typeof token === 'string' && token !== '' ? token : undefined;
}

/** The user name of `Authorization: Basic …`, if that is what the header is. */
function basicUser(header: string | undefined): string | undefined {
  const m = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  // A name WaiverDB could store: no control characters, at most its 255.
  return user !== '' && user.length <= 255 && !/[\u0000-\u001f\u007f]/.test(user) ? user : undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}
