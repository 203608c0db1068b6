import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oidcCaller } from '../../api/oidc-caller.js';
import type { OidcSettings } from '../../config/config-types.js';

const settings = (over: Partial<OidcSettings> = {}): OidcSettings => ({
  issuer: 'https://id.example',
  audience: 'sluice',
  requiredScope: null,
  userClaim: 'preferred_username',
  groupsClaim: 'realm_access.roles',
  scopes: ['waivers:write'],
  groupScopes: { 'ci-admins': ['results:write', 'admin'] },
  tokenScopes: { 'https://resultsdb.example/create-result': ['results:write'] },
  clockToleranceSeconds: 30,
  jwksCacheSeconds: 600,
  timeoutMs: 5000,
  introspection: null,
  login: null,
  ...over,
});

test('the scopes are the union of scopes, groupScopes of each group and tokenScopes of each OAuth scope', () => {
  const claims = {
    preferred_username: 'alice',
    realm_access: { roles: ['ci-admins', 'qa'] },
    scope: 'openid https://resultsdb.example/create-result',
  };
  assert.deepEqual(oidcCaller(claims, settings()), {
    ok: true,
    user: 'alice',
    groups: ['ci-admins', 'qa'],
    scopes: ['waivers:write', 'results:write', 'admin'],
  });
  // Neither the group nor the OAuth scope: only the scopes every token gets.
  assert.deepEqual(oidcCaller({ preferred_username: 'bob', scope: 'openid' }, settings()), {
    ok: true,
    user: 'bob',
    groups: [],
    scopes: ['waivers:write'],
  });
});

test("an `scp` list (some providers' spelling) counts as the token's OAuth scopes; a flat claim name with a dot is taken as it is", () => {
  const claims = {
    preferred_username: 'carol',
    'roles.flat': ['ci-admins'],
    scp: ['https://resultsdb.example/create-result'],
  };
  const caller = oidcCaller(claims, settings({ groupsClaim: 'roles.flat', scopes: [] }));
  assert.deepEqual(caller, {
    ok: true,
    user: 'carol',
    groups: ['ci-admins'],
    scopes: ['results:write', 'admin'],
  });
});

test('no user claim: 401 naming the setting; a required OAuth scope missing: 403 naming it', () => {
  assert.deepEqual(oidcCaller({ sub: 'x' }, settings()), {
    ok: false,
    status: 401,
    message: 'the token has no "preferred_username" claim naming the user (auth.oidc.userClaim)',
  });
  assert.deepEqual(oidcCaller({ preferred_username: '' }, settings()).ok, false);
  const required = settings({ requiredScope: 'https://waiverdb.example/create-waiver' });
  assert.deepEqual(oidcCaller({ preferred_username: 'a', scope: 'openid' }, required), {
    ok: false,
    status: 403,
    message:
      'the token lacks the OAuth scope "https://waiverdb.example/create-waiver" (auth.oidc.requiredScope)',
  });
  assert.equal(
    oidcCaller({ preferred_username: 'a', scope: 'openid https://waiverdb.example/create-waiver' }, required)
      .ok,
    true,
  );
});

test('groups that are not a list of strings are no groups; non-string members are dropped', () => {
  assert.deepEqual(
    oidcCaller({ preferred_username: 'a', realm_access: { roles: 'ci-admins' } }, settings()),
    { ok: true, user: 'a', groups: [], scopes: ['waivers:write'] },
  );
  assert.deepEqual(
    oidcCaller({ preferred_username: 'a', realm_access: { roles: [1, 'qa', null] } }, settings()),
    { ok: true, user: 'a', groups: ['qa'], scopes: ['waivers:write'] },
  );
});
