/**
 * Signing people in to the dashboard: the OIDC authorization-code flow with PKCE against a real
 * provider (oidc-provider, started here; its own login and consent forms are posted as a browser
 * would), a pasted API token without OIDC, the session cookie as the API's caller, CSRF, logout.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashToken } from '../../api/auth.js';
import { SluiceService } from '../../service/sluice-service.js';
import { freePort } from '../support/cli.js';
import { browse, CookieJar, LOGIN_CLIENT, startLoginProvider } from '../support/oidc-login-provider.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';

const WAIVER = {
  subject_type: 'koji_build',
  subject_identifier: 'bash-5.2.26-3.fc41',
  testcase: 'dist.rpmdeplint',
  product_version: 'fedora-41',
  comment: 'waived from the dashboard',
};

function cookieLine(jar: CookieJar, name: string): string {
  const line = jar.seen.filter((l) => l.startsWith(`${name}=`) && !/max-age=0\b/i.test(l)).pop();
  assert.ok(line, `a Set-Cookie for ${name}`);
  return line;
}

describe('dashboard sign-in with OIDC (authorization code + PKCE)', () => {
  test('sign in at the provider, write with the cookie and its CSRF token, sign out', async (t) => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const provider = await startLoginProvider(`${base}/login/callback`);
    t.after(() => provider.close());
    const service = await SluiceService.create({
      config: testConfig({
        server: { port },
        auth: {
          oidc: {
            issuer: provider.issuer,
            audience: 'sluice',
            userClaim: 'preferred_username',
            groupsClaim: 'groups',
            scopes: ['waivers:write'],
            groupScopes: { qa: ['runs:write'] },
            login: { clientId: LOGIN_CLIENT.id, clientSecret: LOGIN_CLIENT.secret, scope: 'openid profile' },
          },
        },
      }),
      log: silentLogger(),
      registry: testRegistry(),
    });
    await service.start();
    t.after(() => service.stop());

    const jar = new CookieJar();
    const start = await fetch(`${base}/login?return_to=/subjects/koji_build/bash`, { redirect: 'manual' });
    assert.equal(start.status, 302);
    const authorize = new URL(start.headers.get('location')!);
    assert.equal(authorize.origin, provider.issuer);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.match(authorize.searchParams.get('code_challenge') ?? '', /^[\w-]{43}$/);
    assert.ok(authorize.searchParams.get('state') && authorize.searchParams.get('nonce'));
    jar.take(`${base}/login`, start);

    // The provider's login form, its consent form, and back to Sluice's callback.
    const back = await browse(jar, authorize.href, 'alice', (url) =>
      url.startsWith(`${base}/login/callback`),
    );
    assert.equal(back.res.status, 303, await back.res.clone().text());
    assert.equal(back.res.headers.get('location'), '/subjects/koji_build/bash');
    const cookie = cookieLine(jar, 'sluice_session');
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Lax/);
    assert.match(cookie, /; Path=\//);
    assert.doesNotMatch(cookie, /Secure/, 'http here: the cookie could not come back if it were Secure');
    const session = jar.get(base, 'sluice_session')!;
    const withCookie = { cookie: `sluice_session=${session}` };

    // Who is signed in: the ID token's claims mapped as a bearer token's would be.
    const who = await fetch(`${base}/login/session`, { headers: withCookie });
    assert.equal(who.status, 200);
    const me = (await who.json()) as { user: string; groups: string[]; scopes: string[]; csrf_token: string };
    assert.equal(me.user, 'alice');
    assert.deepEqual(me.groups, ['qa']);
    assert.deepEqual([...me.scopes].sort(), ['runs:write', 'waivers:write']);
    assert.match(me.csrf_token, /^[\w-]{43}$/);

    // A write with the cookie alone is refused; with the CSRF token it is alice's.
    const post = (headers: Record<string, string>) =>
      fetch(`${base}/api/v1.0/waivers/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(WAIVER),
      });
    const noCsrf = await post(withCookie);
    assert.equal(noCsrf.status, 403);
    assert.match(
      ((await noCsrf.json()) as { message: string }).message,
      /CSRF token in the x-csrf-token header/,
    );
    const wrongCsrf = await post({ ...withCookie, 'x-csrf-token': 'x'.repeat(43) });
    assert.equal(wrongCsrf.status, 403);
    const ok = await post({ ...withCookie, 'x-csrf-token': me.csrf_token });
    assert.equal(ok.status, 201, await ok.clone().text());
    assert.equal(((await ok.json()) as { username: string }).username, 'alice');
    // The session's scopes count: admin is not among them.
    const replay = await fetch(`${base}/api/v1/dlq/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...withCookie, 'x-csrf-token': me.csrf_token },
      body: '{"ids": []}',
    });
    assert.equal(replay.status, 403);
    assert.match(((await replay.json()) as { message: string }).message, /lacks the scope "admin"/);

    // Signing out needs the CSRF token too; then the cookie is worth nothing.
    assert.equal((await fetch(`${base}/logout`, { method: 'POST', headers: withCookie })).status, 403);
    const out = await fetch(`${base}/logout`, {
      method: 'POST',
      headers: { ...withCookie, 'x-csrf-token': me.csrf_token },
    });
    assert.equal(out.status, 204);
    assert.match(out.headers.getSetCookie().join('\n'), /sluice_session=; Path=\/; Max-Age=0/);
    assert.equal((await fetch(`${base}/login/session`, { headers: withCookie })).status, 401);
    const after = await post({ ...withCookie, 'x-csrf-token': me.csrf_token });
    assert.equal(after.status, 401);
  });

  test('a callback this browser did not start, or one replayed, signs nobody in', async (t) => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const provider = await startLoginProvider(`${base}/login/callback`);
    t.after(() => provider.close());
    const service = await SluiceService.create({
      config: testConfig({
        server: { port },
        auth: {
          oidc: {
            issuer: provider.issuer,
            audience: 'sluice',
            userClaim: 'preferred_username',
            login: { clientId: LOGIN_CLIENT.id, clientSecret: LOGIN_CLIENT.secret },
          },
        },
      }),
      log: silentLogger(),
      registry: testRegistry(),
    });
    await service.start();
    t.after(() => service.stop());

    const jar = new CookieJar();
    const start = await fetch(`${base}/login`, { redirect: 'manual' });
    jar.take(`${base}/login`, start);
    const back = await browse(jar, start.headers.get('location')!, 'bob', (url) =>
      url.startsWith(`${base}/login/callback`),
    );
    const callback = back.url;
    // Another browser (no sluice_login cookie) following the same link: refused.
    const planted = await fetch(callback, { redirect: 'manual' });
    assert.equal(planted.status, 400);
    assert.match(((await planted.json()) as { message: string }).message, /^state: /);
    assert.equal(back.res.status, 303);
    // The same callback again, cookie and all: the sign-in was used up.
    const again = await fetch(callback, {
      redirect: 'manual',
      headers: { cookie: `sluice_login=${new URL(callback).searchParams.get('state')}` },
    });
    assert.equal(again.status, 400);
    assert.match(((await again.json()) as { message: string }).message, /unknown or expired/);
  });
});

describe('dashboard sign-in with a pasted API token', () => {
  test('the token becomes a session; reads behind readsRequireToken and writes with CSRF work; bad tokens and other sites are refused', async (t) => {
    const service = await SluiceService.create({
      config: testConfig({
        auth: {
          readsRequireToken: true,
          tokens: [
            { user: 'carol', sha256: hashToken('s3cret-carol'), groups: ['qa'], scopes: ['waivers:write'] },
          ],
        },
      }),
      log: silentLogger(),
      registry: testRegistry(),
    });
    const base = (await service.start())!;
    t.after(() => service.stop());

    const form = await fetch(`${base}/login`);
    assert.equal(form.status, 200);
    assert.match(await form.text(), /<form method="post" action="\/login\/token">/);

    const signIn = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${base}/login/token`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    assert.equal((await signIn({ token: 'wrong' })).status, 401);
    const missing = await signIn({});
    assert.equal(missing.status, 400);
    assert.match(((await missing.json()) as { message: string }).message, /^token: /);
    assert.equal((await signIn({ token: 's3cret-carol' }, { origin: 'https://evil.example' })).status, 403);

    const ok = await signIn({ token: 's3cret-carol' }, { origin: base });
    assert.equal(ok.status, 200);
    const me = (await ok.json()) as { user: string; groups: string[]; scopes: string[]; csrf_token: string };
    assert.deepEqual([me.user, me.groups, me.scopes], ['carol', ['qa'], ['waivers:write']]);
    const line = ok.headers.getSetCookie().find((l) => l.startsWith('sluice_session='))!;
    assert.match(line, /HttpOnly/);
    const withCookie = { cookie: line.split(';')[0]! };

    // Reads that need a token take the session instead.
    assert.equal((await fetch(`${base}/api/v1.0/waivers/`)).status, 401);
    assert.equal((await fetch(`${base}/api/v1.0/waivers/`, { headers: withCookie })).status, 200);

    const waive = (headers: Record<string, string>) =>
      fetch(`${base}/api/v1.0/waivers/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(WAIVER),
      });
    assert.equal((await waive(withCookie)).status, 403);
    const done = await waive({ ...withCookie, 'x-csrf-token': me.csrf_token });
    assert.equal(done.status, 201);
    assert.equal(((await done.json()) as { username: string }).username, 'carol');
    // Bearer tokens are as they were: no CSRF token asked for.
    assert.equal((await waive({ authorization: 'Bearer s3cret-carol' })).status, 201);

    // The HTML form's way: urlencoded, then back where the person was.
    const viaForm = await fetch(`${base}/login/token`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=s3cret-carol&return_to=%2Fruns%2F7',
    });
    assert.equal(viaForm.status, 303);
    assert.equal(viaForm.headers.get('location'), '/runs/7');
    const offsite = await fetch(`${base}/login/token`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=s3cret-carol&return_to=%2F%2Fevil.example%2F',
    });
    assert.equal(offsite.headers.get('location'), '/');
  });
});

test('behind an https public URL the session cookie is Secure', async (t) => {
  const service = await SluiceService.create({
    config: testConfig({
      server: { publicUrl: 'https://sluice.example.org' },
      auth: { tokens: [{ user: 'dave', sha256: hashToken('s3cret-dave'), scopes: ['runs:write'] }] },
    }),
    log: silentLogger(),
    registry: testRegistry(),
  });
  const base = (await service.start())!;
  t.after(() => service.stop());
  const res = await fetch(`${base}/login/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'https://sluice.example.org' },
    body: JSON.stringify({ token: 's3cret-dave' }),
  });
  assert.equal(res.status, 200);
  const line = res.headers.getSetCookie().find((l) => l.startsWith('sluice_session='))!;
  assert.match(line, /; HttpOnly; SameSite=Lax; Secure$/);
});
