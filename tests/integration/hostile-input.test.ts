import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PolicyError } from '../../errors/policy-error.js';
import { ResultsParseError } from '../../errors/results-parse-error.js';
import { parseGatingYaml } from '../../gating/gating-yaml.js';
import { HttpGatingFileFetcher } from '../../gating/http-gating-file-fetcher.js';
import { loadPolicies } from '../../gating/load-policies.js';
import { parseStiResults } from '../../pipeline/parse-sti.js';
import { aliasBomb } from '../support/alias-bomb.js';
import { GatingFileServer } from '../support/gating-file-server.js';
import { opsService, scopedTokens, tokenFor } from '../support/ops-service.js';
import { tempDir } from '../support/paths.js';

/**
 * The inputs of issue 16 that killed or froze the server, each as it was reported: deep YAML and
 * JSON, a YAML alias bomb, thousands of filters, a repeated parameter, unlimited log followers.
 * Each must now be a 4xx naming the limit (or a 503 for streams), quickly, and the server lives.
 */

const json = (res: { body: string }) => JSON.parse(res.body) as { message: string };

test('YAML from outside: deep nesting, an alias bomb and a large file are refused with 400 naming the limit, at once', async (t) => {
  const service = await opsService();
  await service.start();
  t.after(() => service.stop());
  const app = service.http!.app;
  const validate = async (yaml: string) => {
    const started = performance.now();
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1.0/validate-gating-yaml',
      payload: yaml,
      headers: { 'content-type': 'text/plain' },
    });
    return { res, ms: performance.now() - started };
  };

  // As reported: ~1,200 levels of `[`, twice, aborted the process (V8 "RegExpCompiler Allocation failed").
  const deep = await validate(`${'['.repeat(1200) + ']'.repeat(1200)}\n`.repeat(2));
  assert.equal(deep.res.statusCode, 400);
  assert.match(json(deep.res).message, /nesting deeper than the limit of 64 levels/);
  // The same depth as block indentation and as compact sequences.
  const block = await validate(
    `${Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n`,
  );
  assert.match(json(block.res).message, /limit of 64 levels/);
  const dashes = await validate(`${'- '.repeat(5000)}x\n`);
  assert.match(json(dashes.res).message, /limit of 64 levels/);

  // As reported: 6 levels × 10 blocked the event loop for 20 s; each further level ×10.
  for (const levels of [6, 9]) {
    const bomb = await validate(aliasBomb(levels, 10));
    assert.equal(bomb.res.statusCode, 400);
    assert.match(json(bomb.res).message, /limit of 5000 nodes once aliases are expanded/);
    assert.ok(bomb.ms < 1000, `${levels} levels took ${bomb.ms} ms`);
  }
  const cycle = await validate('a: &x [1, *x]\n');
  assert.equal(cycle.res.statusCode, 400);
  assert.match(json(cycle.res).message, /alias points at a collection that contains it/);

  const documents = await validate('--- !Policy\nid: x\n'.repeat(101));
  assert.equal(documents.res.statusCode, 400);
  assert.equal(json(documents.res).message, 'YAML refused: more documents than the limit of 100');

  const big = await validate(`--- !Policy\nid: big\nnote: "${'x'.repeat(40_000)}"\n`);
  assert.equal(big.res.statusCode, 400);
  assert.match(json(big.res).message, /more than the limit of 32768 bytes/);

  // What stays within the limits still works, aliases included.
  const ok = await validate(
    '--- !Policy\nid: ok\nproduct_versions: [fedora-*]\ndecision_context: test_context\nsubject_type: koji_build\nbase: &b {test_case_name: dist.rpmdeplint}\nrules:\n  - !PassingTestCaseRule {test_case_name: dist.abicheck}\n',
  );
  assert.equal(ok.res.statusCode, 200, ok.res.body);
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});

test("the same bounded parse reads gating.yaml from dist-git, the policy files and a test run's results.yml", () => {
  const remote = parseGatingYaml(
    aliasBomb(7, 10),
    'https://src.fedoraproject.org/rpms/bash/raw/abc/f/gating.yaml',
  );
  assert.ok('error' in remote);
  assert.match(remote.error, /limit of 5000 nodes/);

  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'deep.yaml'), '['.repeat(5000) + ']'.repeat(5000));
  assert.throws(
    () => loadPolicies(dir),
    (err) =>
      err instanceof PolicyError &&
      /deep\.yaml.*nesting deeper than the limit of 64 levels/s.test(err.message),
  );

  assert.throws(
    () => parseStiResults('results.yml', `results: ${'['.repeat(3000)}`),
    (err) => err instanceof ResultsParseError && /limit of 64 levels/.test(err.message),
  );
});

test('a gating.yaml from dist-git larger than the YAML limit is not read whole: the fetch fails naming the limit', async (t) => {
  const server = new GatingFileServer();
  const base = await server.start();
  t.after(() => server.stop());
  server.files.set('/rpms/big/raw/abc/f/gating.yaml', {
    status: 200,
    body: `--- !Policy\n# ${'x'.repeat(10 * 1024 * 1024)}\n`,
  });
  server.files.set('/rpms/ok/raw/abc/f/gating.yaml', { status: 200, body: '--- !Policy\nrules: []\n' });
  const fetcher = new HttpGatingFileFetcher({ timeoutMs: 5000, cacheTtlMs: 0 });
  await assert.rejects(
    fetcher.fetch(`${base}/rpms/big/raw/abc/f/gating.yaml`),
    /gating\.yaml is larger than 32768 bytes, the limit for a gating\.yaml/,
  );
  assert.equal(await fetcher.fetch(`${base}/rpms/ok/raw/abc/f/gating.yaml`), '--- !Policy\nrules: []\n');
});

test('deeply nested JSON bodies get 400 naming the depth limit on every route that reads one', async (t) => {
  const service = await opsService({ auth: { tokens: scopedTokens() } });
  await service.start();
  t.after(() => service.stop());
  const app = service.http!.app;
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const cases = [
    {
      url: '/api/v1/messages',
      scope: 'messages:publish' as const,
      body: `{"topic": "result.submit", "body": ${deep(10_000)}}`,
    },
    {
      url: '/api/v1.0/decision',
      scope: undefined,
      body: `{"subject_type": "koji_build", "subject_identifier": "bash-5.2-1.fc40", "decision_context": "x", "product_version": "fedora-40", "rules": ${deep(10_000)}}`,
    },
    {
      url: '/api/v1/updates',
      scope: 'updates:write' as const,
      body: `{"id": "FEDORA-2024-1", "builds": ${deep(10_000)}}`,
    },
    {
      url: '/api/v2.0/results',
      scope: 'results:write' as const,
      body: `{"testcase": "x", "outcome": "PASSED", "data": {"a": ${deep(65)}}}`,
    },
  ];
  for (const c of cases) {
    const res = await app.inject({
      method: 'POST',
      url: c.url,
      payload: c.body,
      headers: {
        'content-type': 'application/json',
        ...(c.scope ? { authorization: `Bearer ${tokenFor(c.scope)}` } : {}),
      },
    });
    assert.equal(res.statusCode, 400, `${c.url}: ${res.body}`);
    assert.equal(json(res).message, 'body: JSON nested deeper than the limit of 64 levels', c.url);
  }
  // Brackets inside strings are text, not nesting.
  const text = await app.inject({
    method: 'POST',
    url: '/api/v2.0/results',
    payload: JSON.stringify({
      testcase: 'brackets.in.text',
      outcome: 'PASSED',
      note: `${'['.repeat(5000)}"\\`,
    }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenFor('results:write')}` },
  });
  assert.equal(text.statusCode, 201, text.body);
});

test('many filters and repeated parameters get 400 naming the parameter and the limit, not a 500 from SQLite', async (t) => {
  const service = await opsService({ auth: { tokens: scopedTokens() } });
  await service.start();
  t.after(() => service.stop());
  const app = service.http!.app;
  service.ctx.resultIntake.submit({
    testcase: 'dist.rpmdeplint',
    outcome: 'PASSED',
    data: { item: 'bash-5.2-1.fc40', type: 'koji_build' },
  });
  const get = (url: string) => app.inject({ method: 'GET', url });
  const keys = (n: number, suffix = '') => Array.from({ length: n }, (_, i) => `k${i}${suffix}=v`).join('&');

  for (const route of ['/api/v2.0/results', '/api/v2.0/results/latest']) {
    // As reported (1,200): over the bound every query has; under it, over the results parser's.
    const reported = await get(`${route}?${keys(1200)}`);
    assert.equal(reported.statusCode, 400, reported.body);
    assert.equal(json(reported).message, 'query: more than 1000 parameters (the limit)');
    const manyKeys = await get(`${route}?${keys(60)}`);
    assert.equal(manyKeys.statusCode, 400, manyKeys.body);
    assert.match(json(manyKeys).message, /^k50: more than 50 data filters in one query \(the limit\)/);
    const manyLikes = await get(`${route}?${keys(1000, ':like')}`);
    assert.equal(manyLikes.statusCode, 400);
    assert.match(json(manyLikes).message, /^k50:like: more than 50 data filters/);
    const patterns = await get(`${route}?item:like=${Array(101).fill('bash*').join(',')}`);
    assert.equal(patterns.statusCode, 400);
    assert.match(json(patterns).message, /^item:like: more than 100 patterns \(the limit\)/);
    // At the limits SQLite still takes the query.
    const atLimit = await get(`${route}?${keys(49)}&item:like=${Array(100).fill('bash*').join(',')}`);
    assert.equal(atLimit.statusCode, 200, atLimit.body);
  }
  const distinct = await get(
    `/api/v2.0/results/latest?item=x&_distinct_on=${Array.from({ length: 11 }, (_, i) => `d${i}`).join(',')}`,
  );
  assert.match(json(distinct).message, /^_distinct_on: more than 10 keys/);
  const twice = await get('/api/v2.0/results?page=1&page=2');
  assert.equal(twice.statusCode, 400);
  assert.equal(json(twice).message, 'page: given 2 times; it takes one value');

  // As reported: 15,000 filters (each small, to fit the body limit); at the limit, each with every field.
  const filtered = (n: number, full: boolean) =>
    app.inject({
      method: 'POST',
      url: '/api/v1.0/waivers/+filtered',
      payload: {
        filters: Array.from({ length: n }, (_, i) =>
          full
            ? {
                subject_type: 'koji_build',
                subject_identifier: `bash-${i}`,
                testcase: 'dist.rpmdeplint',
                product_version: 'fedora-40',
                scenario: 's',
                username: 'u',
                proxied_by: 'p',
                since: '2024-01-01',
              }
            : { testcase: `t${i}` },
        ),
      },
    });
  const tooMany = await filtered(15_000, false);
  assert.equal(tooMany.statusCode, 400);
  assert.match(json(tooMany).message, /^filters: has 15000 filter objects, more than the limit of 500/);
  assert.equal((await filtered(500, true)).statusCode, 200);

  const runs = await get('/api/v1/runs?repo=bash&repo=zsh');
  assert.equal(runs.statusCode, 400);
  assert.equal(json(runs).message, 'repo: given 2 times; it takes one value');
  // WaiverDB takes a repeated parameter's first value; it is never bound as a list.
  const waivers = await get('/api/v1.0/waivers/?testcase=a&testcase=b');
  assert.equal(waivers.statusCode, 200);
  const topics = await get(
    `/api/v1/events?topic=${encodeURIComponent(Array.from({ length: 101 }, (_, i) => `org.fedoraproject.t${i}.#`).join(','))}`,
  );
  assert.equal(topics.statusCode, 400);
  assert.equal(json(topics).message, 'topic: more than 100 patterns (the limit)');
  const params = await get(`/api/v2.0/results?${Array(1001).fill('item=x').join('&')}`);
  assert.equal(params.statusCode, 400);
  assert.equal(json(params).message, 'query: more than 1000 parameters (the limit)');
});

test('event streams and followed logs share server.maxEventStreams; a follower gets each new piece of the log', async (t) => {
  const service = await opsService({ server: { maxEventStreams: 2 } });
  const base = (await service.start())!;
  t.after(() => service.stop());
  const { nodes, logs } = service.ctx.pipeline;
  const job = nodes.create({
    kind: 'job',
    name: 'follow-me',
    state: 'running',
    repo: 'bash',
    branch: 'rawhide',
    revision: 'abc1234',
  });
  logs.append(job.id, 0, 'first line\n');

  const sse = new AbortController();
  const events = await fetch(`${base}/api/v1/events`, { signal: sse.signal });
  assert.equal(events.status, 200);
  const follow = await fetch(`${base}/api/v1/nodes/${job.id}/log?follow=1`);
  assert.equal(follow.status, 200);
  const reader = follow.body!.getReader();
  const decoder = new TextDecoder();
  assert.equal(decoder.decode((await reader.read()).value), 'first line\n');

  // Both slots are taken: one more of either kind is refused.
  for (const url of [`/api/v1/nodes/${job.id}/log?follow=1`, '/api/v1/events']) {
    const refused = await fetch(base + url);
    assert.equal(refused.status, 503, url);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.match(
      ((await refused.json()) as { message: string }).message,
      /server\.maxEventStreams = 2, event streams and followed logs together/,
    );
  }

  logs.append(job.id, 11, 'second line\n');
  assert.equal(decoder.decode((await reader.read()).value), 'second line\n');

  // The job ends: its follower's stream ends, and its slot is free again.
  nodes.update(job.id, { state: 'done', result: 'pass', data: { log_bytes: 23 } });
  while (!(await reader.read()).done);
  let again: Response | undefined;
  for (let i = 0; i < 50 && again?.status !== 200; i++) {
    again = await fetch(`${base}/api/v1/nodes/${job.id}/log?follow=1`);
    if (again.status !== 200) await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(again!.status, 200);
  assert.equal(await again!.text(), 'first line\nsecond line\n');
  sse.abort();
});

test('many followers of one log (one poll between them) each get the whole log exactly, late joiners and large pieces included', async (t) => {
  const service = await opsService({ server: { maxEventStreams: 50 } });
  const base = (await service.start())!;
  t.after(() => service.stop());
  const { nodes, logs } = service.ctx.pipeline;
  const job = nodes.create({
    kind: 'job',
    name: 'shared-tail',
    state: 'running',
    repo: 'bash',
    branch: 'rawhide',
    revision: 'abc1234',
  });
  let log = '';
  const append = (text: string) => {
    logs.append(job.id, Buffer.byteLength(log), text);
    log += text;
  };
  append('start\n');
  const readAll = (res: Response) => res.text();
  const early = await Promise.all(
    Array.from({ length: 20 }, () => fetch(`${base}/api/v1/nodes/${job.id}/log?follow=1`)),
  );
  const earlyTexts = early.map(readAll);
  for (let i = 0; i < 10; i++) {
    append(`line ${i}\n`);
    await new Promise((r) => setTimeout(r, 30));
  }
  append(`${'y'.repeat(600 * 1024)}\n`); // more than one read's 256 KiB
  const late = await Promise.all(
    Array.from({ length: 5 }, () => fetch(`${base}/api/v1/nodes/${job.id}/log?follow=1`)),
  );
  const lateTexts = late.map(readAll);
  append('end\n');
  nodes.update(job.id, { state: 'done', result: 'pass', data: { log_bytes: Buffer.byteLength(log) } });
  for (const text of await Promise.all([...earlyTexts, ...lateTexts]))
    assert.ok(text === log, `a follower got ${text.length} of ${log.length} characters`);
});
