import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '../../api/auth.js';
import type { BusMessage } from '../../bus/bus.js';
import type { RawConfig } from '../../config/config-types.js';
import { SluiceService } from '../../service/sluice-service.js';
import type { WaiverJson } from '../../waivers/waiver-json.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

interface Listing {
  data: WaiverJson[];
  prev: string | null;
  next: string | null;
  first: string | null;
  last: string | null;
}

interface Answer<T> {
  status: number;
  body: T;
}

const PUBLIC = 'http://waivers.sluice.test';
const API = '/api/v1.0';
const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}000$/;
/** An identifier of its own for each test's subjects: the tests of a file share one store. */
const unique = (what: string) => `${what}-${randomBytes(4).toString('hex')}`;

async function start(raw: RawConfig = {}): Promise<SluiceService> {
  const service = await SluiceService.create({
    config: testConfig({ ...raw, server: { publicUrl: PUBLIC, ...raw.server } }),
    log: silentLogger(),
    registry: testRegistry(),
  });
  await service.start();
  return service;
}

/** A request as a WaiverDB client makes it, through fastify's inject. */
async function call<T>(
  service: SluiceService,
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
  token?: string,
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await service.http!.app.inject({
    method,
    url,
    headers,
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  assert.match(String(res.headers['content-type']), /^application\/json/, `${method} ${url} answers JSON`);
  return { status: res.statusCode, body: res.json() as T };
}

describe('the WaiverDB v1.0 API (open: no tokens, loopback)', () => {
  let service: SluiceService;
  before(async () => {
    service = await start();
  });
  after(() => service?.stop());

  const get = <T>(path: string) => call<T>(service, 'GET', `${API}${path}`);
  const post = <T>(path: string, body: unknown) => call<T>(service, 'POST', `${API}${path}`, body);
  const waive = async (body: Record<string, unknown>): Promise<WaiverJson> => {
    const res = await post<WaiverJson>('/waivers/', body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const listing = async (query: string): Promise<Listing> => {
    const res = await get<Listing>(`/waivers/?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const ids = (ws: WaiverJson[]) => ws.map((w) => w.id);
  const base = (nvr: string) => ({
    subject_type: 'koji_build',
    subject_identifier: nvr,
    testcase: 'dist.rpmdeplint',
    product_version: 'fedora-42',
    comment: 'known flake',
  });

  describe('POST /waivers/', () => {
    test("answers 201 with the waiver in WaiverDB's shape, as GET /waivers/:id returns it", async () => {
      const nvr = unique('bash-5.2.26-3.fc42');
      const res = await post<WaiverJson>('/waivers/', base(nvr));
      assert.equal(res.status, 201);
      const w = res.body;
      assert.deepEqual(w, {
        id: w.id,
        subject_type: 'koji_build',
        subject_identifier: nvr,
        subject: { type: 'koji_build', item: nvr },
        testcase: 'dist.rpmdeplint',
        scenario: null,
        product_version: 'fedora-42',
        waived: true,
        comment: 'known flake',
        username: 'anonymous',
        proxied_by: null,
        timestamp: w.timestamp,
      });
      assert.equal(typeof w.id, 'number');
      assert.match(w.timestamp, ISO_MICROS);
      assert.ok(Math.abs(Date.parse(`${w.timestamp}Z`) - Date.now()) < 60_000, 'stamped now, in UTC');
      assert.deepEqual(await get(`/waivers/${w.id}`), { status: 200, body: w });
    });

    test('a list gives 201 with a list, in order; brew-build is stored as koji_build; scenario and waived: false are kept', async () => {
      const nvr = unique('kernel-6.9.0-1.el10');
      const res = await post<WaiverJson[]>('/waivers/', [
        { ...base(nvr), subject_type: 'brew-build' },
        {
          ...base(nvr),
          testcase: 'kernel-qe.boot',
          scenario: 'x86_64.uefi',
          waived: false,
          comment: 'revoked',
        },
      ]);
      assert.equal(res.status, 201);
      assert.ok(Array.isArray(res.body));
      assert.deepEqual(
        res.body.map((w) => [w.subject_type, w.testcase, w.scenario, w.waived]),
        [
          ['koji_build', 'dist.rpmdeplint', null, true],
          ['koji_build', 'kernel-qe.boot', 'x86_64.uefi', false],
        ],
      );
      assert.ok(res.body[0]!.id < res.body[1]!.id);
    });

    test("the legacy subject forms; a compose prints WaiverDB's productmd subject", async () => {
      const compose = unique('Fedora-42-20250601.n.0');
      const w = await waive({
        subject: { 'productmd.compose.id': compose },
        testcase: 'compose.install_no_user',
        product_version: 'fedora-42',
        comment: 'fine',
      });
      assert.deepEqual(
        [w.subject_type, w.subject_identifier, w.subject],
        ['compose', compose, { 'productmd.compose.id': compose }],
      );
      const nvr = unique('zsh-5.9-1.fc42');
      const k = await waive({
        subject: { type: 'koji_build', item: nvr },
        testcase: 'dist.rpmlint',
        product_version: 'fedora-42',
        comment: 'fine',
      });
      assert.deepEqual(
        [k.subject_type, k.subject_identifier, k.subject],
        ['koji_build', nvr, { type: 'koji_build', item: nvr }],
      );
    });

    const refusals: Array<[string, unknown, string]> = [
      [
        'no product_version',
        { subject_type: 'koji_build', subject_identifier: 'X', testcase: 't', comment: 'c' },
        'product_version: is required',
      ],
      [
        'an empty comment',
        {
          subject_type: 'koji_build',
          subject_identifier: 'X',
          testcase: 't',
          product_version: 'p',
          comment: '',
        },
        'comment: must not be empty',
      ],
      [
        'no testcase',
        { subject_type: 'koji_build', subject_identifier: 'X', product_version: 'p', comment: 'c' },
        'testcase: is required',
      ],
      [
        'no subject',
        { testcase: 't', product_version: 'p', comment: 'c' },
        'subject_type: is required, with subject_identifier (or the legacy subject: {type, item})',
      ],
      [
        'waived as a string',
        {
          subject_type: 'koji_build',
          subject_identifier: 'X',
          testcase: 't',
          product_version: 'p',
          comment: 'c',
          waived: 'false',
        },
        'waived: must be true or false',
      ],
      ['an empty list', [], 'body: must be a waiver object or a non-empty list of them (got an empty list)'],
      [
        'a list with one bad waiver',
        [
          {
            subject_type: 'koji_build',
            subject_identifier: 'X',
            testcase: 't',
            product_version: 'p',
            comment: 'c',
          },
          { subject_type: 'koji_build', subject_identifier: 'X', testcase: 't', comment: 'c' },
        ],
        '[1].product_version: is required',
      ],
    ];
    for (const [what, body, message] of refusals) {
      test(`refuses ${what} with 400 {message} naming the field, and stores nothing`, async () => {
        const nvr = unique('refused-1-1.fc42');
        const sent = JSON.parse(JSON.stringify(body).replaceAll('"X"', JSON.stringify(nvr))) as unknown;
        const res = await post<{ message: string }>('/waivers/', sent);
        assert.equal(res.status, 400);
        assert.deepEqual(res.body, { message });
        assert.deepEqual(
          (await listing(`subject_identifier=${nvr}&include_obsolete=1`)).data,
          [],
          'nothing stored',
        );
      });
    }

    test('refuses a body that is not JSON with 400 {message}', async () => {
      const res = await post<{ message: string }>('/waivers/', '{"subject_type": ');
      assert.equal(res.status, 400);
      assert.match(res.body.message, /JSON/);
    });

    test('/waivers without the slash is the same collection', async () => {
      const nvr = unique('nano-8.0-1.fc42');
      const res = await call<WaiverJson>(service, 'POST', `${API}/waivers`, base(nvr));
      assert.equal(res.status, 201);
      assert.deepEqual(
        (await call<Listing>(service, 'GET', `${API}/waivers?subject_identifier=${nvr}`)).body.data,
        [res.body],
      );
    });

    test('a stored waiver is published on waiverdb.waiver.new with the body the API answered', async (t) => {
      const seen: BusMessage[] = [];
      const sub = await service.ctx.bus.subscribe(['waiverdb.waiver.new'], (m) => void seen.push(m));
      t.after(() => sub.close());
      const [a, b] = (
        await post<WaiverJson[]>('/waivers/', [
          base(unique('pub-1-1.fc42')),
          { ...base(unique('pub-1-1.fc42')), waived: false },
        ])
      ).body;
      const messages = await waitFor('both messages on the bus', () => {
        const mine = seen.filter((m) => [a!.id, b!.id].includes((m.body as WaiverJson).id));
        return mine.length === 2 ? mine : undefined;
      });
      assert.deepEqual(
        messages.map((m) => m.body).sort((x, y) => (x as WaiverJson).id - (y as WaiverJson).id),
        [a, b],
      );
      assert.deepEqual(
        messages.map((m) => m.topic),
        ['waiverdb.waiver.new', 'waiverdb.waiver.new'],
      );
      assert.equal(messages[0]!.headers.sluice_schema, 'https://sluice.dev/schemas/waiverdb.waiver.new.json');
    });
  });

  describe('GET /waivers/:id', () => {
    test("404 {message: 'Waiver not found'} for an id that does not exist or is not a number", async () => {
      for (const id of ['999999999', 'abc', '-1', '1.5']) {
        assert.deepEqual(
          await get(`/waivers/${id}`),
          { status: 404, body: { message: 'Waiver not found' } },
          id,
        );
      }
    });
  });

  describe('GET /waivers/', () => {
    test('newest first; only the newest per subject × testcase × scenario × user × product version unless include_obsolete', async () => {
      const nvr = unique('glibc-2.40-1.fc42');
      const first = await waive(base(nvr));
      const revoked = await waive({ ...base(nvr), waived: false, comment: 'revoked' });
      const scenario = await waive({ ...base(nvr), scenario: 'aarch64' });
      const otherVersion = await waive({ ...base(nvr), product_version: 'fedora-41' });
      const otherTest = await waive({ ...base(nvr), testcase: 'dist.abicheck' });
      const all = await listing(`subject_identifier=${nvr}&include_obsolete=true`);
      assert.deepEqual(ids(all.data), [otherTest.id, otherVersion.id, scenario.id, revoked.id, first.id]);
      const current = await listing(`subject_identifier=${nvr}`);
      assert.deepEqual(
        ids(current.data),
        [otherTest.id, otherVersion.id, scenario.id, revoked.id],
        'the first waiver was replaced by its revocation',
      );
      assert.deepEqual(current.data[3], revoked);
    });

    test('every filter is an exact match; subject_type brew-build finds koji_build', async () => {
      const nvr = unique('curl-8.9-1.fc42');
      const a = await waive({ ...base(nvr), scenario: 's1' });
      const b = await waive({ ...base(nvr), testcase: 'dist.abicheck', product_version: 'fedora-41' });
      const c = await waive({ ...base(unique('curl-8.9-1.fc42')), subject_type: 'bodhi_update' });
      assert.deepEqual(ids((await listing(`subject_type=brew-build&subject_identifier=${nvr}`)).data), [
        b.id,
        a.id,
      ]);
      assert.deepEqual(ids((await listing(`subject_identifier=${nvr}&testcase=dist.abicheck`)).data), [b.id]);
      assert.deepEqual(ids((await listing(`subject_identifier=${nvr}&scenario=s1`)).data), [a.id]);
      assert.deepEqual(ids((await listing(`subject_identifier=${nvr}&product_version=fedora-41`)).data), [
        b.id,
      ]);
      assert.deepEqual(ids((await listing(`subject_identifier=${nvr}&username=anonymous`)).data), [
        b.id,
        a.id,
      ]);
      assert.deepEqual(ids((await listing(`subject_identifier=${nvr}&username=someone-else`)).data), []);
      assert.deepEqual(
        ids((await listing(`subject_identifier=${c.subject_identifier}&subject_type=bodhi_update`)).data),
        [c.id],
      );
      assert.deepEqual(ids((await listing(`subject_identifier=${nvr}&proxied_by=bodhi`)).data), []);
    });

    test('since: from a time, or between two, both inclusive', async () => {
      const nvr = unique('vim-9.1-1.fc42');
      const w: WaiverJson[] = [];
      for (const testcase of ['t.one', 't.two', 't.three']) {
        w.push(await waive({ ...base(nvr), testcase }));
        await sleep(5); // distinct milliseconds
      }
      const [one, two, three] = w as [WaiverJson, WaiverJson, WaiverJson];
      assert.deepEqual(ids((await listing(`subject_identifier=${nvr}&since=${two.timestamp}`)).data), [
        three.id,
        two.id,
      ]);
      assert.deepEqual(
        ids((await listing(`subject_identifier=${nvr}&since=${one.timestamp},${two.timestamp}`)).data),
        [two.id, one.id],
      );
      assert.deepEqual(ids((await listing(`subject_identifier=${nvr}&since=,${one.timestamp}`)).data), [
        one.id,
      ]);
    });

    test('page and limit with prev/next/first/last links carrying the query; following next walks every waiver once', async () => {
      const nvr = unique('gzip-1.13-1.fc42');
      const made: number[] = [];
      for (let i = 0; i < 5; i++) made.push((await waive({ ...base(nvr), testcase: `t.${i}` })).id);
      const first = await listing(`subject_identifier=${nvr}&limit=2`);
      assert.equal(first.prev, null);
      assert.equal(first.first, `${PUBLIC}${API}/waivers/?page=1&subject_identifier=${nvr}&limit=2`);
      assert.equal(first.last, `${PUBLIC}${API}/waivers/?page=3&subject_identifier=${nvr}&limit=2`);
      assert.equal(first.next, `${PUBLIC}${API}/waivers/?page=2&subject_identifier=${nvr}&limit=2`);
      const walked: number[] = [];
      let page: Listing | undefined = first;
      for (let n = 0; page && n < 10; n++) {
        walked.push(...ids(page.data));
        page = page.next
          ? (await call<Listing>(service, 'GET', page.next.slice(PUBLIC.length))).body
          : undefined;
      }
      assert.deepEqual(walked, [...made].reverse());
      const middle = await listing(`page=2&subject_identifier=${nvr}&limit=2`);
      assert.equal(middle.prev, `${PUBLIC}${API}/waivers/?page=1&subject_identifier=${nvr}&limit=2`);
    });

    test('10 per page by default; a page past the last, or page 0, is empty with every link null; nothing matching is page 1 of 0', async () => {
      const nvr = unique('tar-1.35-1.fc42');
      for (let i = 0; i < 11; i++) await waive({ ...base(nvr), testcase: `t.${i}` });
      assert.equal((await listing(`subject_identifier=${nvr}`)).data.length, 10);
      const none = { data: [], prev: null, next: null, first: null, last: null };
      assert.deepEqual(await listing(`subject_identifier=${nvr}&page=3`), none);
      assert.deepEqual(await listing(`subject_identifier=${nvr}&page=0`), none);
      const empty = await listing(`subject_identifier=${unique('nothing')}`);
      assert.deepEqual([empty.data, empty.prev, empty.next], [[], null, null]);
      assert.match(empty.last!, /\?page=0&/);
    });

    const refusals: Array<[string, string]> = [
      ['page=first', 'page: must be a whole number (got "first")'],
      ['limit=-3', 'limit: must be a whole number from 1 (got "-3")'],
      ['include_obsolete=perhaps', 'include_obsolete: must be true or false (got "perhaps")'],
      ['since=last%20week', 'since: must be an ISO 8601 time, or two as start,end (got "last week")'],
    ];
    for (const [query, message] of refusals) {
      test(`refuses ?${query} with 400 {message} naming the parameter`, async () => {
        assert.deepEqual(await get(`/waivers/?${query}`), { status: 400, body: { message } });
      });
    }
  });

  describe('POST /waivers/+filtered', () => {
    test('filters combine with OR, criteria with AND; newest first; not paginated', async () => {
      const nvr = unique('rpm-4.20-1.fc42');
      const compose = unique('Fedora-42-20250601.n.1');
      const a = await waive({ ...base(nvr), testcase: 'dist.rpmlint' });
      const b = await waive({ ...base(nvr), testcase: 'dist.abicheck' });
      const c = await waive({
        subject_type: 'compose',
        subject_identifier: compose,
        testcase: 'compose.install_no_user',
        product_version: 'fedora-42',
        comment: 'c',
      });
      const res = await post<{ data: WaiverJson[] }>('/waivers/+filtered', {
        filters: [
          { subject_type: 'koji_build', subject_identifier: nvr, testcase: 'dist.rpmlint' },
          { subject_type: 'compose', subject_identifier: compose },
        ],
      });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.data, [c, a]);
      assert.ok(!ids(res.body.data).includes(b.id));
    });

    test('without include_obsolete, the newest per subject × testcase × scenario, whoever sent it and for whichever product version', async () => {
      const nvr = unique('perl-5.40-1.fc42');
      const old = await waive(base(nvr));
      const newer = await waive({ ...base(nvr), product_version: 'fedora-41' });
      const scenario = await waive({ ...base(nvr), scenario: 'ppc64le' });
      const filtered = async (include_obsolete?: boolean) =>
        ids(
          (
            await post<{ data: WaiverJson[] }>('/waivers/+filtered', {
              filters: [{ subject_identifier: nvr }],
              ...(include_obsolete === undefined ? {} : { include_obsolete }),
            })
          ).body.data,
        );
      assert.deepEqual(await filtered(), [scenario.id, newer.id]);
      assert.deepEqual(await filtered(true), [scenario.id, newer.id, old.id]);
      // GET /waivers/ keeps one per product version: both are current there.
      assert.deepEqual(ids((await listing(`subject_identifier=${nvr}`)).data), [
        scenario.id,
        newer.id,
        old.id,
      ]);
    });

    test('since and the other criteria work as on GET /waivers/', async () => {
      const nvr = unique('python3-3.13-1.fc42');
      const early = await waive(base(nvr));
      await sleep(5);
      const late = await waive({
        ...base(nvr),
        testcase: 'dist.other',
        scenario: 's',
        product_version: 'fedora-41',
      });
      const filtered = async (filter: Record<string, string>) =>
        ids(
          (
            await post<{ data: WaiverJson[] }>('/waivers/+filtered', {
              filters: [{ subject_identifier: nvr, ...filter }],
            })
          ).body.data,
        );
      assert.deepEqual(await filtered({ since: late.timestamp }), [late.id]);
      assert.deepEqual(await filtered({ since: `${early.timestamp},${early.timestamp}` }), [early.id]);
      assert.deepEqual(
        await filtered({ scenario: 's', product_version: 'fedora-41', username: 'anonymous' }),
        [late.id],
      );
      assert.deepEqual(await filtered({ proxied_by: 'nobody' }), []);
    });

    const refusals: Array<[string, unknown, string]> = [
      ['no filters', {}, 'filters: is required: a non-empty list of filter objects'],
      ['an empty list of filters', { filters: [] }, 'filters: must be a non-empty list of filter objects'],
      [
        'a misspelt filter',
        { filters: [{ subject: 'x' }] },
        'filters[0].subject: is not a filter; the filters are subject_type, subject_identifier, testcase, scenario, product_version, username, proxied_by, since',
      ],
      [
        'a bad since',
        { filters: [{ since: 'tomorrow' }] },
        'filters[0].since: must be an ISO 8601 time, or two as start,end (got "tomorrow")',
      ],
    ];
    for (const [what, body, message] of refusals) {
      test(`refuses ${what} with 400 {message} naming the field`, async () => {
        assert.deepEqual(await post('/waivers/+filtered', body), { status: 400, body: { message } });
      });
    }
  });

  describe('POST /waivers/+by-subjects-and-testcases (deprecated, as WaiverDB keeps it)', () => {
    const bySubjects = (body: unknown) =>
      post<{ data: WaiverJson[] }>('/waivers/+by-subjects-and-testcases', body);

    test('results [{subject, testcase}] combine with OR, each subject in the legacy dict form; product_version narrows all; {data} newest first', async () => {
      const nvr = unique('gzip-1.9-1.fc28');
      const compose = unique('Fedora-9000-19700101.n.18');
      const lint = await waive({ ...base(nvr), testcase: 'dist.rpmlint', product_version: 'fedora-28' });
      const other = await waive({ ...base(nvr), testcase: 'dist.abicheck', product_version: 'fedora-28' });
      const install = await waive({
        subject_type: 'compose',
        subject_identifier: compose,
        testcase: 'compose.install_no_user',
        product_version: 'fedora-28',
        comment: 'c',
      });
      const elsewhere = await waive({ ...base(nvr), testcase: 'dist.rpmlint', product_version: 'fedora-27' });
      // The request of WaiverDB's own docstring (waiverdb/api_v1.py).
      const res = await bySubjects({
        results: [
          { subject: { 'productmd.compose.id': compose }, testcase: 'compose.install_no_user' },
          { subject: { item: nvr, type: 'koji_build' }, testcase: 'dist.rpmlint' },
        ],
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { data: [elsewhere, install, lint] });
      assert.deepEqual(
        ids(
          (
            await bySubjects({
              product_version: 'fedora-28',
              results: [{ subject: { item: nvr, type: 'koji_build' }, testcase: 'dist.rpmlint' }],
            })
          ).body.data,
        ),
        [lint.id],
      );
      // Greenwave < 1.0 (greenwave/resources.py retrieve_waivers) sent subjects alone, brew-build as koji_build.
      assert.deepEqual(
        ids(
          (
            await bySubjects({
              product_version: 'fedora-28',
              results: [{ subject: { item: nvr, type: 'brew-build' } }],
            })
          ).body.data,
        ),
        [other.id, lint.id],
      );
    });

    test('a subject WaiverDB cannot read matches nothing; no results is no subject filter; obsolete as GET /waivers/ counts it', async () => {
      const nvr = unique('sed-4.9-1.fc42');
      const old = await waive(base(nvr));
      const newer = await waive(base(nvr));
      assert.deepEqual(
        (await bySubjects({ results: [{ subject: { type: 'koji_build' }, testcase: 'dist.rpmdeplint' }] }))
          .body,
        { data: [] },
      );
      // An empty subject is no criterion (Python's truth), so the testcase alone selects.
      const anyOfTestcase = ids(
        (await bySubjects({ results: [{ subject: {}, testcase: 'dist.rpmdeplint' }] })).body.data,
      );
      assert.ok(anyOfTestcase.includes(newer.id) && !anyOfTestcase.includes(old.id));
      assert.deepEqual(
        ids((await bySubjects({ results: [{ subject: { type: 'koji_build', item: nvr } }] })).body.data),
        [newer.id],
      );
      assert.deepEqual(
        ids(
          (
            await bySubjects({
              include_obsolete: true,
              results: [{ subject: { type: 'koji_build', item: nvr } }],
            })
          ).body.data,
        ),
        [newer.id, old.id],
      );
      const since = await bySubjects({ since: `${newer.timestamp},${newer.timestamp}` });
      assert.ok(
        ids(since.body.data).includes(newer.id) && !ids(since.body.data).includes(old.id),
        'since alone narrows every waiver',
      );
    });

    const refusals: Array<[string, unknown, string]> = [
      [
        'a body that is a list',
        [],
        'body: must be an object {results: [{subject, testcase}], product_version, ...}',
      ],
      [
        'results that are not a list',
        { results: { subject: {} } },
        'results: must be a list of {subject, testcase} objects',
      ],
      [
        'a result with an unknown key',
        { results: [{ subject: { type: 'koji_build', item: 'x' }, scenario: 'y' }] },
        'results[0].scenario: is not allowed: each result is {subject, testcase}',
      ],
      [
        'a subject that is a string',
        { results: [{ subject: 'bash', testcase: 't' }] },
        'results[0].subject: must be an object, e.g. {"type": "koji_build", "item": NVR}',
      ],
      [
        'an item that is a number',
        { results: [{ subject: { type: 'koji_build', item: 5 } }] },
        'results[0].subject.item: must be a string',
      ],
      [
        'a bad since',
        { since: 'yesterday' },
        'since: must be an ISO 8601 time, or two as start,end (got "yesterday")',
      ],
      [
        'include_obsolete as a string',
        { include_obsolete: 'yes' },
        'include_obsolete: must be true or false',
      ],
    ];
    for (const [what, body, message] of refusals) {
      test(`refuses ${what} with 400 {message} naming the field`, async () => {
        assert.deepEqual(await bySubjects(body), { status: 400, body: { message } });
      });
    }
  });

  describe('POST /waivers/ with result_id (waiverdb-cli -r ID)', () => {
    const submitResult = async (body: Record<string, unknown>) => {
      const res = await call<{ id: number }>(service, 'POST', '/api/v2.0/results', body);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id;
    };
    // waiverdb/cli.py sends a list, one waiver per -r, with username null when not proxying.
    const byId = (resultId: unknown, extra: Record<string, unknown> = {}) =>
      post<WaiverJson[]>('/waivers/', [
        {
          result_id: resultId,
          waived: true,
          product_version: 'fedora-42',
          comment: 'This is fine',
          username: null,
          ...extra,
        },
      ]);

    test("the waiver takes the result's subject, test case and scenario, as WaiverDB reads them from ResultsDB", async () => {
      const nvr = unique('bash-5.2.26-3.fc42');
      const id = await submitResult({
        testcase: { name: 'dist.rpmdeplint' },
        outcome: 'FAILED',
        data: { item: nvr, type: 'koji_build', scenario: 'x86_64' },
      });
      const res = await byId(id);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.length, 1);
      const [w] = res.body;
      assert.deepEqual(
        [
          w!.subject_type,
          w!.subject_identifier,
          w!.testcase,
          w!.scenario,
          w!.product_version,
          w!.waived,
          w!.comment,
        ],
        ['koji_build', nvr, 'dist.rpmdeplint', 'x86_64', 'fedora-42', true, 'This is fine'],
      );
      assert.deepEqual((await get(`/waivers/${w!.id}`)).body, w);
    });

    test('brew-build results are waived as koji_build; original_spec_nvr wins; other types are kept; no scenario is every scenario', async () => {
      const nvr = unique('bash-5.1.8-9.el9');
      const brew = await byId(
        await submitResult({
          testcase: 'baseos-ci.tier1',
          outcome: 'FAILED',
          data: { item: nvr, type: 'brew-build' },
        }),
      );
      assert.deepEqual(
        [brew.body[0]!.subject_type, brew.body[0]!.subject_identifier, brew.body[0]!.scenario],
        ['koji_build', nvr, null],
      );
      const spec = unique('libfoo-1-1.fc42');
      const original = await byId(
        await submitResult({
          testcase: 'dist.depcheck',
          outcome: 'FAILED',
          data: { original_spec_nvr: spec, item: 'libfoo-1-1.fc42.x86_64.rpm', type: 'koji_build' },
        }),
      );
      assert.deepEqual(
        [original.body[0]!.subject_type, original.body[0]!.subject_identifier],
        ['koji_build', spec],
      );
      const compose = unique('Fedora-42-20250601.n.1');
      // pydantic reads "47" as 47 too.
      const asText = await byId(
        String(
          await submitResult({
            testcase: 'compose.install_no_user',
            outcome: 'FAILED',
            data: { item: compose, type: 'compose' },
          }),
        ),
      );
      assert.deepEqual(
        [asText.status, asText.body[0]!.subject_type, asText.body[0]!.subject_identifier],
        [201, 'compose', compose],
      );
    });

    test("400 with WaiverDB's wording for a result that is not there or has no subject; nothing of the list is stored", async () => {
      const nvr = unique('zsh-5.9-1.fc42');
      const missing = await post('/waivers/', [
        { ...base(nvr) },
        { result_id: 999999999, product_version: 'fedora-42', comment: 'c' },
      ]);
      assert.deepEqual(missing, {
        status: 400,
        body: { message: '[1].result_id: Result id not found in Resultsdb' },
      });
      assert.deepEqual(
        (await listing(`subject_identifier=${nvr}`)).data,
        [],
        'the valid first waiver was not stored either',
      );
      const noSubject = await submitResult({
        testcase: 'dist.rpmdeplint',
        outcome: 'PASSED',
        data: { note: 'no item' },
      });
      assert.deepEqual(await byId(noSubject), {
        status: 400,
        body: {
          message:
            '[0].result_id: It is not possible to submit a waiver by id for this result. Please try again specifying a subject and a testcase.',
        },
      });
      const both = await byId(noSubject, { testcase: 'dist.rpmdeplint', scenario: 'x' });
      assert.deepEqual(both, {
        status: 400,
        body: {
          message:
            "[0].result_id: must not be given together with testcase, scenario: the subject, test case and scenario are the result's",
        },
      });
      assert.deepEqual(await byId('forty-two'), {
        status: 400,
        body: { message: '[0].result_id: must be a result id, a whole number (got "forty-two")' },
      });
    });
  });

  test('GET /about answers the version and how callers authenticate', async () => {
    const res = await get<{ version: string; auth_method: string }>('/about');
    assert.equal(res.status, 200);
    assert.match(res.body.version, /^\d+\.\d+\.\d+/);
    assert.equal(res.body.auth_method, 'token');
    assert.deepEqual(await get('/about/'), res);
  });

  test('GET /permissions without rules configured is an empty list', async () => {
    assert.deepEqual(await get('/permissions?testcase=dist.rpmdeplint'), { status: 200, body: [] });
  });
});

describe('waiver permissions (tokens and rules configured)', () => {
  let service: SluiceService;
  const token = (
    user: string,
    groups: string[],
    scopes: Array<'waivers:write' | 'results:write'> = ['waivers:write'],
  ) => ({ user, sha256: hashToken(`${user}-token`), groups, scopes });
  const kernelRule = {
    name: 'kernel',
    maintainers: ['kernel-qe@example.com'],
    testcases: ['kernel-qe.*'],
    testcasesIgnore: ['kernel-qe.unwaivable.*'],
    users: ['alice'],
    groups: ['kernel-devs'],
  };
  const distRule = { testcases: ['dist.*'], groups: ['qa'] };
  before(async () => {
    service = await start({
      auth: {
        tokens: [
          token('alice', ['qa']),
          token('bob', []),
          token('dave', ['kernel-devs']),
          token('bodhi', []),
          token('ci', [], ['results:write']),
          token('carol', ['kernel-devs'], []),
        ],
      },
      waivers: { superusers: ['bodhi'], permissions: [kernelRule, distRule] },
    });
  });
  after(() => service?.stop());

  const waive = (as: string | undefined, body: unknown) =>
    call<WaiverJson & { message: string }>(service, 'POST', `${API}/waivers/`, body, as && `${as}-token`);
  const body = (testcase: string, extra: Record<string, unknown> = {}) => ({
    subject_type: 'koji_build',
    subject_identifier: unique('kernel-6.9-1.fc42'),
    testcase,
    product_version: 'fedora-42',
    comment: 'c',
    ...extra,
  });
  const forbidden = (user: string, testcase: string) => ({
    message: `User ${user} is not authorized to submit waivers for the test case ${testcase}`,
  });

  test('a user listed by a rule about the test case may waive it, as that user', async () => {
    const res = await waive('alice', body('kernel-qe.boot'));
    assert.equal(res.status, 201);
    assert.deepEqual([res.body.username, res.body.proxied_by], ['alice', null]);
  });

  test("a member of a group listed by a rule about the test case may waive it (the token's groups)", async () => {
    assert.equal((await waive('dave', body('kernel-qe.boot'))).status, 201);
    assert.equal((await waive('alice', body('dist.rpmdeplint'))).status, 201);
  });

  test("anyone else gets 403 with WaiverDB's message, and nothing is stored", async () => {
    const sent = body('kernel-qe.boot');
    assert.deepEqual(await waive('bob', sent), { status: 403, body: forbidden('bob', 'kernel-qe.boot') });
    assert.deepEqual(await waive('dave', body('dist.rpmdeplint')), {
      status: 403,
      body: forbidden('dave', 'dist.rpmdeplint'),
    });
    const listed = await call<Listing>(
      service,
      'GET',
      `${API}/waivers/?subject_identifier=${sent.subject_identifier}`,
    );
    assert.deepEqual(listed.body.data, []);
  });

  test('a test case no rule is about, or one a rule ignores, cannot be waived by anyone', async () => {
    assert.deepEqual(await waive('alice', body('other.test')), {
      status: 403,
      body: forbidden('alice', 'other.test'),
    });
    assert.deepEqual(await waive('alice', body('kernel-qe.unwaivable.panic')), {
      status: 403,
      body: forbidden('alice', 'kernel-qe.unwaivable.panic'),
    });
  });

  test('a list is refused whole when one waiver of it is not permitted', async () => {
    const allowed = body('kernel-qe.boot');
    const res = await waive('alice', [allowed, body('other.test')]);
    assert.deepEqual(res, { status: 403, body: forbidden('alice', 'other.test') });
    const listed = await call<Listing>(
      service,
      'GET',
      `${API}/waivers/?subject_identifier=${allowed.subject_identifier}`,
    );
    assert.deepEqual(listed.body.data, [], 'the permitted waiver was not stored either');
  });

  test("a superuser may waive for another user: stored as that user, proxied_by the superuser, with that user's permission", async () => {
    const res = await waive('bodhi', body('kernel-qe.boot', { username: 'carol' }));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual([res.body.username, res.body.proxied_by], ['carol', 'bodhi']);
    const listed = await call<Listing>(service, 'GET', `${API}/waivers/?proxied_by=bodhi&username=carol`);
    assert.ok(listed.body.data.some((w) => w.id === res.body.id));
    assert.deepEqual(await waive('bodhi', body('kernel-qe.boot', { username: 'bob' })), {
      status: 403,
      body: forbidden('bob', 'kernel-qe.boot'),
    });
  });

  test('only a superuser may name another user', async () => {
    assert.deepEqual(await waive('alice', body('kernel-qe.boot', { username: 'carol' })), {
      status: 403,
      body: { message: 'user alice does not have the proxyuser ability' },
    });
  });

  test('without a token 401, with a bad one 401, without the waivers:write scope 403', async () => {
    const none = await waive(undefined, body('kernel-qe.boot'));
    assert.equal(none.status, 401);
    assert.match(none.body.message, /needs an API token with scope "waivers:write"/);
    assert.equal(
      (await call(service, 'POST', `${API}/waivers/`, body('kernel-qe.boot'), 'guess')).status,
      401,
    );
    const ci = await waive('ci', body('kernel-qe.boot'));
    assert.equal(ci.status, 403);
    assert.match(ci.body.message, /user ci lacks the scope "waivers:write"/);
  });

  test('a bad body is a 400 before any permission is looked at', async () => {
    assert.deepEqual(await waive('bob', { testcase: 'other.test' }), {
      status: 400,
      body: { message: 'product_version: is required' },
    });
  });

  test('reads stay open', async () => {
    assert.equal((await call(service, 'GET', `${API}/waivers/`)).status, 200);
    assert.equal(
      (await call(service, 'POST', `${API}/waivers/+filtered`, { filters: [{ username: 'alice' }] })).status,
      200,
    );
  });

  test("GET /permissions lists the rules in WaiverDB's shape; ?testcase= only those about it", async () => {
    const kernel = {
      name: 'kernel',
      maintainers: ['kernel-qe@example.com'],
      testcases: ['kernel-qe.*'],
      testcases_ignore: ['kernel-qe.unwaivable.*'],
      users: ['alice'],
      groups: ['kernel-devs'],
    };
    const dist = { maintainers: [], testcases: ['dist.*'], testcases_ignore: [], users: [], groups: ['qa'] };
    assert.deepEqual(await call(service, 'GET', `${API}/permissions`), { status: 200, body: [kernel, dist] });
    assert.deepEqual((await call(service, 'GET', `${API}/permissions?testcase=kernel-qe.boot`)).body, [
      kernel,
    ]);
    assert.deepEqual((await call(service, 'GET', `${API}/permissions/?testcase=dist.rpmlint`)).body, [dist]);
    assert.deepEqual(
      (await call(service, 'GET', `${API}/permissions?testcase=kernel-qe.unwaivable.x`)).body,
      [],
    );
  });
});

describe('with tokens but no permission rules', () => {
  test('any user whose token holds waivers:write may waive any test case', async (t) => {
    const service = await start({
      auth: { tokens: [{ user: 'bob', sha256: hashToken('bob-token'), scopes: ['waivers:write'] }] },
    });
    t.after(() => service.stop());
    const res = await call<WaiverJson>(
      service,
      'POST',
      `${API}/waivers/`,
      {
        subject_type: 'koji_build',
        subject_identifier: 'x-1-1.fc42',
        testcase: 'anything.at.all',
        product_version: 'fedora-42',
        comment: 'c',
      },
      'bob-token',
    );
    assert.equal(res.status, 201);
    assert.equal(res.body.username, 'bob');
  });
});
