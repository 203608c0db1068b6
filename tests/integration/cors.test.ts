import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '../../api/auth.js';
import { pathPattern } from '../../api/cors.js';
import type { RawConfig } from '../../config/config-types.js';
import { SluiceService } from '../../service/sluice-service.js';
import { RPMDEPLINT_STABLE, policiesDir } from '../support/policies-dir.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';

const BODHI = 'https://bodhi.fedoraproject.org';
const ELSEWHERE = 'https://evil.example';

/**
 * Bodhi's update page asks Greenwave from the browser: one POST /decision per batch of
 * `greenwave_request_batches(verbose=True)` (fedora-infra/bodhi, bodhi/server/models.py,
 * greenwave_request_batches_json), sent as JSON, so the browser sends a preflight first.
 */
const bodhiBatch = {
  product_version: 'fedora-42',
  decision_context: 'bodhi_update_push_stable',
  subject: [{ type: 'koji_build', item: 'bash-5.2.26-3.fc42' }],
  verbose: true,
};
const preflight = (origin: string, method: string, headers = 'content-type') => ({
  origin,
  'access-control-request-method': method,
  'access-control-request-headers': headers,
});

async function start(raw: RawConfig): Promise<{ service: SluiceService; base: string }> {
  const service = await SluiceService.create({
    config: testConfig(raw),
    log: silentLogger(),
    registry: testRegistry(),
  });
  return { service, base: (await service.start())! };
}

describe('server.cors: browsers from the listed origins may read and ask for decisions', () => {
  let service: SluiceService;
  let base: string;
  before(async () => {
    ({ service, base } = await start({
      server: { cors: [BODHI] },
      gating: { policiesDir: policiesDir(RPMDEPLINT_STABLE) },
      auth: { tokens: [{ user: 'qa', sha256: hashToken('s3cret'), scopes: ['waivers:write'] }] },
    }));
  });
  after(() => service?.stop());

  test("Bodhi's decision call: the preflight is answered, then the POST carries Access-Control-Allow-Origin", async () => {
    const pre = await fetch(`${base}/api/v1.0/decision`, {
      method: 'OPTIONS',
      headers: preflight(BODHI, 'POST', 'content-type, authorization'),
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), BODHI);
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /\bPOST\b/);
    const allowedHeaders = (pre.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    assert.ok(
      allowedHeaders.includes('authorization') && allowedHeaders.includes('content-type'),
      allowedHeaders,
    );
    assert.equal(pre.headers.get('access-control-max-age'), '600');
    assert.match(pre.headers.get('vary') ?? '', /Origin/);

    const res = await fetch(`${base}/api/v1.0/decision`, {
      method: 'POST',
      headers: { origin: BODHI, 'content-type': 'application/json' },
      body: JSON.stringify(bodhiBatch),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), BODHI);
    const decision = (await res.json()) as { policies_satisfied: boolean };
    assert.equal(decision.policies_satisfied, false);
  });

  test('reads carry the header for an allowed origin, also when the answer is an error', async () => {
    const list = await fetch(`${base}/api/v2.0/results?item=bash-5.2.26-3.fc42`, {
      headers: { origin: BODHI },
    });
    assert.equal(list.status, 200);
    assert.equal(list.headers.get('access-control-allow-origin'), BODHI);
    const missing = await fetch(`${base}/api/v1.0/waivers/999999`, { headers: { origin: BODHI } });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('access-control-allow-origin'), BODHI);
    const bad = await fetch(`${base}/api/v1.0/decision`, {
      method: 'POST',
      headers: { origin: BODHI, 'content-type': 'application/json' },
      body: '{"subject": 1}',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('access-control-allow-origin'), BODHI);
  });

  test('an origin not listed gets no CORS headers, on the preflight or the request', async () => {
    const pre = await fetch(`${base}/api/v1.0/decision`, {
      method: 'OPTIONS',
      headers: preflight(ELSEWHERE, 'POST'),
    });
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    assert.equal(pre.headers.get('access-control-allow-methods'), null);
    const res = await fetch(`${base}/api/v1.0/decision`, {
      method: 'POST',
      headers: { origin: ELSEWHERE, 'content-type': 'application/json' },
      body: JSON.stringify(bodhiBatch),
    });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });

  test('writes get no CORS: a preflight for POST /waivers/ is not answered, so no page can make a browser send one', async () => {
    const pre = await fetch(`${base}/api/v1.0/waivers/`, {
      method: 'OPTIONS',
      headers: preflight(BODHI, 'POST', 'authorization, content-type'),
    });
    assert.notEqual(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    const write = await fetch(`${base}/api/v1.0/waivers/`, {
      method: 'POST',
      headers: { origin: BODHI, 'content-type': 'application/json', authorization: 'Bearer s3cret' },
      body: '{}',
    });
    assert.equal(write.headers.get('access-control-allow-origin'), null);
    // The GET of the same path is a read: its preflight (e.g. for an Authorization header) is answered.
    const read = await fetch(`${base}/api/v1.0/waivers/`, {
      method: 'OPTIONS',
      headers: preflight(BODHI, 'GET', 'authorization'),
    });
    assert.equal(read.status, 204);
    assert.doesNotMatch(read.headers.get('access-control-allow-methods') ?? '', /POST/);
  });
});

test('without server.cors (the default) nothing carries CORS headers and preflights are not answered', async (t) => {
  const { service, base } = await start({ gating: { policiesDir: policiesDir(RPMDEPLINT_STABLE) } });
  t.after(() => service.stop());
  const pre = await fetch(`${base}/api/v1.0/decision`, {
    method: 'OPTIONS',
    headers: preflight(BODHI, 'POST'),
  });
  assert.equal(pre.status, 404);
  assert.equal(pre.headers.get('access-control-allow-origin'), null);
  const res = await fetch(`${base}/api/v1.0/decision`, {
    method: 'POST',
    headers: { origin: BODHI, 'content-type': 'application/json' },
    body: JSON.stringify(bodhiBatch),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), null);
});

test('server.cors ["*"]: any origin may read, answered with *', async (t) => {
  const { service, base } = await start({ server: { cors: ['*'] } });
  t.after(() => service.stop());
  const res = await fetch(`${base}/api/v2.0/testcases`, { headers: { origin: ELSEWHERE } });
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
});

test('with auth.readsRequireToken, the 401 for a read without a token carries CORS headers, so the page can show why', async (t) => {
  const { service, base } = await start({
    server: { cors: [BODHI] },
    auth: {
      readsRequireToken: true,
      tokens: [{ user: 'qa', sha256: hashToken('s3cret'), scopes: ['waivers:write'] }],
    },
  });
  t.after(() => service.stop());
  const refused = await fetch(`${base}/api/v2.0/testcases`, { headers: { origin: BODHI } });
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get('access-control-allow-origin'), BODHI);
  const allowed = await fetch(`${base}/api/v2.0/testcases`, {
    headers: { origin: BODHI, authorization: 'Bearer s3cret' },
  });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers.get('access-control-allow-origin'), BODHI);
});

test('server.cors entries must be origins: a path or a bare host name is a configuration error', () => {
  assert.throws(
    () => testConfig({ server: { cors: ['https://bodhi.fedoraproject.org/updates'] } }),
    /server\.cors\[0\]/,
  );
  assert.throws(() => testConfig({ server: { cors: ['bodhi.fedoraproject.org'] } }), /server\.cors\[0\]/);
});

test('route URLs as path patterns: parameters match one segment, * the rest', () => {
  assert.ok(pathPattern('/api/v1.0/waivers/:id').test('/api/v1.0/waivers/12'));
  assert.ok(!pathPattern('/api/v1.0/waivers/:id').test('/api/v1.0/waivers/12/x'));
  assert.ok(pathPattern('/api/v1.0/waivers/+filtered').test('/api/v1.0/waivers/+filtered'));
  assert.ok(!pathPattern('/api/v1.0/waivers/+filtered').test('/api/v1.0/waiversss/filtered'));
  assert.ok(pathPattern('/api/v1/nodes/:id/artifacts/*').test('/api/v1/nodes/3/artifacts/a/b.txt'));
});
