import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { RouteInfo } from '../api/http-server.js';
import { opsService, scopedTokens, tokenFor } from './support/ops-service.js';

/**
 * Property-based requests against every route in the route table, so routes added later are
 * fuzzed too: wrong types, huge values, missing and unknown fields, unicode, invalid JSON, wrong
 * content types, odd path parameters and query strings, with and without a token. Whatever
 * comes in, the answer is a status below 500, and the service still answers /healthz.
 * Bounded: RUNS requests per route and a time limit per route. FUZZ_SEED reproduces a run.
 */
const RUNS = Number(process.env.SLUICE_FUZZ_RUNS ?? 60);
const TIME_PER_ROUTE_MS = 4000;
const BODY_LIMIT = 16 * 1024;

/** Field names the APIs know: bodies and queries built from them reach past the first checks. */
const FIELDS = [
  'testcase', 'outcome', 'data', 'groups', 'submit_time', 'note', 'ref_url', 'name', 'uuid', 'description',
  'subject', 'subject_type', 'subject_identifier', 'product_version', 'waived', 'comment', 'scenario', 'username',
  'filters', 'include_obsolete', 'topic', 'body', 'ids', 'item', 'type', 'decision_context', 'repo', 'branch', 'revision',
];
const QUERY_KEYS = ['page', 'limit', 'since', 'outcome', 'testcases', 'testcases:like', 'groups', '_sort', '_distinct_on', 'item', 'type', 'name', 'name:like', 'uuid', 'description:like', 'include_obsolete', 'topic', 'last_event_id', 'testcase', 'subject_type', 'subject_identifier', ':like', 'item:like'];

const oddString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', ' ', '-1', '0', '1e309', 'NaN', 'null', 'true', '99999999999999999999999', '%', '%00', '../..', '*', '#', 'ci.#', 'a,b,,c', '2024-02-30T25:61:00Z', '\u0000', '\ud800', 'PASSED', 'FAILED'),
  fc.string({ minLength: 300, maxLength: 3000 }),
);
const scalar = fc.oneof(oddString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string()), tie('v'), { maxKeys: 5 })),
})).v;
const domainObject = fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 8 });

type Body = { payload?: string | Buffer; contentType?: string };
const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 4, arbitrary: domainObject.map((o) => ({ payload: JSON.stringify(o), contentType: 'application/json' })) },
  { weight: 2, arbitrary: value.map((v) => ({ payload: JSON.stringify(v) ?? 'null', contentType: 'application/json' })) },
  { weight: 2, arbitrary: fc.string().map((s) => ({ payload: s, contentType: 'application/json' })) }, // mostly invalid JSON
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'application/octet-stream', '*/*', 'garbage'), oddString).map(([contentType, s]) => ({ payload: s, contentType })) },
  { weight: 1, arbitrary: fc.constant({ payload: JSON.stringify({ note: 'x'.repeat(BODY_LIMIT * 2) }), contentType: 'application/json' }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => ({ payload: Buffer.from(b), contentType: 'application/json' })) },
  { weight: 1, arbitrary: fc.constant({}) },
);
const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string()), oddString), { maxLength: 6 });
const auth = fc.constantFrom<string | undefined>(undefined, tokenFor('admin'), 'garbage', tokenFor('runs:write'));

/** Percent-encoded (lone surrogates made well-formed first), or raw when it is printable ASCII: raw `%` sequences reach the router's decoding. */
function segment(text: string, raw: boolean): string {
  if (raw && /^[\x21-\x7e]+$/.test(text) && !/[/?#]/.test(text)) return text;
  return encodeURIComponent(text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}

function urlFor(route: RouteInfo, params: string[], pairs: Array<[string, string]>, raw: boolean): string {
  let i = 0;
  const path = route.url.replace(/:[A-Za-z_]+/g, () => segment(params[i++ % params.length] ?? 'x', raw));
  const qs = new URLSearchParams(pairs).toString();
  return qs ? `${path}?${qs}` : path;
}

test('fuzzing every route in the route table: no 5xx, no crash, /healthz still answers', async (t) => {
  const service = opsService({ auth: { tokens: scopedTokens() }, server: { bodyLimitBytes: BODY_LIMIT, maxEventStreams: 5 } });
  const base = (await service.start())!;
  t.after(() => service.stop());
  const app = service.http!.app;
  const routes = service.http!.routes;
  assert.ok(routes.length >= 25);
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
  let requests = 0;

  for (const route of routes) {
    await t.test(`${route.method} ${route.url}`, async () => {
      const request = fc.record({ params: fc.array(oddString, { minLength: 1, maxLength: 3 }), raw: fc.boolean(), pairs: query, body, token: auth, requestId: fc.option(oddString) });
      await fc.assert(
        fc.asyncProperty(request, async ({ params, raw, pairs, body: b, token, requestId }) => {
          const url = urlFor(route, params, pairs, raw);
          const headers: Record<string, string> = {};
          if (b.contentType) headers['content-type'] = b.contentType;
          if (token) headers.authorization = `Bearer ${token}`;
          if (requestId !== null && /^[\x20-\x7e]*$/.test(requestId)) headers['x-request-id'] = requestId;
          requests++;
          if (route.stream) {
            // An accepted stream never ends: read the status, then hang up.
            const abort = new AbortController();
            const res = await fetch(base + url, { headers, signal: abort.signal }).catch((err: Error) => ({ status: err.name === 'AbortError' ? 200 : 0 }) as Response);
            abort.abort();
            assert.ok(res.status > 0 && res.status < 500, `${route.method} ${url}: ${res.status}`);
            return;
          }
          const method = route.method as 'GET';
          const res = await app.inject({ method, url, headers, ...(b.payload !== undefined && method !== 'GET' ? { payload: b.payload } : {}) });
          assert.ok(res.statusCode < 500, `${route.method} ${url} (${b.contentType ?? 'no body'}): ${res.statusCode} ${res.body.slice(0, 500)}`);
          if (res.statusCode >= 400 && res.headers['content-type']?.toString().includes('json')) {
            assert.equal(typeof res.json<{ message?: unknown }>().message, 'string', `${route.method} ${url}: a refusal without a message: ${res.body.slice(0, 300)}`);
          }
        }),
        { numRuns: RUNS, interruptAfterTimeLimit: TIME_PER_ROUTE_MS, seed, endOnFailure: false },
      );
    });
  }

  await t.test('paths and methods no route has', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), fc.array(oddString, { maxLength: 4 }), async (method, segments) => {
        const res = await app.inject({ method: method as 'GET', url: '/api/' + segments.map((x) => segment(x, x.length % 2 === 0)).join('/') });
        assert.ok(res.statusCode < 500, `${method} ${res.statusCode}`);
      }),
      { numRuns: RUNS * 2, interruptAfterTimeLimit: TIME_PER_ROUTE_MS, seed },
    );
  });

  assert.ok(requests >= routes.length * 5, `only ${requests} requests were made`);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
});
