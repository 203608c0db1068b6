/**
 * The decision history (GET /api/v1/decisions/history): each decision change is kept with its
 * cause, whether worked out as the result or waiver was stored or by the gating-changes consumer.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashToken } from '../../api/auth.js';
import { SluiceService } from '../../service/sluice-service.js';
import { policiesDir, RPMDEPLINT_STABLE } from '../support/policies-dir.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

const NVR = 'bash-5.2.26-3.fc41';
const HISTORY = '/api/v1/decisions/history';
const OF_BASH = `subject_type=koji_build&subject_identifier=${NVR}`;

interface Change {
  id: number;
  subject_type: string;
  subject_identifier: string;
  decision_context: string;
  product_version: string;
  changed_at: string;
  before: { policies_satisfied: boolean; summary: string; unsatisfied_requirements: unknown[] } | null;
  after: { policies_satisfied: boolean; summary: string; unsatisfied_requirements: Array<{ type: string }> };
  cause: { type: string; id: number; testcase: string; by: string | null; at: string; href: string };
}
interface Page {
  data: Change[];
  next: string | null;
}

async function startService(changesWhenStored: boolean) {
  const service = await SluiceService.create({
    config: testConfig({ gating: { policiesDir: policiesDir(RPMDEPLINT_STABLE), changesWhenStored } }),
    log: silentLogger(),
    registry: testRegistry(),
  });
  const base = (await service.start())!;
  return { service, base };
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as { id: number };
}

const result = (outcome: string, ciName: string) => ({
  testcase: { name: 'dist.rpmdeplint' },
  outcome,
  // ci_name as the Fedora CI message mapping stores a message's contact.name.
  data: { item: NVR, type: 'koji_build', ci_name: ciName },
});

for (const changesWhenStored of [true, false]) {
  const how = changesWhenStored ? 'worked out as stored' : 'worked out by the gating-changes consumer';
  describe(`decision history, changes ${how}`, () => {
    test('a result flips the decision, a waiver flips it back: both kept with their causes, newest first, paged', async (t) => {
      const { service, base } = await startService(changesWhenStored);
      t.after(() => service.stop());
      const history = async (query: string): Promise<Page> => {
        const res = await fetch(`${base}${HISTORY}?${query}`);
        assert.equal(res.status, 200);
        return (await res.json()) as Page;
      };
      const count = async (n: number) =>
        waitFor(`${n} changes`, async () => (await history(OF_BASH)).data.length >= n);

      const passed = await postJson(`${base}/api/v2.0/results`, result('PASSED', 'Fedora CI'));
      await count(1);
      const failed = await postJson(`${base}/api/v2.0/results`, result('FAILED', 'Fedora CI'));
      await count(2);
      const waiver = await postJson(
        `${base}/api/v1.0/waivers/`,
        {
          subject_type: 'koji_build',
          subject_identifier: NVR,
          testcase: 'dist.rpmdeplint',
          product_version: 'fedora-41',
          comment: 'the failure is in a dependency of the same update',
        },
        // No authentication configured, on loopback: Basic's user name names the waiver's author.
        { authorization: `Basic ${Buffer.from('alice:x').toString('base64')}` },
      );
      await count(3);

      const all = await history(OF_BASH);
      assert.equal(all.next, null);
      assert.deepEqual(
        all.data.map((c) => [
          c.cause.type,
          c.cause.id,
          c.cause.by,
          c.before?.policies_satisfied,
          c.after.policies_satisfied,
        ]),
        [
          ['waiver', waiver.id, 'alice', false, true],
          ['result', failed.id, 'Fedora CI', true, false],
          ['result', passed.id, 'Fedora CI', false, true],
        ],
      );
      const [byWaiver, byFailure, byPass] = all.data as [Change, Change, Change];
      assert.ok(byWaiver.id > byFailure.id && byFailure.id > byPass.id);
      for (const c of all.data) {
        assert.equal(c.subject_type, 'koji_build');
        assert.equal(c.subject_identifier, NVR);
        assert.equal(c.decision_context, 'bodhi_update_push_stable');
        assert.equal(c.product_version, 'fedora-41');
        assert.equal(c.cause.testcase, 'dist.rpmdeplint');
        assert.ok(!Number.isNaN(Date.parse(c.changed_at)) && !Number.isNaN(Date.parse(c.cause.at)));
      }
      // The first change's "before" is the decision just before the result: its test missing.
      assert.equal(byPass.before?.summary, 'Of 1 required test, 1 result missing');
      assert.equal(byPass.after.summary, 'All required tests (1 total) have passed or been waived');
      assert.deepEqual(byPass.after.unsatisfied_requirements, []);
      assert.equal(byFailure.after.summary, 'Of 1 required test, 1 test failed');
      assert.deepEqual(
        byFailure.after.unsatisfied_requirements.map((r) => r.type),
        ['test-result-failed'],
      );
      assert.deepEqual(byWaiver.before, byFailure.after);
      assert.equal(byFailure.cause.href, `${base}/api/v2.0/results/${failed.id}`);
      assert.equal(byWaiver.cause.href, `${base}/api/v1.0/waivers/${waiver.id}`);
      const linked = await fetch(byWaiver.cause.href);
      assert.equal(((await linked.json()) as { username: string }).username, 'alice');

      // Paged: two, then the last one; `next` carries the query on.
      const first = await history(`${OF_BASH}&limit=2`);
      assert.deepEqual(
        first.data.map((c) => c.id),
        [byWaiver.id, byFailure.id],
      );
      assert.ok(first.next);
      const nextUrl = new URL(first.next);
      assert.equal(nextUrl.searchParams.get('before'), String(byFailure.id));
      assert.equal(nextUrl.searchParams.get('subject_identifier'), NVR);
      const second = (await (await fetch(first.next)).json()) as Page;
      assert.deepEqual(
        second.data.map((c) => c.id),
        [byPass.id],
      );
      assert.equal(second.next, null);

      // Filters: the context and product version it has, others have nothing; an alias finds the type.
      assert.equal(
        (await history(`${OF_BASH}&decision_context=bodhi_update_push_stable&product_version=fedora-41`)).data
          .length,
        3,
      );
      assert.equal((await history(`${OF_BASH}&product_version=fedora-40`)).data.length, 0);
      assert.equal((await history(`${OF_BASH}&decision_context=other`)).data.length, 0);
      assert.equal((await history(`subject_type=brew-build&subject_identifier=${NVR}`)).data.length, 3);
      assert.equal(
        (await history(`subject_type=koji_build&subject_identifier=other-1-1.fc41`)).data.length,
        0,
      );
    });
  });
}

test("each change's `before` is the decision as it stood, also after a re-run that only moved result ids, and on any page", async (t) => {
  const { service, base } = await startService(true);
  t.after(() => service.stop());
  const history = async (query: string): Promise<Change[]> => {
    const res = await fetch(`${base}${HISTORY}?${OF_BASH}${query}`);
    assert.equal(res.status, 200);
    return ((await res.json()) as Page).data;
  };
  const resultIds = (d: Change['before']) =>
    d?.unsatisfied_requirements.map((r) => (r as { result_id?: number }).result_id);

  await postJson(`${base}/api/v2.0/results`, result('PASSED', 'Fedora CI'));
  const f1 = await postJson(`${base}/api/v2.0/results`, result('FAILED', 'Fedora CI'));
  // Failed again: no news, so no change, but the decision as it stands now names this result.
  const f2 = await postJson(`${base}/api/v2.0/results`, result('FAILED', 'Fedora CI'));
  await postJson(
    `${base}/api/v1.0/waivers/`,
    {
      subject_type: 'koji_build',
      subject_identifier: NVR,
      testcase: 'dist.rpmdeplint',
      product_version: 'fedora-41',
      comment: 'known flake',
    },
    { authorization: `Basic ${Buffer.from('alice:x').toString('base64')}` },
  );
  // Passed under the waiver: still satisfied, now by the result rather than the waiver.
  const p2 = await postJson(`${base}/api/v2.0/results`, result('PASSED', 'Fedora CI'));

  const all = await history('');
  assert.deepEqual(
    all.map((c) => [c.cause.type, c.before?.policies_satisfied, c.after.policies_satisfied]),
    [
      ['result', true, true],
      ['waiver', false, true],
      ['result', true, false],
      ['result', false, true],
    ],
    'the second failure changed nothing',
  );
  const [byRerun, byWaiver, byFailure, byPass] = all as [Change, Change, Change, Change];
  assert.equal(byRerun.cause.id, p2.id);
  assert.deepEqual(resultIds(byFailure.after), [f1.id]);
  assert.deepEqual(resultIds(byWaiver.before), [f2.id], 'the re-run, not what the change before announced');
  assert.deepEqual(byFailure.before, byPass.after);
  assert.deepEqual(byRerun.before, byWaiver.after);
  // One change per page: each still carries its own `before`.
  for (const c of all) {
    const [paged] = await history(`&limit=1&before=${c.id + 1}`);
    assert.equal(paged?.id, c.id);
    assert.deepEqual(paged.before, c.before);
  }
});

describe('decision history refusals', () => {
  test('bad input is a 400 naming the parameter', async (t) => {
    const { service, base } = await startService(true);
    t.after(() => service.stop());
    const cases: Array<[string, RegExp]> = [
      [`subject_identifier=${NVR}`, /^subject_type: is required/],
      ['subject_type=koji_build', /^subject_identifier: is required/],
      [`${OF_BASH}&limit=0`, /^limit: must be an integer from 1 to 1000/],
      [`${OF_BASH}&limit=abc`, /^limit: must be an integer/],
      [`${OF_BASH}&before=-1`, /^before: must be an integer/],
      [`${OF_BASH}&subject_type=koji_build`, /^subject_type: is given more than once/],
      [`${OF_BASH}&page=2`, /^page: is not a parameter of the decision history/],
      [`subject_type=&subject_identifier=${NVR}`, /^subject_type: must not be empty/],
    ];
    for (const [query, message] of cases) {
      const res = await fetch(`${base}${HISTORY}?${query}`);
      assert.equal(res.status, 400, query);
      assert.match(((await res.json()) as { message: string }).message, message, query);
    }
  });

  test('with auth.readsRequireToken, reading the history needs a token', async (t) => {
    const service = await SluiceService.create({
      config: testConfig({
        gating: { policiesDir: policiesDir(RPMDEPLINT_STABLE) },
        auth: {
          readsRequireToken: true,
          tokens: [{ user: 'reader', sha256: hashToken('s3cret-reader'), scopes: [] }],
        },
      }),
      log: silentLogger(),
      registry: testRegistry(),
    });
    const base = (await service.start())!;
    t.after(() => service.stop());
    assert.equal((await fetch(`${base}${HISTORY}?${OF_BASH}`)).status, 401);
    const ok = await fetch(`${base}${HISTORY}?${OF_BASH}`, {
      headers: { authorization: 'Bearer s3cret-reader' },
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { data: [], next: null });
  });
});
