import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { SignJWT, importJWK } from 'jose';
import { parse } from 'yaml';
import { hashToken } from '../../api/auth.js';
import type { RawConfig } from '../../config/config-types.js';
import { compileConfig, validateConfig } from '../../service/load-config.js';
import { SluiceService } from '../../service/sluice-service.js';
import type { WaiverJson } from '../../waivers/waiver-json.js';
import {
  INTROSPECTION_CLIENT,
  RESOURCES,
  SLUICE_AUDIENCE,
  newSigningKey,
  startTestProvider,
  type TestProvider,
} from '../support/oidc-test-provider.js';
import { ROOT, tempDir } from '../support/paths.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';

// A real OIDC provider (oidc-provider, a dev dependency) issues every token here; if it cannot
// start, `before` throws and every test fails, in CI and out of it.

const CREATE_WAIVER = 'https://waiverdb.fedoraproject.org/oidc/create-waiver';
const RESULTSDB_WRITE = 'resultsdb-write';

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { message?: string };
}

async function start(raw: RawConfig): Promise<{ service: SluiceService; base: string }> {
  const service = await SluiceService.create({
    config: testConfig(raw),
    log: silentLogger(),
    registry: testRegistry(),
  });
  return { service, base: (await service.start())! };
}

async function call(
  base: string,
  method: string,
  url: string,
  { body, headers = {} }: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * waiverdb-cli's request (release-engineering/waiverdb, waiverdb/cli.py before its removal in
 * be535a6): a JSON list of waivers, `username` null unless --username is given, sent by
 * python-openidc-client's send_request with `Authorization: Bearer <access token>`.
 */
function waiverdbCliBody(nvr: string, testcase: string) {
  return [
    {
      subject_identifier: nvr,
      subject_type: 'koji_build',
      testcase,
      waived: true,
      scenario: null,
      product_version: 'fedora-42',
      comment: 'known flake',
      username: null,
    },
  ];
}
const waiverdbCliHeaders = (token: string) => ({ ...bearer(token), 'user-agent': 'waiverdb-cli 1.4.0' });

describe('OIDC access tokens from a real provider', () => {
  let provider: TestProvider;
  let base: string;
  let service: SluiceService;

  before(async () => {
    provider = await startTestProvider();
    const secretFile = path.join(tempDir(), 'introspection-secret');
    writeFileSync(secretFile, `${INTROSPECTION_CLIENT.secret}\n`);
    ({ service, base } = await start({
      auth: {
        tokens: [{ user: 'ops', sha256: hashToken('static-ops-token'), scopes: ['admin'] }],
        oidc: {
          issuer: provider.issuer,
          audience: SLUICE_AUDIENCE,
          // Keycloak's claims, as WaiverDB's OIDC_USERNAME_FIELD and OIDC_GROUPS_FIELD name them.
          userClaim: 'preferred_username',
          groupsClaim: 'realm_access.roles',
          scopes: ['waivers:write'],
          tokenScopes: { [RESULTSDB_WRITE]: ['results:write'] },
          clockToleranceSeconds: 0,
          introspection: { clientId: INTROSPECTION_CLIENT.id, clientSecretFile: secretFile, cacheSeconds: 0 },
        },
      },
      waivers: {
        permissions: [
          { name: 'QA', testcases: ['dist.*'], groups: ['qa'] },
          { name: 'Operators', testcases: ['other.*'], users: ['ops'] },
        ],
      },
    }));
  });
  after(async () => {
    await service?.stop();
    await provider?.close();
  });

  test("waiverdb-cli's request with a JWT access token: the waiver is the token's user's, allowed by the user's groups", async () => {
    const token = await provider.token('alice', RESOURCES.sluice);
    const res = await call(base, 'POST', '/api/v1.0/waivers/', {
      body: waiverdbCliBody('bash-5.2.26-3.fc42', 'dist.rpmdeplint'),
      headers: waiverdbCliHeaders(token),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const [waiver] = res.body as unknown as WaiverJson[];
    assert.equal(waiver!.username, 'alice');
    assert.equal(waiver!.proxied_by, null);
    assert.equal(waiver!.testcase, 'dist.rpmdeplint');
  });

  test("a user outside the test case's permission groups gets WaiverDB's 403, and nothing is stored", async () => {
    const token = await provider.token('bob', RESOURCES.sluice);
    const nvr = 'zsh-5.9-9.fc42';
    const res = await call(base, 'POST', '/api/v1.0/waivers/', {
      body: waiverdbCliBody(nvr, 'dist.rpmdeplint'),
      headers: waiverdbCliHeaders(token),
    });
    assert.equal(res.status, 403);
    assert.equal(
      res.body.message,
      'User bob is not authorized to submit waivers for the test case dist.rpmdeplint',
    );
    const listed = await call(base, 'GET', `/api/v1.0/waivers/?subject_identifier=${nvr}`);
    assert.deepEqual(listed.body.data, []);
  });

  test("resultsdb_api's _auth_token in the JSON body stands for the request's token and is never stored", async () => {
    // ResultsDB before v3 (release-engineering/resultsdb, resultsdb/__init__.py at 5cb7df4) took
    // the OIDC token of a POST from the JSON body's `_auth_token`; resultsdb_api puts it there.
    const token = await provider.token('ci-bot', RESOURCES.sluice, RESULTSDB_WRITE);
    const body = {
      outcome: 'PASSED',
      testcase: { name: 'dist.abicheck' },
      groups: null,
      note: 'ok',
      ref_url: 'https://ci.example/1',
      data: { item: 'bash-5.2.26-3.fc42', type: 'koji_build' },
      _auth_token: token,
    };
    const created = await call(base, 'POST', '/api/v2.0/results', { body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const stored = await call(base, 'GET', `/api/v2.0/results/${String(created.body.id)}`);
    assert.equal(stored.status, 200);
    const text = JSON.stringify(stored.body);
    assert.ok(!text.includes('_auth_token') && !text.includes(token), text);
    assert.ok(!JSON.stringify(created.body).includes(token));

    // The body's token is checked like a header's: a token without resultsdb-write lacks the
    // scope, none at all is a 401 naming the scope, a forged one a 401.
    const waiverOnly = await provider.token('alice', RESOURCES.sluice, CREATE_WAIVER);
    const refused = await call(base, 'POST', '/api/v2.0/results', {
      body: { ...body, _auth_token: waiverOnly },
    });
    assert.equal(refused.status, 403);
    assert.match(refused.body.message!, /user alice lacks the scope "results:write"/);
    const { _auth_token: _, ...without } = body;
    const none = await call(base, 'POST', '/api/v2.0/results', { body: without });
    assert.equal(none.status, 401);
    assert.match(none.body.message!, /needs an API token with scope "results:write"/);
    const forged = await call(base, 'POST', '/api/v2.0/results', {
      body: { ...body, _auth_token: `${token.slice(0, -4)}AAAA` },
    });
    assert.equal(forged.status, 401);
  });

  test('an expired token: 401 saying so, with WWW-Authenticate error="invalid_token" so a client fetches a new one', async () => {
    const token = await provider.token('alice', RESOURCES.sluiceShortLived);
    await sleep(2100);
    const res = await call(base, 'POST', '/api/v1.0/waivers/', {
      body: waiverdbCliBody('expired-1-1.fc42', 'dist.rpmdeplint'),
      headers: waiverdbCliHeaders(token),
    });
    assert.equal(res.status, 401);
    assert.equal(res.body.message, 'the token has expired');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
  });

  test('a token for another audience: 401', async () => {
    const token = await provider.token('alice', RESOURCES.other);
    const res = await call(base, 'POST', '/api/v1.0/waivers/', {
      body: waiverdbCliBody('aud-1-1.fc42', 'dist.rpmdeplint'),
      headers: waiverdbCliHeaders(token),
    });
    assert.equal(res.status, 401);
    assert.match(res.body.message!, /not meant for this service.*"sluice"/);
  });

  test('a token from another issuer, even one signing with the same key: 401', async (t) => {
    const key = newSigningKey('shared');
    const [one, two] = await Promise.all([
      startTestProvider({ signingKey: await key }),
      startTestProvider({ signingKey: await key }),
    ]);
    t.after(() => Promise.all([one.close(), two.close()]));
    const { service: trusting, base: trustingBase } = await start({
      auth: { oidc: { issuer: one.issuer, audience: SLUICE_AUDIENCE, userClaim: 'preferred_username' } },
    });
    t.after(() => trusting.stop());
    const body = waiverdbCliBody('iss-1-1.fc42', 'dist.rpmdeplint');
    const good = await call(trustingBase, 'POST', '/api/v1.0/waivers/', {
      body,
      headers: waiverdbCliHeaders(await one.token('alice', RESOURCES.sluice)),
    });
    assert.equal(good.status, 201, JSON.stringify(good.body));
    const res = await call(trustingBase, 'POST', '/api/v1.0/waivers/', {
      body,
      headers: waiverdbCliHeaders(await two.token('alice', RESOURCES.sluice)),
    });
    assert.equal(res.status, 401);
    assert.equal(res.body.message, `the token was not issued by ${one.issuer}`);
  });

  test('a token signed with a key the issuer does not publish: 401', async () => {
    const rogue = await newSigningKey('rogue');
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      preferred_username: 'alice',
      realm_access: { roles: ['qa'] },
      scope: CREATE_WAIVER,
      client_id: 'alice',
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'rogue' })
      .setIssuer(provider.issuer)
      .setAudience(SLUICE_AUDIENCE)
      .setSubject('alice')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .setJti('rogue-1')
      .sign(await importJWK(rogue, 'RS256'));
    const res = await call(base, 'POST', '/api/v1.0/waivers/', {
      body: waiverdbCliBody('key-1-1.fc42', 'dist.rpmdeplint'),
      headers: waiverdbCliHeaders(token),
    });
    assert.equal(res.status, 401);
    assert.equal(res.body.message, `the token is signed with a key ${provider.issuer} does not publish`);
  });

  test('an opaque token is checked by introspection: accepted while active, 401 once revoked', async () => {
    const token = await provider.token('alice', RESOURCES.sluiceOpaque);
    assert.equal(token.split('.').length, 1, 'the provider issued an opaque token');
    const first = await call(base, 'POST', '/api/v1.0/waivers/', {
      body: waiverdbCliBody('opaque-1-1.fc42', 'dist.rpmdeplint'),
      headers: waiverdbCliHeaders(token),
    });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal((first.body as unknown as WaiverJson[])[0]!.username, 'alice');
    await provider.revoke('alice', token);
    const revoked = await call(base, 'POST', '/api/v1.0/waivers/', {
      body: waiverdbCliBody('opaque-2-1.fc42', 'dist.rpmdeplint'),
      headers: waiverdbCliHeaders(token),
    });
    assert.equal(revoked.status, 401);
    assert.match(revoked.body.message!, /not active/);
  });

  test('the configured API tokens still work beside OIDC, and an unknown opaque string is refused', async () => {
    const res = await call(base, 'POST', '/api/v1.0/waivers/', {
      body: waiverdbCliBody('static-1-1.fc42', 'other.test'),
      headers: bearer('static-ops-token'),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal((res.body as unknown as WaiverJson[])[0]!.username, 'ops');
    const unknown = await call(base, 'POST', '/api/v1.0/waivers/', {
      body: waiverdbCliBody('static-2-1.fc42', 'other.test'),
      headers: bearer('no-such-token'),
    });
    assert.equal(unknown.status, 401);
  });

  test('HTTP Basic is refused when OIDC is configured', async () => {
    const res = await call(base, 'POST', '/api/v1.0/waivers/', {
      body: waiverdbCliBody('basic-1-1.fc42', 'dist.rpmdeplint'),
      headers: { authorization: `Basic ${Buffer.from('alice:pass').toString('base64')}` },
    });
    assert.equal(res.status, 401);
  });
});

describe('auth.oidc.requiredScope and an unreachable provider', () => {
  let provider: TestProvider;
  before(async () => {
    provider = await startTestProvider();
  });
  after(() => provider?.close());

  test("a token without the required OAuth scope (WaiverDB's OIDC_REQUIRED_SCOPE) gets 403 naming it", async (t) => {
    const { service, base } = await start({
      auth: {
        oidc: {
          issuer: provider.issuer,
          audience: SLUICE_AUDIENCE,
          userClaim: 'preferred_username',
          requiredScope: CREATE_WAIVER,
        },
      },
    });
    t.after(() => service.stop());
    const without = await call(base, 'POST', '/api/v1.0/waivers/', {
      body: waiverdbCliBody('scope-1-1.fc42', 'dist.x'),
      headers: waiverdbCliHeaders(await provider.token('alice', RESOURCES.sluice, RESULTSDB_WRITE)),
    });
    assert.equal(without.status, 403);
    assert.equal(
      without.body.message,
      `the token lacks the OAuth scope "${CREATE_WAIVER}" (auth.oidc.requiredScope)`,
    );
    const withIt = await call(base, 'POST', '/api/v1.0/waivers/', {
      body: waiverdbCliBody('scope-1-1.fc42', 'dist.x'),
      headers: waiverdbCliHeaders(await provider.token('alice', RESOURCES.sluice, CREATE_WAIVER)),
    });
    assert.equal(withIt.status, 201, JSON.stringify(withIt.body));
  });

  test('group scopes: a group mapped to results:write may post results, another may not', async (t) => {
    const { service, base } = await start({
      auth: {
        oidc: {
          issuer: provider.issuer,
          audience: SLUICE_AUDIENCE,
          groupsClaim: 'realm_access.roles',
          scopes: [],
          groupScopes: { ci: ['results:write'] },
        },
      },
    });
    t.after(() => service.stop());
    const result = {
      outcome: 'PASSED',
      testcase: 'dist.abicheck',
      data: { item: 'x-1-1.fc42', type: 'koji_build' },
    };
    const ci = await call(base, 'POST', '/api/v2.0/results', {
      body: result,
      headers: bearer(await provider.token('ci-bot', RESOURCES.sluice)),
    });
    assert.equal(ci.status, 201, JSON.stringify(ci.body));
    const qa = await call(base, 'POST', '/api/v2.0/results', {
      body: result,
      headers: bearer(await provider.token('alice', RESOURCES.sluice)),
    });
    assert.equal(qa.status, 403);
    // userClaim defaults to sub, which a client_credentials token sets to the client id.
    assert.match(qa.body.message!, /user alice lacks the scope "results:write"/);
  });

  test('a provider that does not answer: 503 saying the token cannot be checked, never a pass', async (t) => {
    const token = await provider.token('alice', RESOURCES.sluice);
    const gone = await startTestProvider();
    await gone.close();
    const { service, base } = await start({
      auth: { oidc: { issuer: gone.issuer, audience: SLUICE_AUDIENCE, timeoutMs: 1000 } },
    });
    t.after(() => service.stop());
    const res = await call(base, 'POST', '/api/v1.0/waivers/', {
      body: waiverdbCliBody('down-1-1.fc42', 'dist.x'),
      headers: waiverdbCliHeaders(token),
    });
    assert.equal(res.status, 503);
    assert.match(res.body.message!, /cannot check the token/);
  });
});

describe('the auth.oidc configuration', () => {
  test("the README's example is a valid configuration", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Joining a real deployment'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const config = compileConfig(validateConfig(parse(yaml), 'README'), 'README', '/');
    assert.equal(config.auth.oidc!.issuer, 'https://id.fedoraproject.org/openidc');
    assert.deepEqual(config.auth.oidc!.scopes, ['waivers:write']);
    assert.deepEqual(config.server.cors, ['https://bodhi.fedoraproject.org']);
    assert.equal(config.bus.topicPrefix, 'org.fedoraproject.prod.');
    assert.deepEqual(config.bus.consumePrefixes, ['org.centos.prod.']);
    assert.equal(config.gating.koji.url, 'https://koji.fedoraproject.org/kojihub');
  });

  test('introspection needs exactly one of clientSecret and clientSecretFile; issuer and audience are required', () => {
    const issuer = 'https://id.example';
    assert.throws(
      () =>
        testConfig({ auth: { oidc: { issuer, audience: 'sluice', introspection: { clientId: 'sluice' } } } }),
      /auth\.oidc\.introspection: needs one of clientSecret and clientSecretFile/,
    );
    assert.throws(
      () =>
        testConfig({
          auth: {
            oidc: {
              issuer,
              audience: 'sluice',
              introspection: { clientId: 'sluice', clientSecret: 'a', clientSecretFile: '/b' },
            },
          },
        }),
      /needs one of/,
    );
    assert.throws(() => testConfig({ auth: { oidc: { issuer } } }), /auth\.oidc\.audience: is required/);
    assert.throws(
      () =>
        testConfig({
          auth: { oidc: { issuer, audience: 'sluice', scopes: ['everything'] } },
        } as unknown as RawConfig),
      /auth\.oidc\.scopes\[0\]: must be one of/,
    );
  });
});
