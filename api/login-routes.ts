import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as client from 'openid-client';
import type { OidcLoginSettings, OidcSettings } from '../config/config-types.js';
import type { WebSessionsStore } from '../db/web-sessions-store.js';
import type { AppContext } from './app-context.js';
import type { Caller } from './auth.js';
import { oidcCaller } from './oidc-caller.js';
import { PUBLIC } from './route-access.js';
import {
  CSRF_FIELD,
  CSRF_HEADER,
  LOGIN_COOKIE,
  SESSION_COOKIE,
  cookieValue,
  csrfMatches,
  localPath,
  sessionOf,
  setCookie,
} from './web-session.js';

export const LOGIN_PATH = '/login';
export const LOGIN_CALLBACK_PATH = '/login/callback';
export const LOGIN_TOKEN_PATH = '/login/token';
export const LOGIN_SESSION_PATH = '/login/session';
export const LOGOUT_PATH = '/logout';

/** What these routes use of the service: nothing else reaches them. */
export type LoginRouteDeps = Pick<AppContext, 'config' | 'auth' | 'sessions' | 'serverUrl'>;

const doc = (summary: string) => ({ schema: { summary, tags: ['operations'] } });

/**
 * Signing people in to the dashboard. With auth.oidc.login, `GET /login` starts the
 * authorization-code flow with PKCE at the provider and `GET /login/callback` finishes it: the ID
 * token's claims (and the OAuth scopes granted) become user, groups and scopes exactly as a bearer
 * token's do (oidc-caller.ts). Without it, `POST /login/token` takes an API token pasted by the
 * person. Either way the browser gets a session cookie that the API's auth accepts as the caller,
 * with the session's CSRF token required on every state-changing request. `POST /logout` ends it.
 */
export function loginRoutes(app: FastifyInstance, ctx: LoginRouteDeps): void {
  const sessions = ctx.sessions;
  const secure = () => ctx.serverUrl().startsWith('https:');
  const ttlSeconds = ctx.config.auth.sessionSeconds;
  const oidc = ctx.config.auth.oidc;
  const login = oidc?.login ? new OidcLogin(oidc, oidc.login) : null;

  const startSession = (reply: FastifyReply, who: Pick<Caller, 'user' | 'groups' | 'scopes'>) => {
    const { id, session } = sessions.create({ user: who.user, groups: who.groups, scopes: who.scopes });
    setCookie(reply, SESSION_COOKIE, id, { maxAgeSeconds: ttlSeconds, secure: secure() });
    return session;
  };

  // Forms post urlencoded; parsed here only, where a person's browser is expected.
  app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 16_384 },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );

    scope.get<{ Querystring: { return_to?: string } }>(
      LOGIN_PATH,
      {
        config: PUBLIC,
        ...doc('Sign in to the dashboard: to the OIDC provider, or a form for an API token'),
      },
      async (req, reply) => {
        const returnTo = localPath(req.query.return_to);
        if (!login) return reply.type('text/html; charset=utf-8').send(tokenForm(returnTo));
        let url: URL;
        try {
          url = await login.start(sessions, returnTo, `${ctx.serverUrl()}${LOGIN_CALLBACK_PATH}`, (state) =>
            setCookie(reply, LOGIN_COOKIE, state, {
              maxAgeSeconds: 600,
              secure: secure(),
              path: LOGIN_CALLBACK_PATH,
            }),
          );
        } catch (err) {
          req.log.warn({ err: (err as Error).message }, 'OIDC sign-in could not start');
          return reply.code(503).send({
            message: `cannot sign in now: the OIDC provider ${oidc!.issuer} did not answer (${(err as Error).message})`,
          });
        }
        return reply.redirect(url.href, 302);
      },
    );

    scope.get(
      LOGIN_CALLBACK_PATH,
      { config: PUBLIC, ...doc('Where the OIDC provider sends the browser back after sign-in') },
      async (req, reply) => {
        if (!login)
          return reply.code(404).send({ message: 'OIDC sign-in is not configured (auth.oidc.login)' });
        const at = req.url.indexOf('?');
        const query = new URLSearchParams(at < 0 ? '' : req.url.slice(at + 1));
        const state = query.get('state');
        if (query.has('error'))
          return reply.code(401).send({
            message: `the OIDC provider refused the sign-in: ${query.get('error')}${query.get('error_description') ? ` (${query.get('error_description')})` : ''}`,
          });
        if (!state || cookieValue(req.headers.cookie, LOGIN_COOKIE) !== state)
          return reply.code(400).send({
            message: 'state: does not match the sign-in this browser started; start again at /login',
          });
        const pending = sessions.takeLogin(state);
        if (!pending)
          return reply
            .code(400)
            .send({ message: 'state: unknown or expired sign-in; start again at /login' });
        const callbackUrl = new URL(`${ctx.serverUrl()}${LOGIN_CALLBACK_PATH}?${query}`);
        let who: ReturnType<typeof oidcCaller>;
        try {
          who = await login.finish(callbackUrl, state, pending);
        } catch (err) {
          req.log.warn({ err: (err as Error).message }, 'OIDC sign-in failed');
          return reply
            .code(401)
            .send({ message: `the sign-in could not be completed: ${(err as Error).message}` });
        }
        setCookie(reply, LOGIN_COOKIE, '', { maxAgeSeconds: 0, secure: secure(), path: LOGIN_CALLBACK_PATH });
        if (!who.ok) return reply.code(who.status).send({ message: who.message });
        startSession(reply, who);
        return reply.redirect(pending.returnTo, 303);
      },
    );

    scope.post<{ Body: Record<string, unknown> | undefined }>(
      LOGIN_TOKEN_PATH,
      { config: PUBLIC, ...doc('Sign in to the dashboard with an API token: {"token"} (JSON or a form)') },
      async (req, reply) => {
        if (!sameOrigin(req, ctx.serverUrl()))
          return reply
            .code(403)
            .send({ message: 'Origin: a sign-in must come from this server’s own pages' });
        const body = req.body && typeof req.body === 'object' ? req.body : {};
        const token = body.token;
        if (typeof token !== 'string' || token.trim() === '' || token.length > 8192)
          return reply.code(400).send({ message: 'token: must be an API token (a non-empty string)' });
        if (ctx.auth.open)
          return reply.code(409).send({
            message:
              'no authentication is configured on this loopback server: everything is open, no sign-in needed',
          });
        const caller = await ctx.auth.identify(`Bearer ${token.trim()}`);
        if (caller === undefined || 'status' in caller)
          return reply
            .code(caller?.status ?? 401)
            .send({ message: caller?.message ?? 'the API token is not valid' });
        const session = startSession(reply, caller);
        if (isForm(req)) return reply.redirect(localPath(body.return_to), 303);
        return {
          user: session.user,
          groups: session.groups,
          scopes: session.scopes,
          csrf_token: session.csrf,
        };
      },
    );

    scope.get(
      LOGIN_SESSION_PATH,
      { config: PUBLIC, ...doc('Who is signed in through the session cookie, with its CSRF token') },
      async (req, reply) => {
        const s = sessionOf(sessions, req);
        if (!s) return reply.code(401).send({ message: 'not signed in (no session, or it ended): /login' });
        void reply.header('cache-control', 'no-store');
        return {
          user: s.user,
          groups: s.groups,
          scopes: s.scopes,
          csrf_token: s.csrf,
          expires: new Date(s.expiresAt).toISOString(),
        };
      },
    );

    scope.post<{ Body: Record<string, unknown> | undefined }>(
      LOGOUT_PATH,
      { config: PUBLIC, ...doc("Sign out: ends the session (needs the session's CSRF token)") },
      async (req, reply) => {
        const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
        const s = sessionOf(sessions, req);
        if (id !== undefined && s) {
          const given =
            req.headers[CSRF_HEADER] ?? (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
          if (!csrfMatches(s, given))
            return reply.code(403).send({
              message: `signing out needs the session's CSRF token (the ${CSRF_HEADER} header or the ${CSRF_FIELD} field)`,
            });
          sessions.remove(id);
        }
        setCookie(reply, SESSION_COOKIE, '', { maxAgeSeconds: 0, secure: secure() });
        return isForm(req) ? reply.redirect('/', 303) : reply.code(204).send();
      },
    );
  });
}

/**
 * The dashboard's OIDC client (openid-client): discovery once (again after a failure), then for
 * each sign-in a fresh state, nonce and PKCE verifier kept in the store until the callback.
 */
class OidcLogin {
  private configuration: Promise<client.Configuration> | undefined;
  private readonly secret: string | null;

  constructor(
    private readonly settings: OidcSettings,
    private readonly login: OidcLoginSettings,
  ) {
    this.secret =
      login.clientSecret ??
      (login.clientSecretFile ? readFileSync(login.clientSecretFile, 'utf8').trim() : null);
  }

  private config(): Promise<client.Configuration> {
    this.configuration ??= client
      .discovery(
        new URL(this.settings.issuer),
        this.login.clientId,
        undefined,
        this.secret === null ? client.None() : client.ClientSecretBasic(this.secret),
        {
          timeout: Math.ceil(this.settings.timeoutMs / 1000),
          // A provider on plain http is what the configuration says (a test or a private network).
          ...(this.settings.issuer.startsWith('http:') ? { execute: [client.allowInsecureRequests] } : {}),
        },
      )
      .catch((err: unknown) => {
        this.configuration = undefined;
        throw err;
      });
    return this.configuration;
  }

  async start(
    sessions: WebSessionsStore,
    returnTo: string,
    redirectUri: string,
    remember: (state: string) => void,
  ): Promise<URL> {
    const config = await this.config();
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    sessions.addLogin(state, { codeVerifier, nonce, returnTo });
    remember(state);
    return client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.login.scope,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
  }

  /** The ID token's claims as a caller; the OAuth scopes granted count as the token's (requiredScope, tokenScopes). */
  async finish(
    callbackUrl: URL,
    state: string,
    pending: { codeVerifier: string; nonce: string },
  ): Promise<ReturnType<typeof oidcCaller>> {
    const tokens = await client.authorizationCodeGrant(await this.config(), callbackUrl, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (!claims) throw new Error('the provider sent no ID token');
    const granted = tokens.scope ?? this.login.scope;
    return oidcCaller({ ...claims, scope: granted }, this.settings);
  }
}

function isForm(req: FastifyRequest): boolean {
  return /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');
}

/** A browser names the page's origin on a POST; another site's form must not sign anyone in. */
function sameOrigin(req: FastifyRequest, serverUrl: string): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(serverUrl).origin === origin;
  } catch {
    return false;
  }
}

function tokenForm(returnTo: string): string {
  const escaped = returnTo.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · Sluice</title></head>
<body><main><h1>Sign in to Sluice</h1>
<form method="post" action="${LOGIN_TOKEN_PATH}">
<label for="token">API token</label> <input id="token" name="token" type="password" autocomplete="off" required>
<input type="hidden" name="return_to" value="${escaped}">
<button type="submit">Sign in</button>
</form></main></body></html>
`;
}
