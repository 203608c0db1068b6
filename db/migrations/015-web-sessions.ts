import type { Migration } from '../migration.js';

/**
 * Dashboard sign-ins. web_sessions: one per signed-in browser, keyed by the SHA-256 of the
 * session cookie (the store never holds a usable cookie), with the caller it stands for and its
 * CSRF token. web_logins: an OIDC sign-in under way, keyed by its `state`, holding the PKCE
 * verifier and nonce until the provider sends the browser back. Both in the store, so every
 * process serving the API knows them.
 */
export const webSessions: Migration = {
  version: 15,
  name: 'web-sessions',
  up: `
    CREATE TABLE web_sessions (
      id_sha256  TEXT PRIMARY KEY,
      user       TEXT NOT NULL,
      groups     TEXT NOT NULL,
      scopes     TEXT NOT NULL,
      csrf       TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

    CREATE TABLE web_logins (
      state         TEXT PRIMARY KEY,
      code_verifier TEXT NOT NULL,
      nonce         TEXT NOT NULL,
      return_to     TEXT NOT NULL,
      expires_at    INTEGER NOT NULL
    ) WITHOUT ROWID;
  `,
};
