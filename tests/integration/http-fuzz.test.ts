import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { RouteInfo } from '../../api/http-server.js';
import { aliasBomb } from '../support/alias-bomb.js';
import { concreteUrl, opsService, scopedTokens, tokenFor } from '../support/ops-service.js';

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
  'testcase',
  'outcome',
  'data',
  'groups',
  'submit_time',
  'note',
  'ref_url',
  'name',
  'uuid',
  'description',
  'subject',
  'subject_type',
  'subject_identifier',
  'product_version',
  'waived',
  'comment',
  'scenario',
  'username',
  'filters',
  'include_obsolete',
  'topic',
  'body',
  'ids',
  'item',
  'type',
  'decision_context',
  'repo',
  'branch',
  'revision',
];
const QUERY_KEYS = [
  'page',
  'limit',
  'since',
  'outcome',
  'testcases',
  'testcases:like',
  'groups',
  '_sort',
  '_distinct_on',
  'item',
  'type',
  'name',
  'name:like',
  'uuid',
  'description:like',
  'include_obsolete',
  'topic',
  'last_event_id',
  'testcase',
  'subject_type',
  'subject_identifier',
  ':like',
  'item:like',
];

const oddString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    ' ',
    '-1',
    '0',
    '1e309',
    'NaN',
    'null',
    'true',
    '99999999999999999999999',
    '%',
    '%00',
    '../..',
    '*',
    '#',
    'ci.#',
    'a,b,,c',
    '2024-02-30T25:61:00Z',
    '\u0000',
    '\ud800',
    'PASSED',
    'FAILED',
  ),
  fc.string({ minLength: 300, maxLength: 3000 }),
);
const scalar = fc.oneof(
  oddString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string()), tie('v'), { maxKeys: 5 }),
  ),
})).v;
const domainObject = fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 8 });

type Body = { payload?: string | Buffer; contentType?: string };
const body: fc.Arbitrary<Body> = fc.oneof(
  {
    weight: 4,
    arbitrary: domainObject.map((o) => ({ payload: JSON.stringify(o), contentType: 'application/json' })),
  },
  {
    weight: 2,
    arbitrary: value.map((v) => ({ payload: JSON.stringify(v) ?? 'null', contentType: 'application/json' })),
  },
  { weight: 2, arbitrary: fc.string().map((s) => ({ payload: s, contentType: 'application/json' })) }, // mostly invalid JSON
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          'text/plain',
          'application/xml',
          'multipart/form-data; boundary=x',
          'application/x-www-form-urlencoded',
          'application/json; charset=latin1',
          'application/octet-stream',
          '*/*',
          'garbage',
        ),
        oddString,
      )
      .map(([contentType, s]) => ({ payload: s, contentType })),
  },
  {
    weight: 1,
    arbitrary: fc.constant({
      payload: JSON.stringify({ note: 'x'.repeat(BODY_LIMIT * 2) }),
      contentType: 'application/json',
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ maxLength: 200 })
      .map((b) => ({ payload: Buffer.from(b), contentType: 'application/json' })),
  },
  { weight: 1, arbitrary: fc.constant({}) },
);
const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string()), oddString), {
  maxLength: 6,
});
const auth = fc.constantFrom<string | undefined>(
  undefined,
  tokenFor('admin'),
  'garbage',
  tokenFor('runs:write'),
);

/** Percent-encoded (lone surrogates made well-formed first), or raw when it is printable ASCII: raw `%` sequences reach the router's decoding. */
function segment(text: string, raw: boolean): string {
  if (raw && /^[\x21-\x7e]+$/.test(text) && !/[/?#]/.test(text)) return text;
  return encodeURIComponent(
    text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'),
  );
}

function urlFor(route: RouteInfo, params: string[], pairs: Array<[string, string]>, raw: boolean): string {
  let i = 0;
  const path = route.url.replace(/:[A-Za-z_]+/g, () => segment(params[i++ % params.length] ?? 'x', raw));
  const qs = new URLSearchParams(pairs).toString();
  return qs ? `${path}?${qs}` : path;
}

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

test('fuzzing every route in the route table: no 5xx, no crash, /healthz still answers', async (t) => {
  const service = await opsService({
    auth: { tokens: scopedTokens() },
    server: { bodyLimitBytes: BODY_LIMIT, maxEventStreams: 5 },
  });
  const base = (await service.start())!;
  t.after(() => service.stop());
  const app = service.http!.app;
  const routes = service.http!.routes;
  assert.ok(routes.length >= 25);
  let requests = 0;

  for (const route of routes) {
    await t.test(`${route.method} ${route.url}`, async () => {
      const request = fc.record({
        params: fc.array(oddString, { minLength: 1, maxLength: 3 }),
        raw: fc.boolean(),
        pairs: query,
        body,
        token: auth,
        requestId: fc.option(oddString),
      });
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
            const res = await fetch(base + url, { headers, signal: abort.signal }).catch(
              (err: Error) => ({ status: err.name === 'AbortError' ? 200 : 0 }) as Response,
            );
            abort.abort();
            assert.ok(res.status > 0 && res.status < 500, `${route.method} ${url}: ${res.status}`);
            return;
          }
          const method = route.method as 'GET';
          const res = await app.inject({
            method,
            url,
            headers,
            ...(b.payload !== undefined && method !== 'GET' ? { payload: b.payload } : {}),
          });
          assert.ok(
            res.statusCode < 500,
            `${route.method} ${url} (${b.contentType ?? 'no body'}): ${res.statusCode} ${res.body.slice(0, 500)}`,
          );
          if (res.statusCode >= 400 && res.headers['content-type']?.toString().includes('json')) {
            assert.equal(
              typeof res.json<{ message?: unknown }>().message,
              'string',
              `${route.method} ${url}: a refusal without a message: ${res.body.slice(0, 300)}`,
            );
          }
        }),
        { numRuns: RUNS, interruptAfterTimeLimit: TIME_PER_ROUTE_MS, seed, endOnFailure: false },
      );
    });
  }

  await t.test('paths and methods no route has', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        fc.array(oddString, { maxLength: 4 }),
        async (method, segments) => {
          const res = await app.inject({
            method: method as 'GET',
            url: `/api/${segments.map((x) => segment(x, x.length % 2 === 0)).join('/')}`,
          });
          assert.ok(res.statusCode < 500, `${method} ${res.statusCode}`);
        },
      ),
      { numRuns: RUNS * 2, interruptAfterTimeLimit: TIME_PER_ROUTE_MS, seed },
    );
  });

  assert.ok(requests >= routes.length * 5, `only ${requests} requests were made`);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
});

/*
 * Hostile shapes (issue 16): generators for what once killed or froze the server - nesting
 * depth, alias fan-out, filter counts, repeated parameters - each with the answer it must get:
 * within a limit it is served (or refused for another reason, never 5xx); beyond it, 400 naming
 * the limit, quickly. Counts are fixed (no time limit) so that a run always covers as many.
 */
const JSON_DEPTH_RUNS = 200;
const YAML_DEPTH_RUNS = 150;
const ALIAS_RUNS = 150;
const FILTER_RUNS = 200;
const REPEAT_RUNS = 100;
/** The 100 ms the issue asks for, with room for a shared test machine; a bomb took 20 s. */
const SLOW_MS = 1000;

/** Depths around each limit and far beyond it. */
const depth = (limit: number, max: number) =>
  fc.oneof(
    fc.integer({ min: 1, max: limit + 4 }),
    fc.integer({ min: limit - 4, max: limit + 4 }),
    fc.integer({ min: 1, max }),
  );

function nestedJson(levels: number, shape: 'array' | 'object' | 'mixed'): string {
  let open = '';
  let close = '';
  for (let i = 0; i < levels; i++) {
    const asArray = shape === 'array' || (shape === 'mixed' && i % 2 === 0);
    open += asArray ? '[' : '{"k":';
    close = (asArray ? ']' : '}') + close;
  }
  return `${open}"leaf"${close}`;
}

test('hostile shapes: generated JSON nesting on every route that takes a body gets 400 naming the limit beyond 64 levels', async (t) => {
  const service = await opsService({ auth: { tokens: scopedTokens() } });
  await service.start();
  t.after(() => service.stop());
  const app = service.http!.app;
  const routes = service.http!.routes.filter((r) => !r.stream && ['POST', 'PUT', 'PATCH'].includes(r.method));
  assert.ok(routes.length >= 10);
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...routes),
      depth(64, 20_000),
      fc.constantFrom('array', 'object', 'mixed'),
      fc.constantFrom(...FIELDS),
      async (route, levels, shape, field) => {
        runs++;
        const payload = `{${JSON.stringify(field)}: ${nestedJson(levels, shape as 'array')}}`;
        const res = await app.inject({
          method: route.method as 'POST',
          url: concreteUrl(route),
          payload,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenFor('admin')}` },
        });
        const where = `${route.method} ${route.url} at ${levels + 1} levels (${shape})`;
        assert.ok(res.statusCode < 500, `${where}: ${res.statusCode} ${res.body.slice(0, 300)}`);
        if (levels + 1 > 64) {
          assert.equal(res.statusCode, 400, where);
          // Greenwave's validate-gating-yaml reads any body as YAML text (JSON is YAML): the YAML limit answers.
          const refusal = route.url.endsWith('/validate-gating-yaml')
            ? /^YAML refused: (nesting deeper than the limit of 64 levels|\d+ bytes is more than the limit of 32768 bytes)$/
            : /^body: JSON nested deeper than the limit of 64 levels$/;
          assert.match(res.json<{ message: string }>().message, refusal, where);
        } else {
          // (A gating.yaml sent as JSON may still be too deep as YAML: its own limit, its own words.)
          assert.doesNotMatch(res.body, /JSON nested deeper/, where);
        }
      },
    ),
    { numRuns: JSON_DEPTH_RUNS, seed },
  );
  t.diagnostic(`${runs} generated bodies`);
  assert.equal(runs >= JSON_DEPTH_RUNS, true);
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});

/** `levels` collections inside one another, written in one of YAML's ways of nesting. */
function nestedYaml(
  levels: number,
  style: 'flow-seq' | 'flow-map' | 'block-map' | 'compact-seq' | 'block-seq',
): string {
  switch (style) {
    case 'flow-seq':
      return `${'['.repeat(levels)}x${']'.repeat(levels)}\n`;
    case 'flow-map':
      return `${'{a: '.repeat(levels)}x${'}'.repeat(levels)}\n`;
    case 'block-map':
      return `${Array.from({ length: levels }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} x\n`;
    case 'compact-seq':
      return `${'- '.repeat(levels)}x\n`;
    case 'block-seq':
      return `${Array.from({ length: levels }, (_, i) => `${' '.repeat(i * 2)}-`).join('\n')} x\n`;
  }
}

/** Greenwave's route for a gating.yaml; the same parse reads dist-git's files and the policies. */
async function validateYaml(app: import('fastify').FastifyInstance, yaml: string) {
  const started = performance.now();
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1.0/validate-gating-yaml',
    payload: yaml,
    headers: { 'content-type': 'text/plain' },
  });
  return {
    status: res.statusCode,
    message: (res.json() as { message: string }).message,
    ms: performance.now() - started,
  };
}

test('hostile shapes: generated YAML nesting (flow, block, compact) is refused beyond 64 levels, never aborts or stalls the server', async (t) => {
  const service = await opsService();
  await service.start();
  t.after(() => service.stop());
  const app = service.http!.app;
  let runs = 0;
  let slowest = 0;
  await fc.assert(
    fc.asyncProperty(
      depth(64, 6000),
      fc.constantFrom('flow-seq', 'flow-map', 'block-map', 'compact-seq', 'block-seq'),
      async (levels, style) => {
        runs++;
        const yaml = nestedYaml(levels, style as 'flow-seq');
        const r = await validateYaml(app, yaml);
        slowest = Math.max(slowest, r.ms);
        const where = `${levels} levels of ${style} (${yaml.length} bytes)`;
        assert.ok(r.status < 500, `${where}: ${r.status} ${r.message}`);
        assert.ok(r.ms < SLOW_MS, `${where}: ${r.ms} ms`);
        if (Buffer.byteLength(yaml) > 1024 * 1024) {
          assert.equal(r.status, 413, where); // server.bodyLimitBytes, before any parser
        } else if (levels > 64) {
          assert.equal(r.status, 400, where);
          assert.match(
            r.message,
            /^YAML refused: (nesting deeper than the limit of 64 levels|\d+ bytes is more than the limit of 32768 bytes)/,
            where,
          );
        } else if (levels < 60) {
          assert.doesNotMatch(r.message, /YAML refused/, where);
        }
      },
    ),
    { numRuns: YAML_DEPTH_RUNS, seed },
  );
  t.diagnostic(`${runs} generated documents, the slowest answered in ${slowest.toFixed(0)} ms`);
  assert.equal(runs >= YAML_DEPTH_RUNS, true);
});

/** Nodes a reader expanding every alias of aliasBomb(levels, fanOut) would build. */
function expandedNodes(levels: number, fanOut: number): number {
  let size = 1 + fanOut; // a0: the list and its scalars
  let total = 2 + size; // the root map, a0's key and a0
  for (let i = 1; i <= levels; i++) {
    size = 1 + fanOut * size;
    total += 1 + size;
  }
  return total;
}

test('hostile shapes: generated alias fan-out is refused past 100 aliases or 5,000 expanded nodes, in well under a second', async (t) => {
  const service = await opsService();
  await service.start();
  t.after(() => service.stop());
  const app = service.http!.app;
  let runs = 0;
  let slowest = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 30 }),
      async (levels, fanOut) => {
        runs++;
        const r = await validateYaml(app, aliasBomb(levels, fanOut));
        slowest = Math.max(slowest, r.ms);
        const where = `${levels} levels × ${fanOut} (${expandedNodes(levels, fanOut)} nodes expanded)`;
        assert.ok(r.status < 500, `${where}: ${r.status} ${r.message}`);
        assert.ok(r.ms < SLOW_MS, `${where}: ${r.ms} ms`);
        if (levels * fanOut > 100)
          assert.equal(r.message, 'YAML refused: more aliases than the limit of 100', where);
        else if (expandedNodes(levels, fanOut) > 5_000)
          assert.equal(
            r.message,
            'YAML refused: more than the limit of 5000 nodes once aliases are expanded',
            where,
          );
        else assert.doesNotMatch(r.message, /YAML refused/, where);
      },
    ),
    { numRuns: ALIAS_RUNS, seed },
  );
  t.diagnostic(`${runs} generated alias bombs, the slowest answered in ${slowest.toFixed(0)} ms`);
  assert.equal(runs >= ALIAS_RUNS, true);
});

/** One way of asking for many filters, the count asked for, and the answer the limits give. */
type FilterCase = { kind: string; n: number; url?: string; body?: unknown; refusal: string | null };

const filterCase: fc.Arbitrary<FilterCase> = fc
  .tuple(
    fc.constantFrom(
      'data-keys',
      'like-keys',
      'like-values',
      'testcases-like',
      'testcases',
      'distinct-on',
      'waiver-filters',
    ),
    fc.oneof(
      fc.integer({ min: 1, max: 120 }),
      fc.integer({ min: 1, max: 1200 }),
      fc.integer({ min: 1, max: 20_000 }),
    ),
    fc.constantFrom('/api/v2.0/results', '/api/v2.0/results/latest'),
  )
  .map(([kind, count, route]): FilterCase => {
    const n = kind === 'waiver-filters' ? count : Math.min(count, 3000);
    const many = <T>(f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
    switch (kind) {
      case 'data-keys':
      case 'like-keys': {
        const like = kind === 'like-keys' ? ':like' : '';
        const refusal =
          n > 1000
            ? 'query: more than 1000 parameters (the limit)'
            : n > 50
              ? `k50${like}: more than 50 data filters in one query (the limit)`
              : null;
        return { kind, n, url: `${route}?${many((i) => `k${i}${like}=v${i}`).join('&')}`, refusal };
      }
      case 'like-values':
        return {
          kind,
          n,
          url: `${route}?item:like=${many((i) => `bash-${i}*`).join(',')}`,
          refusal: n > 100 ? 'item:like: more than 100 patterns (the limit)' : null,
        };
      case 'testcases-like':
        return {
          kind,
          n,
          url: `${route}?testcases:like=${many((i) => `dist.${i}*`).join(',')}`,
          refusal: n > 100 ? 'testcases:like: more than 100 patterns (the limit)' : null,
        };
      case 'testcases':
        return {
          kind,
          n,
          url: `${route}?testcases=${many((i) => `dist.${i}`).join(',')}`,
          refusal: n > 1000 ? 'testcases: more than 1000 values (the limit)' : null,
        };
      case 'distinct-on':
        return {
          kind,
          n,
          url: `${route}?item=x&_distinct_on=${many((i) => `d${i}`).join(',')}`,
          refusal:
            n > 1000
              ? '_distinct_on: more than 1000 values (the limit)'
              : n > 10
                ? '_distinct_on: more than 10 keys (the limit)'
                : null,
        };
      default:
        return {
          kind,
          n,
          body: {
            filters: many((i) => ({
              subject_type: 'koji_build',
              subject_identifier: `bash-${i}`,
              testcase: 'dist.rpmdeplint',
            })),
          },
          refusal: n > 500 ? `filters: has ${n} filter objects, more than the limit of 500` : null,
        };
    }
  });

test('hostile shapes: generated filter counts are served up to each limit and refused with 400 naming it beyond, never a 500 from SQLite', async (t) => {
  const service = await opsService();
  await service.start();
  t.after(() => service.stop());
  const app = service.http!.app;
  service.ctx.resultIntake.submit({
    testcase: 'dist.rpmdeplint',
    outcome: 'PASSED',
    data: { item: 'bash-1', type: 'koji_build' },
  });
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(filterCase, async (c) => {
      runs++;
      const res = c.body
        ? await app.inject({ method: 'POST', url: '/api/v1.0/waivers/+filtered', payload: c.body as object })
        : await app.inject({ method: 'GET', url: c.url! });
      const where = `${c.kind} × ${c.n}`;
      if (c.body && JSON.stringify(c.body).length > 1024 * 1024)
        assert.equal(res.statusCode, 413, where); // server.bodyLimitBytes comes first
      else if (c.refusal === null) assert.equal(res.statusCode, 200, `${where}: ${res.body.slice(0, 300)}`);
      else {
        assert.equal(res.statusCode, 400, `${where}: ${res.body.slice(0, 300)}`);
        assert.equal(res.json<{ message: string }>().message, c.refusal, where);
      }
    }),
    { numRuns: FILTER_RUNS, seed },
  );
  t.diagnostic(`${runs} generated filter sets`);
  assert.equal(runs >= FILTER_RUNS, true);
});

/** Parameters that take one value, with a value each route accepts alone; 'first' where a repeat means the first value. */
const SINGLE_VALUED: Array<[route: string, param: string, value: string, repeats?: 'first']> = [
  ['/api/v1/runs', 'repo', 'bash'],
  ['/api/v1/runs', 'branch', 'rawhide'],
  ['/api/v1/runs', 'limit', '5'],
  ['/api/v1/runs', 'before', '10'],
  ['/api/v1/nodes', 'run_id', '1'],
  ['/api/v1/nodes', 'kind', 'job'],
  ['/api/v1/nodes', 'state', 'running'],
  ['/api/v1/nodes', 'limit', '5'],
  ['/api/v2.0/results', 'page', '0'],
  ['/api/v2.0/results', 'limit', '5'],
  ['/api/v2.0/results', 'since', '2024-01-01'],
  ['/api/v2.0/results', '_sort', 'asc:submit_time'],
  ['/api/v2.0/results/latest', 'since', '2024-01-01'],
  ['/api/v2.0/testcases', 'page', '0'],
  ['/api/v2.0/groups', 'limit', '3'],
  // WaiverDB's GET /waivers/ takes a repeated parameter's first value (flask-pydantic reads
  // MultiDict.to_dict()): answered, never bound as a list.
  ['/api/v1.0/waivers/', 'testcase', 'dist.rpmdeplint', 'first'],
  ['/api/v1.0/waivers/', 'subject_type', 'koji_build', 'first'],
  ['/api/v1.0/waivers/', 'page', '1', 'first'],
  ['/api/v1.0/waivers/', 'include_obsolete', 'true', 'first'],
];

test('hostile shapes: a parameter that takes one value, repeated, gets 400 naming it (WaiverDB: its first value); never bound as a list', async (t) => {
  const service = await opsService();
  await service.start();
  t.after(() => service.stop());
  const app = service.http!.app;
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...SINGLE_VALUED),
      fc.integer({ min: 1, max: 6 }),
      async ([route, param, value, repeats], times) => {
        runs++;
        const res = await app.inject({
          method: 'GET',
          url: `${route}?${Array(times)
            .fill(`${param}=${encodeURIComponent(value)}`)
            .join('&')}`,
        });
        const where = `${route} with ${param} × ${times}`;
        if (times === 1 || repeats === 'first')
          assert.equal(res.statusCode, 200, `${where}: ${res.body.slice(0, 300)}`);
        else {
          assert.equal(res.statusCode, 400, `${where}: ${res.body.slice(0, 300)}`);
          assert.equal(
            res.json<{ message: string }>().message,
            `${param}: given ${times} times; it takes one value`,
            where,
          );
        }
      },
    ),
    { numRuns: REPEAT_RUNS, seed },
  );
  t.diagnostic(`${runs} generated queries`);
  assert.equal(runs >= REPEAT_RUNS, true);
});
