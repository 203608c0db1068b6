import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '../../api/auth.js';
import type { BusMessage } from '../../bus/bus.js';
import type { RawConfig } from '../../config/config-types.js';
import { SluiceService } from '../../service/sluice-service.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

/** A result as a ResultsDB v2.0 client reads it. */
interface Result {
  id: number;
  testcase: { name: string; ref_url: string | null; href: string };
  outcome: string;
  note: string | null;
  ref_url: string | null;
  submit_time: string;
  groups: string[];
  data: Record<string, string[]>;
  href: string;
}

interface Group {
  uuid: string;
  description: string | null;
  ref_url: string | null;
  results: string;
  results_count: number;
  href: string;
}

interface Testcase {
  name: string;
  ref_url: string | null;
  href: string;
}

interface Listing<T> {
  data: T[];
  prev: string | null;
  next: string | null;
}

interface Answer<T = unknown> {
  status: number;
  body: T;
}

async function start(raw: RawConfig = {}): Promise<{ service: SluiceService; base: string }> {
  const service = await SluiceService.create({
    config: testConfig(raw),
    log: silentLogger(),
    registry: testRegistry(),
  });
  const base = await service.start();
  assert.ok(base);
  return { service, base };
}

async function call<T>(
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
  token?: string,
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${method} ${url} answers JSON`);
  return { status: res.status, body: (await res.json()) as T };
}

/** A prefix of its own for each test's testcases, items and groups: tests share one store. */
const unique = (what: string) => `${what}-${randomBytes(4).toString('hex')}`;
const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}000$/;
const at = (iso: string) => Date.parse(`${iso}Z`);

describe('the ResultsDB v2.0 API', () => {
  let service: SluiceService;
  let base: string;
  let api: string;
  before(async () => {
    ({ service, base } = await start());
    api = `${base}/api/v2.0`;
  });
  after(() => service?.stop());

  const get = <T>(path: string) => call<T>('GET', `${api}${path}`);
  const post = <T>(path: string, body: unknown) => call<T>('POST', `${api}${path}`, body);
  /** POSTs a result and insists it was stored. */
  const submit = async (body: Record<string, unknown>): Promise<Result> => {
    const res = await post<Result>('/results', body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const results = async (query: string): Promise<Listing<Result>> => {
    const res = await get<Listing<Result>>(`/results?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const latest = async (query: string): Promise<Result[]> => {
    const res = await get<{ data: Result[] }>(`/results/latest?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data;
  };
  const ids = (rs: Result[]) => rs.map((r) => r.id);

  describe('POST /results', () => {
    test('stores the smallest result and answers 201 with it as GET returns it', async () => {
      const name = unique('smallest');
      const before = Date.now();
      const res = await post<Result>('/results', { outcome: 'PASSED', testcase: name });
      assert.equal(res.status, 201);
      const r = res.body;
      assert.equal(typeof r.id, 'number');
      assert.deepEqual(r, {
        id: r.id,
        testcase: { name, ref_url: null, href: `${api}/testcases/${name}` },
        outcome: 'PASSED',
        note: null,
        ref_url: null,
        submit_time: r.submit_time,
        groups: [],
        data: {},
        href: `${api}/results/${r.id}`,
      });
      assert.match(r.submit_time, ISO_MICROS);
      const stored = at(r.submit_time);
      assert.ok(
        stored >= before - 1 && stored <= Date.now() + 1,
        `submit_time defaults to now (UTC): ${r.submit_time}`,
      );
      const again = await call<Result>('GET', r.href);
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, r);
    });

    test('stores every field: outcome normalised, testcase with ref_url, groups, multi-value data, note, ref_url, submit_time', async () => {
      const name = unique('full.functional');
      const r = await submit({
        outcome: ' needs_inspection ',
        testcase: { name, ref_url: 'https://docs.example/tier0' },
        groups: [
          unique('g'),
          { uuid: unique('g'), description: 'pipeline 1', ref_url: 'https://ci.example/p/1' },
        ],
        data: {
          item: 'bash-5.2.37-1.fc42',
          type: 'koji_build',
          arch: ['x86_64', 'aarch64'],
          run: 7,
          score: 0.5,
        },
        note: 'two warnings',
        ref_url: 'https://ci.example/job/1',
        submit_time: 1767323045678,
      });
      assert.equal(r.outcome, 'NEEDS_INSPECTION');
      assert.deepEqual(r.testcase, {
        name,
        ref_url: 'https://docs.example/tier0',
        href: `${api}/testcases/${name}`,
      });
      assert.equal(r.groups.length, 2);
      assert.deepEqual(r.data, {
        item: ['bash-5.2.37-1.fc42'],
        type: ['koji_build'],
        arch: ['x86_64', 'aarch64'],
        run: ['7'],
        score: ['0.5'],
      });
      assert.equal(r.note, 'two warnings');
      assert.equal(r.ref_url, 'https://ci.example/job/1');
      assert.equal(r.submit_time, '2026-01-02T03:04:05.678000');
      assert.deepEqual((await get<Result>(`/results/${r.id}`)).body, r);
    });

    test('submit_time as a numeric string, ISO 8601 in UTC, without a zone, or with an offset', async () => {
      const name = unique('times');
      const cases: Array<[unknown, string]> = [
        ['1767323045678', '2026-01-02T03:04:05.678000'],
        ['2026-01-02T03:04:05.678000Z', '2026-01-02T03:04:05.678000'],
        ['2026-01-02T03:04:05.678', '2026-01-02T03:04:05.678000'],
        ['2026-01-02T05:04:05+02:00', '2026-01-02T03:04:05.000000'],
      ];
      for (const [submit_time, printed] of cases) {
        assert.equal(
          (await submit({ outcome: 'INFO', testcase: name, submit_time })).submit_time,
          printed,
          String(submit_time),
        );
      }
    });

    test('accepts the additional outcomes of the default configuration', async () => {
      const name = unique('additional');
      for (const outcome of ['QUEUED', 'RUNNING', 'ERROR', 'NOT_APPLICABLE', 'info']) {
        assert.equal((await submit({ outcome, testcase: name })).outcome, outcome.toUpperCase());
      }
    });

    const refusals: Array<[what: string, body: unknown, message: RegExp]> = [
      ['a body that is a list', [{ outcome: 'PASSED' }], /^body: must be a JSON object$/],
      ['a missing outcome', { testcase: 'x' }, /^outcome: is required$/],
      [
        'an unknown outcome',
        { outcome: 'SUPER', testcase: 'x' },
        /^outcome: must be one of PASSED, INFO, FAILED, NEEDS_INSPECTION, QUEUED, RUNNING, ERROR, NOT_APPLICABLE \(got "SUPER"\)$/,
      ],
      ['a blank outcome', { outcome: ' ', testcase: 'x' }, /^outcome: must not be empty$/],
      ['an outcome that is a number', { outcome: 1, testcase: 'x' }, /^outcome: must be a string$/],
      ['a missing testcase', { outcome: 'PASSED' }, /^testcase: is required$/],
      [
        'a testcase without a name',
        { outcome: 'PASSED', testcase: { ref_url: 'https://x' } },
        /^testcase\.name: is required$/,
      ],
      ['an empty testcase name', { outcome: 'PASSED', testcase: '' }, /^testcase: must not be empty$/],
      [
        'a testcase that is a list',
        { outcome: 'PASSED', testcase: ['x'] },
        /^testcase: must be a testcase name or an object \{name, ref_url\}$/,
      ],
      [
        'a testcase ref_url that is a number',
        { outcome: 'PASSED', testcase: { name: 'x', ref_url: 1 } },
        /^testcase\.ref_url: must be a string or null$/,
      ],
      [
        'groups that are an object',
        { outcome: 'PASSED', testcase: 'x', groups: { uuid: 'g' } },
        /^groups: must be a list of group uuids or \{uuid, description, ref_url\} objects$/,
      ],
      [
        'a group that is a number',
        { outcome: 'PASSED', testcase: 'x', groups: [1] },
        /^groups\[0\]: must be a group uuid or an object \{uuid, description, ref_url\}$/,
      ],
      [
        'a group uuid that is a number',
        { outcome: 'PASSED', testcase: 'x', groups: [{ uuid: 1 }] },
        /^groups\[0\]\.uuid: must be a string$/,
      ],
      [
        'data that is a string',
        { outcome: 'PASSED', testcase: 'x', data: 'item=x' },
        /^data: must be an object of key: value or key: \[values\]$/,
      ],
      [
        'a data key with ":"',
        { outcome: 'PASSED', testcase: 'x', data: { 'item:like': 'x' } },
        /^data: key "item:like" must not contain ":"$/,
      ],
      [
        'a data value that is true',
        { outcome: 'PASSED', testcase: 'x', data: { gating: true } },
        /^data\.gating: must be a string, a number or a list of them$/,
      ],
      [
        'a data list holding an object',
        { outcome: 'PASSED', testcase: 'x', data: { item: ['a', { b: 1 }] } },
        /^data\.item\[1\]: must be a string or a number$/,
      ],
      ['a note that is a number', { outcome: 'PASSED', testcase: 'x', note: 1 }, /^note: must be a string$/],
      [
        'a ref_url that is a list',
        { outcome: 'PASSED', testcase: 'x', ref_url: ['u'] },
        /^ref_url: must be a string$/,
      ],
      [
        'a submit_time that is no time',
        { outcome: 'PASSED', testcase: 'x', submit_time: 'last tuesday' },
        /^submit_time: must be epoch milliseconds \(a number or a numeric string\) or an ISO 8601 time \(got "last tuesday"\)$/,
      ],
      [
        'a negative submit_time',
        { outcome: 'PASSED', testcase: 'x', submit_time: -1000 },
        /^submit_time: must be between 1970 and the end of 9999 \(got -1000\)$/,
      ],
      ['invalid JSON', '{"outcome": "PASSED", ', /JSON/],
    ];
    for (const [what, body, message] of refusals) {
      test(`refuses ${what} with 400 {message} naming the field, and stores nothing`, async () => {
        const name = unique('refused');
        // The testcase, when the body has one, is named uniquely so that we can see it was not created.
        const sent =
          typeof body === 'object' &&
          body !== null &&
          !Array.isArray(body) &&
          (body as { testcase?: unknown }).testcase === 'x'
            ? { ...body, testcase: name }
            : body;
        const res = await post<{ message: string }>('/results', sent);
        assert.equal(res.status, 400);
        assert.deepEqual(Object.keys(res.body), ['message']);
        assert.match(res.body.message, message);
        assert.equal((await get(`/testcases/${name}`)).status, 404, 'no testcase was created');
      });
    }
  });

  describe('testcases', () => {
    test("a result's testcase is created when new; its ref_url changes only when one is given", async () => {
      const name = unique('fedora-ci.koji-build.tier0.functional');
      const first = await submit({ outcome: 'PASSED', testcase: { name, ref_url: 'https://docs/v1' } });
      assert.equal(first.testcase.ref_url, 'https://docs/v1');
      const second = await submit({ outcome: 'PASSED', testcase: name });
      assert.equal(second.testcase.ref_url, 'https://docs/v1', 'a bare name leaves the ref_url');
      const third = await submit({ outcome: 'FAILED', testcase: { name, ref_url: 'https://docs/v2' } });
      assert.equal(third.testcase.ref_url, 'https://docs/v2');
      const tc = await get<Testcase>(`/testcases/${name}`);
      assert.deepEqual(tc, {
        status: 200,
        body: { name, ref_url: 'https://docs/v2', href: `${api}/testcases/${name}` },
      });
      // One testcase, shared: earlier results show its current ref_url.
      assert.equal((await get<Result>(`/results/${first.id}`)).body.testcase.ref_url, 'https://docs/v2');
    });

    test('POST /testcases creates or updates; GET /testcases/:name takes dotted names; unknown ones are 404', async () => {
      const name = unique('dist.rpmdeplint.x86_64');
      const made = await post<Testcase>('/testcases', { name, ref_url: 'https://docs/a' });
      assert.deepEqual(made, {
        status: 201,
        body: { name, ref_url: 'https://docs/a', href: `${api}/testcases/${name}` },
      });
      const kept = await post<Testcase>('/testcases', { name });
      assert.equal(kept.body.ref_url, 'https://docs/a');
      assert.equal(
        (await post<Testcase>('/testcases', { name, ref_url: 'https://docs/b' })).body.ref_url,
        'https://docs/b',
      );
      assert.deepEqual((await get<Testcase>(`/testcases/${name}`)).body.ref_url, 'https://docs/b');
      assert.deepEqual(await get(`/testcases/${name}.missing`), {
        status: 404,
        body: { message: 'Testcase not found' },
      });
      const refused = await post<{ message: string }>('/testcases', { ref_url: 'https://docs/a' });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.message, 'name: is required');
    });

    test('GET /testcases: by name, by name:like, ordered by name, paginated', async () => {
      const p = unique('tclist');
      for (const n of ['c.unit', 'a.unit', 'b.integration']) await post('/testcases', { name: `${p}.${n}` });
      const like = await get<Listing<Testcase>>(`/testcases?name:like=${p}.*`);
      assert.deepEqual(
        like.body.data.map((t) => t.name),
        [`${p}.a.unit`, `${p}.b.integration`, `${p}.c.unit`],
      );
      const units = await get<Listing<Testcase>>(`/testcases?name:like=${p}.*.unit`);
      assert.deepEqual(
        units.body.data.map((t) => t.name),
        [`${p}.a.unit`, `${p}.c.unit`],
      );
      const named = await get<Listing<Testcase>>(`/testcases?name=${p}.b.integration,${p}.c.unit`);
      assert.deepEqual(
        named.body.data.map((t) => t.name),
        [`${p}.b.integration`, `${p}.c.unit`],
      );
      const page = await get<Listing<Testcase>>(`/testcases?name:like=${p}.*&limit=2`);
      assert.equal(page.body.data.length, 2);
      assert.equal(page.body.prev, null);
      assert.equal(page.body.next, `${api}/testcases?name:like=${p}.*&limit=2&page=1`);
      const rest = await call<Listing<Testcase>>('GET', page.body.next!);
      assert.deepEqual(
        rest.body.data.map((t) => t.name),
        [`${p}.c.unit`],
      );
      assert.equal(rest.body.next, null);
      assert.equal(rest.body.prev, `${api}/testcases?name:like=${p}.*&limit=2&page=0`);
    });

    test("GET /testcases/:name/results lists that testcase's results; 404 for an unknown one", async () => {
      const name = unique('tc.results');
      const a = await submit({ outcome: 'PASSED', testcase: name, submit_time: '2025-01-01T00:00:00Z' });
      const b = await submit({ outcome: 'FAILED', testcase: name, submit_time: '2025-01-02T00:00:00Z' });
      await submit({ outcome: 'FAILED', testcase: `${name}.other` });
      const res = await get<Listing<Result>>(`/testcases/${name}/results`);
      assert.deepEqual(ids(res.body.data), [b.id, a.id]);
      assert.deepEqual(await get(`/testcases/${name}.nope/results`), {
        status: 404,
        body: { message: 'Testcase not found' },
      });
    });
  });

  describe('groups', () => {
    test('groups named by a result are created; objects set description and ref_url; a uuid is made when absent', async () => {
      const g1 = unique('g');
      const g2 = unique('g');
      const name = unique('grouped');
      const r = await submit({
        outcome: 'PASSED',
        testcase: name,
        groups: [g1, { uuid: g2, description: 'run 1', ref_url: 'https://ci/1' }, { description: 'made up' }],
      });
      assert.equal(r.groups.length, 3);
      assert.ok(r.groups.includes(g1) && r.groups.includes(g2));
      const made = r.groups.find((u) => u !== g1 && u !== g2)!;
      assert.match(made, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

      assert.deepEqual((await get<Group>(`/groups/${g2}`)).body, {
        uuid: g2,
        description: 'run 1',
        ref_url: 'https://ci/1',
        results: `${api}/results?groups=${g2}`,
        results_count: 1,
        href: `${api}/groups/${g2}`,
      });
      assert.equal((await get<Group>(`/groups/${made}`)).body.description, 'made up');
      assert.equal((await get<Group>(`/groups/${g1}`)).body.description, null);

      // A bare uuid leaves the group as it is; an object updates what it gives.
      const r2 = await submit({ outcome: 'FAILED', testcase: name, groups: [g2] });
      const r3 = await submit({
        outcome: 'PASSED',
        testcase: name,
        groups: [{ uuid: g2, description: 'run 1, retried' }],
      });
      const group = (await get<Group>(`/groups/${g2}`)).body;
      assert.equal(group.description, 'run 1, retried');
      assert.equal(group.ref_url, 'https://ci/1');
      assert.equal(group.results_count, 3);

      const listed = await call<Listing<Result>>('GET', group.results);
      assert.deepEqual(ids(listed.body.data), [r3.id, r2.id, r.id]);
      const byPath = await get<Listing<Result>>(`/groups/${g2}/results`);
      assert.deepEqual(ids(byPath.body.data), [r3.id, r2.id, r.id]);
      assert.deepEqual(await get(`/groups/${unique('none')}`), {
        status: 404,
        body: { message: 'Group not found' },
      });
      const missing = unique('none');
      assert.deepEqual(await get(`/groups/${missing}/results`), {
        status: 404,
        body: { message: `Group not found: ${missing}` },
      });
    });

    test('POST /groups creates (uuid made when absent) and updates; GET /groups filters and pages, newest first', async () => {
      const made = await post<Group>('/groups', { description: unique('desc'), ref_url: 'https://ci/x' });
      assert.equal(made.status, 201);
      assert.match(made.body.uuid, /^[0-9a-f-]{36}$/);
      assert.equal(made.body.results_count, 0);
      const uuid = unique('grp');
      const desc = unique('nightly');
      assert.equal((await post<Group>('/groups', { uuid, description: desc })).status, 201);
      const updated = await post<Group>('/groups', { uuid, ref_url: 'https://ci/y' });
      assert.equal(updated.body.description, desc, 'fields not given are kept');
      assert.equal(updated.body.ref_url, 'https://ci/y');

      const other = unique('grp');
      await post('/groups', { uuid: other, description: `${desc} later` });
      const byUuid = await get<Listing<Group>>(`/groups?uuid=${uuid},${other}`);
      assert.deepEqual(
        byUuid.body.data.map((g) => g.uuid),
        [other, uuid],
      );
      const byDesc = await get<Listing<Group>>(`/groups?description=${encodeURIComponent(desc)}`);
      assert.deepEqual(
        byDesc.body.data.map((g) => g.uuid),
        [uuid],
      );
      const byLike = await get<Listing<Group>>(
        `/groups?description:like=${encodeURIComponent(desc)}*&limit=1`,
      );
      assert.deepEqual(
        byLike.body.data.map((g) => g.uuid),
        [other],
      );
      assert.equal(
        byLike.body.next,
        `${api}/groups?description:like=${encodeURIComponent(desc)}*&limit=1&page=1`,
      );
    });
  });

  describe('GET /results/:id', () => {
    test('404 {message} for a result that does not exist, or an id that is not a number', async () => {
      assert.deepEqual(await get('/results/987654321'), {
        status: 404,
        body: { message: 'Result not found' },
      });
      assert.deepEqual(await get('/results/abc'), { status: 404, body: { message: 'Result not found' } });
    });
  });

  describe('GET /results filters', () => {
    // One set of results, its own names; times fixed, so the order is known.
    const p = unique('flt');
    const tc = { tier0: `${p}.tier0.functional`, lint: `${p}.rpmlint`, unit: `${p}.unit.functional` };
    const item1 = `${p}-bash-5.2-1.fc42`;
    const item2 = `${p}-zsh-5.9-1.fc42`;
    const group = unique('run');
    let r: Result[] = [];
    before(async () => {
      const bodies = [
        {
          outcome: 'PASSED',
          testcase: tc.tier0,
          data: { item: item1, type: 'koji_build', arch: 'x86_64' },
          submit_time: '2025-03-01T10:00:00Z',
          groups: [group],
        },
        {
          outcome: 'FAILED',
          testcase: tc.lint,
          data: { item: item1, type: 'koji_build' },
          submit_time: '2025-03-01T11:00:00Z',
          groups: [group],
        },
        {
          outcome: 'PASSED',
          testcase: tc.unit,
          data: { item: item1, type: 'koji_build', arch: 'aarch64' },
          submit_time: '2025-03-01T12:00:00Z',
        },
        {
          outcome: 'INFO',
          testcase: tc.tier0,
          data: { item: item2, type: 'koji_build', arch: 'x86_64' },
          submit_time: '2025-03-02T10:00:00Z',
        },
        {
          outcome: 'PASSED',
          testcase: tc.lint,
          data: { item: item2, type: 'bodhi_update' },
          submit_time: '2025-03-02T11:00:00Z',
        },
        // one result about both builds (a multi-value key)
        {
          outcome: 'NEEDS_INSPECTION',
          testcase: tc.unit,
          data: { item: [item1, item2], type: 'koji_build' },
          submit_time: '2025-03-03T10:00:00Z',
        },
      ];
      r = [];
      for (const b of bodies) r.push(await submit(b));
    });
    const newestFirst = (...idx: number[]) => idx.map((i) => r[i]!.id);

    test('by data key: one value, several (comma or repeated), and newest first', async () => {
      assert.deepEqual(ids((await results(`item=${item1}`)).data), newestFirst(5, 2, 1, 0));
      assert.deepEqual(ids((await results(`item=${item1},${item2}`)).data), newestFirst(5, 4, 3, 2, 1, 0));
      assert.deepEqual(
        ids((await results(`item=${item1}&item=${item2}`)).data),
        newestFirst(5, 4, 3, 2, 1, 0),
      );
    });

    test('a result with several values of a key is found by each, and shows them all', async () => {
      const found = (await results(`item=${item2}`)).data;
      assert.deepEqual(ids(found), newestFirst(5, 4, 3));
      assert.deepEqual(found[0]!.data.item, [item1, item2]);
    });

    test('several keys must all match', async () => {
      assert.deepEqual(
        ids((await results(`item=${item1}&type=koji_build&arch=x86_64`)).data),
        newestFirst(0),
      );
      assert.deepEqual(ids((await results(`item=${item2}&type=koji_build`)).data), newestFirst(5, 3));
      assert.deepEqual((await results(`item=${item2}&arch=s390x`)).data, []);
    });

    test('key:like takes * patterns, case-sensitively', async () => {
      assert.deepEqual(ids((await results(`item:like=${p}-zsh-*`)).data), newestFirst(5, 4, 3));
      assert.deepEqual(ids((await results(`item:like=${p}-*&arch:like=*64`)).data), newestFirst(3, 2, 0));
      assert.deepEqual((await results(`item:like=${p.toUpperCase()}-*`)).data, []);
    });

    test('testcases (exact) and testcases:like (patterns), alone or together', async () => {
      assert.deepEqual(
        ids((await results(`testcases=${tc.tier0},${tc.lint}`)).data),
        newestFirst(4, 3, 1, 0),
      );
      assert.deepEqual(
        ids((await results(`testcases:like=${p}.*.functional`)).data),
        newestFirst(5, 3, 2, 0),
      );
      assert.deepEqual(
        ids((await results(`testcases=${tc.lint}&testcases:like=${p}.unit.*`)).data),
        newestFirst(5, 4, 2, 1),
      );
      assert.deepEqual(
        ids((await results(`item=${item1}&type=koji_build&testcases=${tc.tier0},${tc.unit}`)).data),
        newestFirst(5, 2, 0),
      );
      assert.deepEqual(await results(`testcases=${p}.no-such-test`), { data: [], prev: null, next: null });
    });

    test('outcome: a comma list, any case', async () => {
      assert.deepEqual(ids((await results(`item:like=${p}-*&outcome=failed,Info`)).data), newestFirst(3, 1));
    });

    test('since: from a time, or between two (both inclusive)', async () => {
      assert.deepEqual(
        ids((await results(`item:like=${p}-*&since=2025-03-02T10:00:00`)).data),
        newestFirst(5, 4, 3),
      );
      assert.deepEqual(
        ids((await results(`item:like=${p}-*&since=2025-03-01T11:00:00Z,2025-03-02T10:00:00Z`)).data),
        newestFirst(3, 2, 1),
      );
      assert.deepEqual(
        ids((await results(`item:like=${p}-*&since=2025-03-01T11:00:00%2B01:00,2025-03-01T11:00:00Z`)).data),
        newestFirst(1, 0),
        'offsets are honoured',
      );
    });

    test('groups: results of any of the given groups', async () => {
      assert.deepEqual(ids((await results(`groups=${group}`)).data), newestFirst(1, 0));
      assert.deepEqual(
        ids((await results(`groups=${group},${unique('none')}&outcome=PASSED`)).data),
        newestFirst(0),
      );
      assert.deepEqual((await results(`groups=${unique('none')}`)).data, []);
    });

    test('_sort=asc:submit_time gives oldest first', async () => {
      assert.deepEqual(
        ids((await results(`item=${item1}&_sort=asc:submit_time`)).data),
        newestFirst(0, 1, 2, 5),
      );
    });

    const refusals: Array<[query: string, message: RegExp]> = [
      [
        'outcome=PASSED,GREAT',
        /^outcome: must be one of PASSED, INFO, FAILED, NEEDS_INSPECTION, QUEUED, RUNNING, ERROR, NOT_APPLICABLE \(got "GREAT"\)$/,
      ],
      ['since=March', /^since: must be an ISO 8601 time, or two as start,end \(got "March"\)$/],
      ['since=2025-01-01,later', /^since: must be an ISO 8601 time/],
      ['page=-1', /^page: must be a whole number from 0 \(got "-1"\)$/],
      ['limit=none', /^limit: must be a whole number from 1 \(got "none"\)$/],
      ['_sort=desc:outcome', /^_sort: must be desc:submit_time or asc:submit_time \(got "desc:outcome"\)$/],
      ['item:regex=x.*', /^item:regex: the only modifier a data filter takes is ":like"$/],
    ];
    for (const [query, message] of refusals) {
      test(`refuses ?${query} with 400 {message} naming the parameter`, async () => {
        for (const path of ['/results', '/results/latest']) {
          const res = await get<{ message: string }>(`${path}?${query}`);
          assert.equal(res.status, 400, path);
          assert.match(res.body.message, message, path);
        }
      });
    }
  });

  describe('pagination', () => {
    test('page/limit with prev and next links carrying the same query; following next walks every result once', async () => {
      const item = unique('paged-1.0-1.fc42');
      const made: number[] = [];
      for (let i = 0; i < 5; i++)
        made.push(
          (
            await submit({
              outcome: 'PASSED',
              testcase: unique('paged'),
              data: { item, type: 'koji_build' },
              submit_time: Date.UTC(2025, 5, 1, i),
            })
          ).id,
        );
      const first = await results(`item=${item}&type=koji_build&limit=2`);
      assert.deepEqual(ids(first.data), [made[4], made[3]]);
      assert.equal(first.prev, null);
      assert.equal(first.next, `${api}/results?item=${item}&type=koji_build&limit=2&page=1`);

      const second = (await call<Listing<Result>>('GET', first.next!)).body;
      assert.deepEqual(ids(second.data), [made[2], made[1]]);
      assert.equal(second.prev, `${api}/results?item=${item}&type=koji_build&limit=2&page=0`);
      assert.equal(second.next, `${api}/results?item=${item}&type=koji_build&limit=2&page=2`);

      const last = (await call<Listing<Result>>('GET', second.next!)).body;
      assert.deepEqual(ids(last.data), [made[0]]);
      assert.equal(last.next, null);
      assert.equal(last.prev, `${api}/results?item=${item}&type=koji_build&limit=2&page=1`);

      const beyond = await results(`item=${item}&limit=2&page=7`);
      assert.deepEqual(beyond.data, []);
      assert.equal(beyond.prev, `${api}/results?item=${item}&limit=2&page=6`);
      assert.equal(beyond.next, null);
    });

    test('20 per page by default; a limit above 1000 gives 1000', async () => {
      const item = unique('many-1.0-1.fc42');
      // Stored straight through the store: a thousand POSTs would only slow the test down.
      service.ctx.db.transaction(() => {
        for (let i = 0; i < 1005; i++)
          service.ctx.resultIntake.submit({
            outcome: 'PASSED',
            testcase: 'bulk',
            data: { item },
            submit_time: Date.UTC(2025, 0, 1) + i,
          });
      })();
      const byDefault = await results(`item=${item}`);
      assert.equal(byDefault.data.length, 20);
      assert.ok(byDefault.next);
      const capped = await results(`item=${item}&limit=5000`);
      assert.equal(capped.data.length, 1000);
      assert.equal(capped.next, `${api}/results?item=${item}&limit=5000&page=1`);
      const rest = (await call<Listing<Result>>('GET', capped.next!)).body;
      assert.equal(rest.data.length, 5);
      assert.equal(rest.next, null);
    });
  });

  describe('GET /results/latest', () => {
    const p = unique('lt');
    const tc = { a: `${p}.a.functional`, b: `${p}.b.functional`, c: `${p}.c.static` };
    const item = `${p}-kernel-6.12-1.fc42`;
    const other = `${p}-kernel-6.13-1.fc42`;
    const r: Record<string, Result> = {};
    before(async () => {
      const add = async (
        key: string,
        testcase: string,
        outcome: string,
        hour: number,
        data: Record<string, unknown> = {},
      ) => {
        r[key] = await submit({
          outcome,
          testcase,
          data: { item, type: 'koji_build', ...data },
          submit_time: Date.UTC(2025, 6, 1, hour),
        });
      };
      await add('a1', tc.a, 'FAILED', 1, { scenario: 'fedora.x86_64' });
      await add('a2', tc.a, 'PASSED', 3, { scenario: 'fedora.x86_64' });
      await add('a3', tc.a, 'FAILED', 2, { scenario: 'fedora.aarch64' });
      await add('b1', tc.b, 'PASSED', 4);
      await add('b2', tc.b, 'FAILED', 5);
      await add('c1', tc.c, 'PASSED', 6);
      // Another build, newer: not this item's latest.
      r.other = await submit({
        outcome: 'PASSED',
        testcase: tc.a,
        data: { item: other, type: 'koji_build' },
        submit_time: Date.UTC(2025, 6, 1, 9),
      });
    });

    test('the newest result of each testcase among those matching, newest first', async () => {
      assert.deepEqual(ids(await latest(`item=${item}&type=koji_build`)), [r.c1!.id, r.b2!.id, r.a2!.id]);
      assert.deepEqual(ids(await latest(`item=${item}&type=koji_build&testcases=${tc.a},${tc.b}`)), [
        r.b2!.id,
        r.a2!.id,
      ]);
      assert.deepEqual(ids(await latest(`item=${item}&testcases:like=${p}.*.functional`)), [
        r.b2!.id,
        r.a2!.id,
      ]);
      assert.deepEqual(ids(await latest(`item=${other}`)), [r.other!.id]);
      assert.deepEqual(ids(await latest(`testcases=${tc.a}`)), [r.other!.id]);
    });

    test('_distinct_on splits by the values of data keys; results without the key form their own split', async () => {
      assert.deepEqual(ids(await latest(`item=${item}&_distinct_on=scenario`)), [
        r.c1!.id,
        r.b2!.id,
        r.a2!.id,
        r.a3!.id,
      ]);
      assert.deepEqual(ids(await latest(`item=${item}&testcases=${tc.a}&_distinct_on=scenario,arch`)), [
        r.a2!.id,
        r.a3!.id,
      ]);
    });

    test('since bounds which results compete', async () => {
      assert.deepEqual(ids(await latest(`item=${item}&since=2025-07-01T00:00:00Z,2025-07-01T04:00:00Z`)), [
        r.b1!.id,
        r.a2!.id,
      ]);
    });

    test('outcome does not filter /results/latest, as in ResultsDB: the latest result is the latest, whatever it says', async () => {
      assert.deepEqual(ids(await latest(`item=${item}&testcases=${tc.b}&outcome=PASSED`)), [r.b2!.id]);
    });

    test('with no filter at all: the newest result of every testcase', async () => {
      const all = await latest('');
      const mine = all.filter((x) => x.testcase.name.startsWith(`${p}.`));
      assert.deepEqual(ids(mine), [r.other!.id, r.c1!.id, r.b2!.id]);
      const names = all.map((x) => x.testcase.name);
      assert.equal(new Set(names).size, names.length, 'one per testcase');
    });

    test('_distinct_on alone is refused with 400, as in ResultsDB', async () => {
      const res = await get<{ message: string }>('/results/latest?_distinct_on=scenario');
      assert.equal(res.status, 400);
      assert.match(res.body.message, /^_distinct_on: needs at least one other filter/);
    });

    test('nothing matches: an empty list', async () => {
      assert.deepEqual(await latest(`item=${p}-nothing`), []);
      assert.deepEqual(await latest(`testcases=${p}.nothing`), []);
    });
  });

  test('GET /api/v2.0 answers 300 with where to go and the outcomes, as ResultsDB does', async () => {
    const res = await call<{ results: string; outcomes: string[] }>('GET', api);
    assert.equal(res.status, 300);
    assert.equal(res.body.results, `${api}/results`);
    assert.deepEqual(res.body.outcomes, [
      'PASSED',
      'INFO',
      'FAILED',
      'NEEDS_INSPECTION',
      'QUEUED',
      'RUNNING',
      'ERROR',
      'NOT_APPLICABLE',
    ]);
    // The keys of ResultsDB's landing_page (resultsdb/controllers/api_v2.py), every link one that answers.
    assert.deepEqual(Object.keys(res.body).sort(), [
      'documentation',
      'groups',
      'message',
      'outcomes',
      'results',
      'testcases',
    ]);
    const links = res.body as unknown as Record<string, string>;
    for (const key of ['documentation', 'groups', 'results', 'testcases']) {
      assert.equal((await fetch(links[key]!)).status, 200, `${key}: ${links[key]}`);
    }
  });

  test("submit_time keeps the microseconds a client gives, as ResultsDB's datetime column does; since and order use them", async () => {
    const name = unique('micros');
    // ResultsDB's POST /results takes submit_time beside resultsdb_api's fields and parses it with
    // %f (resultsdb/parsers/api_v2.py, CreateResultParams.parse_submit_time).
    const a = await submit({
      outcome: 'PASSED',
      testcase: { name },
      submit_time: '2026-01-02T03:04:05.123456',
    });
    const b = await submit({
      outcome: 'FAILED',
      testcase: { name },
      submit_time: '2026-01-02T03:04:05.123457Z',
    });
    assert.equal(a.submit_time, '2026-01-02T03:04:05.123456');
    assert.equal(b.submit_time, '2026-01-02T03:04:05.123457');
    assert.deepEqual(await get(`/results/${a.id}`), { status: 200, body: a });
    assert.deepEqual(
      ids((await results(`testcases=${name}`)).data),
      [b.id, a.id],
      'newest first, by the microsecond',
    );
    assert.deepEqual(ids((await results(`testcases=${name}&since=2026-01-02T03:04:05.123457`)).data), [b.id]);
    assert.deepEqual(
      ids(
        (await results(`testcases=${name}&since=2026-01-02T03:04:05.123400,2026-01-02T03:04:05.123456`)).data,
      ),
      [a.id],
    );
    assert.deepEqual(ids(await latest(`testcases=${name}`)), [b.id]);
  });

  test('a new result is published on resultsdb.result.new with the body the API answered', async (t) => {
    const seen: BusMessage[] = [];
    const sub = await service.ctx.bus.subscribe(['resultsdb.result.new'], (m) => void seen.push(m));
    t.after(() => sub.close());
    const r = await submit({
      outcome: 'PASSED',
      testcase: unique('published'),
      data: { item: 'x-1-1.fc42' },
    });
    const message = await waitFor('the message on the bus', () =>
      seen.find((m) => (m.body as Result).id === r.id),
    );
    assert.deepEqual(message.body, r);
    assert.equal(message.headers.sluice_schema, 'https://sluice.dev/schemas/resultsdb.result.new.json');
  });
});

describe('writes need a token with results:write when tokens are configured', () => {
  let service: SluiceService;
  let api: string;
  before(async () => {
    let base: string;
    ({ service, base } = await start({
      auth: {
        tokens: [
          { user: 'ci', sha256: hashToken('results-token'), scopes: ['results:write'] },
          { user: 'qa', sha256: hashToken('waiver-token'), scopes: ['waivers:write'] },
        ],
      },
      results: { additionalOutcomes: ['SKIPPED'] },
    }));
    api = `${base}/api/v2.0`;
  });
  after(() => service?.stop());

  for (const [path, body] of [
    ['/results', { outcome: 'PASSED', testcase: 'authz' }],
    ['/testcases', { name: 'authz' }],
    ['/groups', { description: 'authz' }],
  ] as const) {
    test(`POST ${path}: 401 without a token, 401 with a bad one, 403 without the scope, 201 with it`, async () => {
      const none = await call<{ message: string }>('POST', `${api}${path}`, body);
      assert.equal(none.status, 401);
      assert.match(none.body.message, /needs an API token with scope "results:write"/);
      assert.equal((await call('POST', `${api}${path}`, body, 'guess')).status, 401);
      const wrong = await call<{ message: string }>('POST', `${api}${path}`, body, 'waiver-token');
      assert.equal(wrong.status, 403);
      assert.match(wrong.body.message, /user qa lacks the scope "results:write"/);
      assert.equal((await call('POST', `${api}${path}`, body, 'results-token')).status, 201);
    });
  }

  test('reads stay open', async () => {
    assert.equal((await call('GET', `${api}/results`)).status, 200);
    assert.equal((await call('GET', `${api}/testcases/authz`)).status, 200);
  });

  test("the outcomes are those configured: ResultsDB's four plus results.additionalOutcomes", async () => {
    assert.equal(
      (await call('POST', `${api}/results`, { outcome: 'skipped', testcase: 'outcomes' }, 'results-token'))
        .status,
      201,
    );
    const refused = await call<{ message: string }>(
      'POST',
      `${api}/results`,
      { outcome: 'QUEUED', testcase: 'outcomes' },
      'results-token',
    );
    assert.equal(refused.status, 400);
    assert.equal(
      refused.body.message,
      'outcome: must be one of PASSED, INFO, FAILED, NEEDS_INSPECTION, SKIPPED (got "QUEUED")',
    );
  });
});

describe('the outbox: one resultsdb.result.new message per stored result', () => {
  let service: SluiceService;
  let api: string;
  before(async () => {
    let base: string;
    ({ service, base } = await start());
    api = `${base}/api/v2.0`;
  });
  after(() => service?.stop());

  const outbox = () =>
    service.ctx.db.prepare('SELECT topic, body FROM outbox ORDER BY id').all() as Array<{
      topic: string;
      body: string;
    }>;

  test('each POST adds exactly one row whose body is the answer; a refused POST adds none; the relay then delivers them', async (t) => {
    // Held back so that the rows can be seen before they are sent.
    await service.ctx.relay.stop();
    const answers: Result[] = [];
    for (const body of [
      {
        outcome: 'PASSED',
        testcase: 'outbox.a',
        data: { item: 'a-1-1.fc42', type: 'koji_build' },
        groups: ['outbox-group'],
      },
      {
        outcome: 'FAILED',
        testcase: { name: 'outbox.b', ref_url: 'https://docs/b' },
        note: 'n',
        submit_time: '2025-01-01T00:00:00Z',
      },
    ]) {
      const res = await call<Result>('POST', `${api}/results`, body);
      assert.equal(res.status, 201);
      answers.push(res.body);
      const rows = outbox();
      assert.equal(rows.length, answers.length, 'one more row');
      assert.equal(rows.at(-1)!.topic, 'resultsdb.result.new');
      assert.deepEqual(JSON.parse(rows.at(-1)!.body), res.body);
    }
    assert.equal(
      (await call('POST', `${api}/results`, { outcome: 'MAYBE', testcase: 'outbox.c' })).status,
      400,
    );
    assert.equal(outbox().length, 2, 'a refused result adds no message');

    const seen: BusMessage[] = [];
    const sub = await service.ctx.bus.subscribe(['resultsdb.#'], (m) => void seen.push(m));
    t.after(() => sub.close());
    service.ctx.relay.start();
    await waitFor('both messages on the bus', () => seen.length >= 2);
    assert.deepEqual(
      seen.map((m) => m.body),
      answers,
    );
    assert.deepEqual(
      seen.map((m) => m.topic),
      ['resultsdb.result.new', 'resultsdb.result.new'],
    );
    await waitFor('the outbox to drain', () => outbox().length === 0);
    // The event log behind server-sent events has them too.
    await waitFor(
      'the event log to record them',
      () => service.ctx.eventLog.after(0, ['resultsdb.result.new']).events.length === 2,
    );
  });
});
