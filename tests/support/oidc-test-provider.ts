import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';

/** Resource indicators (RFC 8707) the test provider knows, and the access tokens it issues for each. */
export const RESOURCES = {
  /** JWT access tokens (RFC 9068) for Sluice. */
  sluice: 'https://sluice.test/',
  /** Opaque access tokens for Sluice: only introspection can tell what they are. */
  sluiceOpaque: 'https://sluice.test/opaque',
  /** JWTs that live one second. */
  sluiceShortLived: 'https://sluice.test/short',
  /** JWTs for another service. */
  other: 'https://other.test/',
} as const;

export const SLUICE_AUDIENCE = 'sluice';
/** OAuth scopes the provider hands out. */
export const OAUTH_SCOPES = [
  'openid',
  'https://waiverdb.fedoraproject.org/oidc/create-waiver',
  'resultsdb-write',
];

/** The OAuth clients; client_credentials tokens carry these users and groups (Keycloak's shape). */
export const CLIENTS = {
  alice: { user: 'alice', groups: ['qa'] },
  bob: { user: 'bob', groups: ['packager'] },
  'ci-bot': { user: 'ci-bot', groups: ['ci'] },
} as const;
export const CLIENT_SECRET = 'client-secret-for-tests';
/** The client Sluice introspects tokens as. */
export const INTROSPECTION_CLIENT = { id: 'sluice', secret: 'sluice-introspection-secret' };

export interface TestProvider {
  issuer: string;
  /** An access token from the token endpoint (client_credentials grant). */
  token(client: keyof typeof CLIENTS, resource: string, scope?: string): Promise<string>;
  revoke(client: keyof typeof CLIENTS, token: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (the `oidc-provider` package) on a loopback port, issuing real
 * access tokens by the client_credentials grant with a resource indicator. Two providers made
 * with the same `signingKey` sign alike but are different issuers.
 */
export async function startTestProvider({ signingKey }: { signingKey?: JWK } = {}): Promise<TestProvider> {
  const key = signingKey ?? (await newSigningKey());
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const resourceServers: Record<
    string,
    { audience: string; accessTokenFormat: 'jwt' | 'opaque'; accessTokenTTL: number }
  > = {
    [RESOURCES.sluice]: { audience: SLUICE_AUDIENCE, accessTokenFormat: 'jwt', accessTokenTTL: 300 },
    [RESOURCES.sluiceOpaque]: { audience: SLUICE_AUDIENCE, accessTokenFormat: 'opaque', accessTokenTTL: 300 },
    [RESOURCES.sluiceShortLived]: { audience: SLUICE_AUDIENCE, accessTokenFormat: 'jwt', accessTokenTTL: 1 },
    [RESOURCES.other]: { audience: 'other-service', accessTokenFormat: 'jwt', accessTokenTTL: 300 },
  };
  const provider = new Provider(issuer, {
    clients: [
      ...Object.keys(CLIENTS).map((id) => ({
        client_id: id,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        scope: OAUTH_SCOPES.join(' '),
      })),
      {
        client_id: INTROSPECTION_CLIENT.id,
        client_secret: INTROSPECTION_CLIENT.secret,
        grant_types: [],
        redirect_uris: [],
        response_types: [],
      },
    ],
    jwks: { keys: [key] },
    scopes: OAUTH_SCOPES,
    ttl: { ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        allowedPolicy: async (ctx) => ctx.oidc.client?.clientId === INTROSPECTION_CLIENT.id,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (ctx, _client, token) => token.clientId === ctx.oidc.client?.clientId,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCES.sluice,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          const info = resourceServers[resource];
          if (!info) throw new Error(`unknown resource ${resource}`);
          return { ...info, scope: OAUTH_SCOPES.join(' ') };
        },
      },
    },
    extraTokenClaims: (_ctx, token) => {
      const who = CLIENTS[(token as { clientId?: string }).clientId as keyof typeof CLIENTS];
      return who ? { preferred_username: who.user, realm_access: { roles: [...who.groups] } } : {};
    },
  });
  server.on('request', provider.callback());

  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  const form = (client: string, path: string, params: Record<string, string>) =>
    fetch(`${issuer}${path}`, {
      method: 'POST',
      headers: {
        authorization: basic(client, CLIENT_SECRET),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(params),
    });
  return {
    issuer,
    async token(client, resource, scope = OAUTH_SCOPES.slice(1).join(' ')) {
      const res = await form(client, '/token', { grant_type: 'client_credentials', resource, scope });
      const body = (await res.json()) as { access_token?: string };
      if (res.status !== 200 || !body.access_token)
        throw new Error(`token endpoint: ${res.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async revoke(client, token) {
      const res = await form(client, '/token/revocation', { token, token_type_hint: 'access_token' });
      if (res.status !== 200) throw new Error(`revocation endpoint: ${res.status} ${await res.text()}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function newSigningKey(kid = 'test-key'): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}
