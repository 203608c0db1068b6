import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isReadMethod } from '../../api/route-access.js';
import { SCOPES, concreteUrl, opsService, scopedTokens, tokenFor } from '../support/ops-service.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('every route in the route table declares its access: each non-GET route needs a scope unless it is explicitly read-only', async (t) => {
  const service = await opsService({ auth: { tokens: scopedTokens() } });
  t.after(() => service.stop());
  await service.http!.app.ready();
  const routes = service.http!.routes;
  assert.ok(routes.length >= 25, `the route table has only ${routes.length} routes`);
  const undeclared = routes.filter((r) => r.access === undefined).map((r) => `${r.method} ${r.url}`);
  assert.deepEqual(undeclared, [], 'routes that neither need a scope nor say they only read');
  // Signing in and out must work without a token (api/login-routes.ts); these alone may be public.
  const publicPosts = ['POST /login/token', 'POST /logout'];
  for (const r of routes) {
    if (!isReadMethod(r.method as 'GET')) {
      const name = `${r.method} ${r.url}`;
      if (publicPosts.includes(name)) assert.equal(r.access!.kind, 'public', name);
      else assert.ok(r.access!.kind === 'write' || r.access!.kind === 'read', name);
    }
  }
  // The write routes of today, so that a scope removed by mistake shows up here too.
  const writes = Object.fromEntries(
    routes
      .filter((r) => r.access?.kind === 'write')
      .map((r) => [`${r.method} ${r.url}`, r.access!.kind === 'write' ? r.access!.scope : '']),
  );
  assert.equal(writes['POST /api/v2.0/results'], 'results:write');
  assert.equal(writes['POST /api/v1.0/waivers/'], 'waivers:write');
  assert.equal(writes['POST /api/v1/messages'], 'messages:publish');
  assert.equal(writes['POST /api/v1/dlq/replay'], 'admin');
});

test('a non-GET route added without a scope or READ_ONLY is caught by the route table', async (t) => {
  const service = await opsService();
  t.after(() => service.stop());
  service.http!.app.post('/api/v1/forgotten', async () => ({ ok: true }));
  await service.http!.app.ready();
  const forgotten = service.http!.routes.find((r) => r.url === '/api/v1/forgotten');
  assert.equal(forgotten?.access, undefined);
});

test('every write route: 401 without a token and 403 with a token lacking its scope, each naming the scope; the scope (or admin) gets past the check', async (t) => {
  const service = await opsService({ auth: { tokens: scopedTokens() } });
  t.after(() => service.stop());
  await service.http!.app.ready();
  const app = service.http!.app;
  const writes = service.http!.routes.filter((r) => r.access?.kind === 'write');
  assert.ok(writes.length >= 7, `only ${writes.length} write routes`);
  for (const route of writes) {
    const scope = route.access!.kind === 'write' ? route.access!.scope : 'admin';
    const url = concreteUrl(route);
    const what = `${route.method} ${route.url}`;
    const payload = {
      method: route.method as 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    };

    const none = await app.inject(payload);
    assert.equal(none.statusCode, 401, what);
    assert.ok(none.json<{ message: string }>().message.includes(`"${scope}"`), `${what}: ${none.body}`);

    const invalid = await app.inject({
      ...payload,
      headers: { ...payload.headers, ...bearer('not-a-token') },
    });
    assert.equal(invalid.statusCode, 401, what);

    const wrongScope = SCOPES.find((s) => s !== scope && s !== 'admin')!;
    const wrong = await app.inject({
      ...payload,
      headers: { ...payload.headers, ...bearer(tokenFor(wrongScope)) },
    });
    assert.equal(wrong.statusCode, 403, what);
    assert.ok(wrong.json<{ message: string }>().message.includes(`"${scope}"`), `${what}: ${wrong.body}`);

    for (const good of [scope, 'admin'] as const) {
      const ok = await app.inject({ ...payload, headers: { ...payload.headers, ...bearer(tokenFor(good)) } });
      assert.ok(
        ok.statusCode !== 401 && ok.statusCode !== 403,
        `${what} with ${good}: ${ok.statusCode} ${ok.body}`,
      );
      assert.ok(ok.statusCode < 500, `${what} with ${good}: ${ok.statusCode} ${ok.body}`);
    }
  }
});

test('reads are open by default and closed by auth.readsRequireToken (any valid token), except /healthz and /readyz', async (t) => {
  const open = await opsService({ auth: { tokens: scopedTokens() } });
  const closed = await opsService({ auth: { tokens: scopedTokens(), readsRequireToken: true } });
  t.after(() => Promise.all([open.stop(), closed.stop()]));
  await Promise.all([open.http!.app.ready(), closed.http!.app.ready()]);
  const reads = closed.http!.routes.filter((r) => r.access?.kind === 'read');
  assert.ok(reads.length >= 20);
  for (const route of reads) {
    const what = `${route.method} ${route.url}`;
    const request = {
      method: route.method as 'GET',
      url: concreteUrl(route),
      ...(route.method === 'POST'
        ? { headers: { 'content-type': 'application/json' }, payload: '{"filters":[{}]}' }
        : {}),
    };
    const refused = await closed.http!.app.inject(request);
    assert.equal(refused.statusCode, 401, what);
    assert.match(refused.json<{ message: string }>().message, /token/, what);
    if (route.stream) continue; // an accepted event stream never ends
    const allowed = await closed.http!.app.inject({
      ...request,
      headers: { ...request.headers, ...bearer(tokenFor('runs:write')) },
    });
    assert.ok(allowed.statusCode !== 401 && allowed.statusCode < 500, `${what}: ${allowed.statusCode}`);
    const anonymous = await open.http!.app.inject(request);
    assert.ok(
      anonymous.statusCode !== 401 && anonymous.statusCode < 500,
      `${what} (open): ${anonymous.statusCode}`,
    );
  }
  for (const path of ['/healthz', '/readyz']) {
    // (the bus of a service not started is not ready: 503, but not 401)
    assert.ok(
      [200, 503].includes((await closed.http!.app.inject({ method: 'GET', url: path })).statusCode),
      path,
    );
  }
});
