import { createHash, randomBytes } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Scope } from '../config/config-types.js';
import type { Db } from './open-database.js';

/** Whom a dashboard session stands for, and the CSRF token its forms carry. */
export interface WebSession {
  user: string;
  groups: string[];
  scopes: Scope[];
  csrf: string;
  expiresAt: number;
}

/** An OIDC sign-in under way: what the callback needs to finish it. */
export interface PendingLogin {
  codeVerifier: string;
  nonce: string;
  returnTo: string;
}

const LOGIN_TTL_MS = 600_000;

/** Sessions and pending sign-ins (migration 015). Session ids are kept only as their SHA-256. */
export class WebSessionsStore {
  private readonly sql: Record<
    'insert' | 'get' | 'remove' | 'expire' | 'addLogin' | 'takeLogin' | 'dropLogin' | 'expireLogins',
    Statement
  >;

  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sql = {
      insert:
        db.prepare(`INSERT INTO web_sessions (id_sha256, user, groups, scopes, csrf, created_at, expires_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)`),
      get: db.prepare('SELECT user, groups, scopes, csrf, expires_at FROM web_sessions WHERE id_sha256 = ?'),
      remove: db.prepare('DELETE FROM web_sessions WHERE id_sha256 = ?'),
      expire: db.prepare('DELETE FROM web_sessions WHERE expires_at <= ?'),
      addLogin: db.prepare(
        'INSERT INTO web_logins (state, code_verifier, nonce, return_to, expires_at) VALUES (?, ?, ?, ?, ?)',
      ),
      takeLogin: db.prepare(
        'SELECT code_verifier, nonce, return_to, expires_at FROM web_logins WHERE state = ?',
      ),
      dropLogin: db.prepare('DELETE FROM web_logins WHERE state = ?'),
      expireLogins: db.prepare('DELETE FROM web_logins WHERE expires_at <= ?'),
    };
  }

  /** A new session; returns its id (the cookie's value, nowhere else) and the session. */
  create(who: { user: string; groups: string[]; scopes: Scope[] }): { id: string; session: WebSession } {
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    const session: WebSession = {
      ...who,
      csrf: randomBytes(32).toString('base64url'),
      expiresAt: now + this.ttlMs,
    };
    this.db.transaction(() => {
      this.sql.expire.run(now);
      this.sql.insert.run(
        digest(id),
        who.user,
        JSON.stringify(who.groups),
        JSON.stringify(who.scopes),
        session.csrf,
        now,
        session.expiresAt,
      );
    })();
    return { id, session };
  }

  /** The live session with this id, if any. */
  get(id: string): WebSession | undefined {
    const row = this.sql.get.get(digest(id)) as
      | { user: string; groups: string; scopes: string; csrf: string; expires_at: number }
      | undefined;
    if (!row || row.expires_at <= this.now()) return undefined;
    return {
      user: row.user,
      groups: JSON.parse(row.groups) as string[],
      scopes: JSON.parse(row.scopes) as Scope[],
      csrf: row.csrf,
      expiresAt: row.expires_at,
    };
  }

  remove(id: string): void {
    this.sql.remove.run(digest(id));
  }

  addLogin(state: string, login: PendingLogin): void {
    const now = this.now();
    this.db.transaction(() => {
      this.sql.expireLogins.run(now);
      this.sql.addLogin.run(state, login.codeVerifier, login.nonce, login.returnTo, now + LOGIN_TTL_MS);
    })();
  }

  /** The sign-in started with this state, used up: a callback cannot be replayed. */
  takeLogin(state: string): PendingLogin | undefined {
    return this.db.transaction(() => {
      const row = this.sql.takeLogin.get(state) as
        | { code_verifier: string; nonce: string; return_to: string; expires_at: number }
        | undefined;
      if (!row) return undefined;
      this.sql.dropLogin.run(state);
      if (row.expires_at <= this.now()) return undefined;
      return { codeVerifier: row.code_verifier, nonce: row.nonce, returnTo: row.return_to };
    })();
  }
}

function digest(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}
