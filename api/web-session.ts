import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Scope } from '../config/config-types.js';
import type { WebSession, WebSessionsStore } from '../db/web-sessions-store.js';
import type { Caller, Refusal } from './auth.js';

/** The session cookie: HttpOnly, SameSite=Lax, Secure when the public URL is https. */
export const SESSION_COOKIE = 'sluice_session';
/** The OIDC sign-in under way (its `state`), for the callback to match: a login cannot be planted. */
export const LOGIN_COOKIE = 'sluice_login';
/** Where a state-changing request authenticated by the session cookie carries the session's CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';
/** The same token as a form field, for pages that post plain HTML forms (checked by `csrfMatches`). */
export const CSRF_FIELD = '_csrf';

/** Who is signed in to the dashboard, and the CSRF token to put in a form or the X-CSRF-Token header. */
export interface SignedIn {
  user: string;
  groups: string[];
  scopes: Scope[];
  csrfToken: string;
}

/**
 * For the dashboard's pages: the person signed in through this request's session cookie, or
 * null (no cookie, or a session that ended). Reading only: a page may call it on any request.
 */
export function signedIn(sessions: WebSessionsStore, req: FastifyRequest): SignedIn | null {
  const s = sessionOf(sessions, req);
  return s ? { user: s.user, groups: s.groups, scopes: s.scopes, csrfToken: s.csrf } : null;
}

/** Whether `given` is the session's CSRF token (constant time). */
export function csrfMatches(session: Pick<WebSession, 'csrf'>, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(session.csrf, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function sessionOf(sessions: WebSessionsStore, req: FastifyRequest): WebSession | undefined {
  const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
  return id === undefined ? undefined : sessions.get(id);
}

/**
 * The caller a session cookie stands for, for Authenticator: undefined without the cookie; a
 * refusal for a session that ended, or for a state-changing request without the session's CSRF
 * token in X-CSRF-Token (a cross-site form can send the cookie, never that header).
 */
export function sessionCaller(
  sessions: WebSessionsStore,
  req: FastifyRequest,
  safe: boolean,
): Caller | Refusal | undefined {
  const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
  if (id === undefined) return undefined;
  const s = sessions.get(id);
  if (!s) return { status: 401, message: 'the dashboard session has ended: sign in again at /login' };
  if (!safe && !csrfMatches(s, req.headers[CSRF_HEADER]))
    return {
      status: 403,
      message: `a request signed in by the session cookie needs the session's CSRF token in the ${CSRF_HEADER} header`,
    };
  return { user: s.user, groups: s.groups, scopes: s.scopes, anonymous: false };
}

export function setCookie(
  reply: FastifyReply,
  name: string,
  value: string,
  { maxAgeSeconds, secure, path = '/' }: { maxAgeSeconds: number; secure: boolean; path?: string },
): void {
  const parts = [
    `${name}=${value}`,
    `Path=${path}`,
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(secure ? ['Secure'] : []),
  ];
  const previous = reply.getHeader('set-cookie');
  const all = previous === undefined ? [] : Array.isArray(previous) ? previous : [String(previous)];
  void reply.header('set-cookie', [...all, parts.join('; ')]);
}

/** One cookie's value from a Cookie header (RFC 6265 §5.4: `name=value` pairs split by `; `). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    if (pair.slice(0, eq).trim() === name) {
      const value = pair.slice(eq + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

/** A local path to go back to after signing in: never another site (`//x`, `/\x`, a scheme). */
export function localPath(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length > 2048) return '/';
  return /^\/(?![/\\])[^\s]*$/.test(raw) ? raw : '/';
}
