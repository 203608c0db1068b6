import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '../../api/auth.js';
import { SluiceService } from '../../service/sluice-service.js';
import { policiesDir, RPMDEPLINT_STABLE } from '../support/policies-dir.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';

describe('POST and GET /api/v1/updates: who may file, and refusals', () => {
  let service: SluiceService;
  let base: string;
  before(async () => {
    const dir = policiesDir(RPMDEPLINT_STABLE);
    const config = testConfig({
      gating: { policiesDir: dir },
      auth: {
        tokens: [
          { user: 'bodhi', sha256: hashToken('bodhi-token'), scopes: ['updates:write'] },
          { user: 'ci', sha256: hashToken('ci-token'), scopes: ['results:write'] },
        ],
      },
    });
    service = await SluiceService.create({ config, log: silentLogger(), registry: testRegistry() });
    base = (await service.start())!;
  });
  after(() => service?.stop());

  const post = async (body: unknown, token?: string) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${base}/api/v1/updates`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    return {
      status: res.status,
      location: res.headers.get('location'),
      body: (await res.json()) as Record<string, unknown>,
    };
  };
  const update = { product_version: 'fedora-41', builds: ['bash-5.2.26-3.fc41'], request: 'stable' };

  test('a token with updates:write files an update: 201, Location, the submitter, the decision', async () => {
    const res = await post({ ...update, alias: 'FEDORA-2025-aaaaaaaaaa' }, 'bodhi-token');
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.location, `${base}/api/v1/updates/FEDORA-2025-aaaaaaaaaa`);
    assert.equal(res.body.href, res.location);
    assert.equal(res.body.submitter, 'bodhi');
    assert.equal(res.body.test_gating_status, 'waiting');
    assert.deepEqual(res.body.decision, {
      policies_satisfied: false,
      summary: 'Of 1 required test, 1 result missing',
      satisfied_requirements: [],
      unsatisfied_requirements: [
        {
          type: 'test-result-missing',
          testcase: 'dist.rpmdeplint',
          subject_type: 'koji_build',
          subject_identifier: 'bash-5.2.26-3.fc41',
          scenario: null,
          source: null,
          item: { type: 'koji_build', item: 'bash-5.2.26-3.fc41' },
        },
      ],
      applicable_policies: ['stable'],
    });
    const got = await fetch(res.location!);
    assert.equal(got.status, 200);
    const body = (await got.json()) as Record<string, unknown>;
    assert.equal(body.id, 'FEDORA-2025-aaaaaaaaaa');
    assert.equal(body.test_gating_status, 'waiting');
    assert.equal(body.created, res.body.created);
  });

  test('no token: 401; a token without updates:write: 403', async () => {
    assert.deepEqual(await post(update), {
      status: 401,
      location: null,
      body: {
        message: 'this endpoint needs an API token with scope "updates:write" (Authorization: Bearer TOKEN)',
      },
    });
    const res = await post(update, 'ci-token');
    assert.equal(res.status, 403);
    assert.equal(res.body.message, 'user ci lacks the scope "updates:write" this endpoint needs');
  });

  test('a bad body: 400 naming the field; an alias in use: 409; an unknown update: 404', async () => {
    assert.deepEqual((await post({ ...update, builds: ['bash'] }, 'bodhi-token')).body, {
      message: 'builds[0]: "bash" is not a name-version-release',
    });
    assert.equal((await post({ ...update, request: 'pending' }, 'bodhi-token')).status, 400);
    const first = await post({ ...update, alias: 'FEDORA-2025-bbbbbbbbbb' }, 'bodhi-token');
    assert.equal(first.status, 201);
    const again = await post({ ...update, alias: 'FEDORA-2025-bbbbbbbbbb' }, 'bodhi-token');
    assert.deepEqual(
      { status: again.status, body: again.body },
      { status: 409, body: { message: 'alias: update FEDORA-2025-bbbbbbbbbb exists already' } },
    );
    const missing = await fetch(`${base}/api/v1/updates/FEDORA-2025-nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { message: 'no update FEDORA-2025-nope' });
  });

  test('an update for a product version no policy covers has nothing required: ignored', async () => {
    const res = await post(
      { ...update, product_version: 'epel-9', builds: ['bash-5.2.26-3.el9'] },
      'bodhi-token',
    );
    assert.equal(res.status, 201);
    assert.match(String(res.body.id), /^EPEL-\d{4}-[0-9a-f]{10}$/);
    assert.equal(res.body.test_gating_status, 'ignored');
    assert.equal((res.body.decision as { summary: string }).summary, 'No tests are required');
  });
});
