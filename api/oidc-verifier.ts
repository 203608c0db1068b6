import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { OidcSettings } from '../config/config-types.js';

/** What a token says once the provider vouches for it: its claims (or the introspection answer). */
export type OidcResult =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; status: 401 | 503; message: string };

interface ProviderMetadata {
  jwks: JWTVerifyGetKey;
  introspectionEndpoint: string | null;
}

// Asymmetric only: a token must be signed with the provider's published key, never with a shared
// secret or not at all ("none").
const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
const DISCOVERY_TTL_MS = 3600_000;
const INTROSPECTION_CACHE_ENTRIES = 10_000;

/**
 * Checks OIDC access tokens the way a resource server does: a JWT against the issuer's published
 * keys (found by discovery, cached and fetched again for a key not seen yet), an opaque token at
 * the issuer's introspection endpoint (RFC 7662). The provider being unreachable is a 503, not a
 * 401: the token may well be good.
 */
export class OidcVerifier {
  private metadata: { value: ProviderMetadata; until: number } | undefined;
  private discovering: Promise<ProviderMetadata> | undefined;
  private readonly introspected = new Map<string, { claims: Record<string, unknown>; until: number }>();
  private readonly clientSecret: string | null;

  constructor(private readonly settings: OidcSettings) {
    const i = settings.introspection;
    // Read once at start, so that a missing file stops the service instead of every request.
    this.clientSecret =
      i === null ? null : (i.clientSecret ?? readFileSync(i.clientSecretFile!, 'utf8').trim());
  }

  async verify(token: string): Promise<OidcResult> {
    let metadata: ProviderMetadata;
    try {
      metadata = await this.providerMetadata();
    } catch (err) {
      return {
        ok: false,
        status: 503,
        message: `cannot check the token: the OIDC provider ${this.settings.issuer} did not answer discovery (${(err as Error).message})`,
      };
    }
    if (!looksLikeJwt(token)) {
      if (this.clientSecret === null)
        return {
          ok: false,
          status: 401,
          message: 'the token is not valid (not a JWT, and auth.oidc.introspection is not configured)',
        };
      if (metadata.introspectionEndpoint === null)
        return {
          ok: false,
          status: 503,
          message: `the OIDC provider ${this.settings.issuer} names no introspection_endpoint`,
        };
      return this.introspect(token, metadata.introspectionEndpoint);
    }
    try {
      const { payload } = await jwtVerify(token, metadata.jwks, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ALGORITHMS,
        clockTolerance: this.settings.clockToleranceSeconds,
        requiredClaims: ['exp'],
      });
      return { ok: true, claims: payload as Record<string, unknown> };
    } catch (err) {
      return jwtFailure(err, this.settings);
    }
  }

  private async providerMetadata(): Promise<ProviderMetadata> {
    const now = Date.now();
    if (this.metadata && this.metadata.until > now) return this.metadata.value;
    this.discovering ??= this.discover()
      .then((value) => {
        this.metadata = { value, until: Date.now() + DISCOVERY_TTL_MS };
        return value;
      })
      .catch((err: unknown) => {
        // A provider down for a while: keep what it said last time rather than refuse everyone.
        if (this.metadata) return this.metadata.value;
        throw err;
      })
      .finally(() => {
        this.discovering = undefined;
      });
    return this.discovering;
  }

  private async discover(): Promise<ProviderMetadata> {
    const url = `${this.settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(url, {
      signal: AbortSignal.timeout(this.settings.timeoutMs),
      headers: { accept: 'application/json' },
    });
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    const doc = (await res.json()) as {
      issuer?: unknown;
      jwks_uri?: unknown;
      introspection_endpoint?: unknown;
    };
    // OpenID Connect Discovery 1.0 §4.3: the document must be the configured issuer's own.
    if (doc.issuer !== this.settings.issuer)
      throw new Error(`${url} names the issuer ${JSON.stringify(doc.issuer)}, not ${this.settings.issuer}`);
    if (typeof doc.jwks_uri !== 'string') throw new Error(`${url} has no jwks_uri`);
    const jwks = createRemoteJWKSet(new URL(doc.jwks_uri), {
      timeoutDuration: this.settings.timeoutMs,
      cacheMaxAge: this.settings.jwksCacheSeconds * 1000,
    });
    return {
      jwks,
      introspectionEndpoint:
        typeof doc.introspection_endpoint === 'string' ? doc.introspection_endpoint : null,
    };
  }

  private async introspect(token: string, endpoint: string): Promise<OidcResult> {
    const settings = this.settings.introspection!;
    // Keyed by hash so that the cache holds no usable token.
    const key = createHash('sha256').update(token).digest('base64url');
    const now = Date.now();
    const cached = this.introspected.get(key);
    if (cached && cached.until > now) return { ok: true, claims: cached.claims };
    this.introspected.delete(key);

    let answer: Record<string, unknown>;
    try {
      const res = await fetch(endpoint, {
        method: 'POST',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          // RFC 6749 §2.3.1: client id and secret are form-encoded before Basic encoding.
          authorization: `Basic ${Buffer.from(`${formEncode(settings.clientId)}:${formEncode(this.clientSecret!)}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
      });
      if (res.status === 401 || res.status === 403)
        return {
          ok: false,
          status: 503,
          message: `the OIDC provider refused Sluice's introspection client ${settings.clientId} (HTTP ${res.status})`,
        };
      if (!res.ok)
        return {
          ok: false,
          status: 503,
          message: `cannot check the token: the introspection endpoint answered HTTP ${res.status}`,
        };
      answer = (await res.json()) as Record<string, unknown>;
    } catch (err) {
      return {
        ok: false,
        status: 503,
        message: `cannot check the token: the introspection endpoint did not answer (${(err as Error).message})`,
      };
    }
    if (answer.active !== true)
      return {
        ok: false,
        status: 401,
        message: 'the token is not active (expired, revoked or unknown to the issuer)',
      };
    if (answer.iss !== undefined && answer.iss !== this.settings.issuer)
      return {
        ok: false,
        status: 401,
        message: `the token was issued by ${String(answer.iss)}, not ${this.settings.issuer}`,
      };
    const aud = Array.isArray(answer.aud) ? answer.aud : [answer.aud];
    if (!aud.includes(this.settings.audience))
      return {
        ok: false,
        status: 401,
        message: `the token is not meant for this service (its audience does not include "${this.settings.audience}")`,
      };
    const exp = typeof answer.exp === 'number' ? answer.exp * 1000 : Infinity;
    if (exp + this.settings.clockToleranceSeconds * 1000 <= now)
      return { ok: false, status: 401, message: 'the token has expired' };

    const until = Math.min(now + settings.cacheSeconds * 1000, exp);
    if (until > now) {
      if (this.introspected.size >= INTROSPECTION_CACHE_ENTRIES)
        this.introspected.delete(this.introspected.keys().next().value!);
      this.introspected.set(key, { claims: answer, until });
    }
    return { ok: true, claims: answer };
  }
}

function looksLikeJwt(token: string): boolean {
  if (token.split('.').length !== 3) return false;
  try {
    return typeof decodeProtectedHeader(token).alg === 'string';
  } catch {
    return false;
  }
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function jwtFailure(err: unknown, settings: OidcSettings): OidcResult {
  const refuse = (message: string): OidcResult => ({ ok: false, status: 401, message });
  if (err instanceof errors.JWTExpired) return refuse('the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud')
      return refuse(
        `the token is not meant for this service (its audience does not include "${settings.audience}")`,
      );
    if (err.claim === 'iss') return refuse(`the token was not issued by ${settings.issuer}`);
    return refuse(`the token's "${err.claim}" claim is not valid: ${err.reason}`);
  }
  if (err instanceof errors.JWKSNoMatchingKey)
    return refuse(`the token is signed with a key ${settings.issuer} does not publish`);
  if (err instanceof errors.JWSSignatureVerificationFailed) return refuse('the token signature is not valid');
  if (err instanceof errors.JOSEAlgNotAllowed)
    return refuse('the token is signed with an algorithm that is not accepted');
  if (err instanceof errors.JWKSTimeout)
    return {
      ok: false,
      status: 503,
      message: `cannot check the token: ${settings.issuer} did not send its keys in time`,
    };
  if (err instanceof errors.JOSEError) return refuse(`the token is not valid (${err.message})`);
  // Anything else is the key set not being fetched (network, HTTP status).
  return {
    ok: false,
    status: 503,
    message: `cannot check the token: the keys of ${settings.issuer} could not be fetched (${(err as Error).message})`,
  };
}
