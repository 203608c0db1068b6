import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CompiledConfig, Scope } from '../config/config-types.js';
import { tagScope } from './route-access.js';

export interface Caller {
  user: string;
  groups: string[];
  scopes: Scope[];
  /** True when no tokens are configured and the server is on loopback: everything is allowed. */
  anonymous: boolean;
}

const ALL_SCOPES: Scope[] = ['results:write', 'waivers:write', 'updates:write', 'messages:publish', 'runs:write', 'admin'];

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

/**
 * Who is calling, from `Authorization: Bearer TOKEN`. Tokens are compared by their SHA-256
 * hash, in constant time, so the configuration never holds a usable secret.
 */
export class Authenticator {
  private readonly tokens: Array<{ hash: Buffer; caller: Caller }>;
  readonly open: boolean;

  constructor(config: CompiledConfig) {
    this.tokens = config.auth.tokens.map((t) => ({
      hash: Buffer.from(t.sha256, 'hex'),
      caller: { user: t.user, groups: t.groups, scopes: t.scopes, anonymous: false },
    }));
    this.open = this.tokens.length === 0 && isLoopback(config.server.host);
  }

  identify(header: string | undefined): Caller | undefined | 'invalid' {
    if (!header) return this.open ? { user: 'anonymous', groups: [], scopes: ALL_SCOPES, anonymous: true } : undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return 'invalid';
    const hash = createHash('sha256').update(m[1]!, 'utf8').digest();
    const hit = this.tokens.find((t) => timingSafeEqual(t.hash, hash));
    return hit ? hit.caller : 'invalid';
  }

  /**
   * A fastify preHandler that lets through only callers holding `scope` (or admin): 401 without a
   * valid token, 403 with one that lacks the scope; both say which scope is needed.
   */
  require(scope: Scope) {
    return tagScope(async (req: FastifyRequest, reply: FastifyReply) => {
      const caller = this.identify(req.headers.authorization);
      if (caller === undefined) {
        return reply.code(401).send({ message: `this endpoint needs an API token with scope "${scope}" (Authorization: Bearer TOKEN)` });
      }
      if (caller === 'invalid') return reply.code(401).send({ message: 'the API token is not valid' });
      if (!caller.scopes.includes(scope) && !caller.scopes.includes('admin')) {
        return reply.code(403).send({ message: `user ${caller.user} lacks the scope "${scope}" this endpoint needs` });
      }
      req.caller = caller;
    }, scope);
  }

  /** For reads when auth.readsRequireToken is set: any valid token will do. */
  requireToken() {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      const caller = this.identify(req.headers.authorization);
      if (caller === undefined) return reply.code(401).send({ message: 'reads need an API token here (auth.readsRequireToken): Authorization: Bearer TOKEN' });
      if (caller === 'invalid') return reply.code(401).send({ message: 'the API token is not valid' });
      req.caller = caller;
    };
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}
