import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QueryInputError } from '../../errors/query-input-error.js';
import { chooseLatestPlan, chooseListDriver } from '../../results/choose-plan.js';
import { toSqliteGlob } from '../../results/glob-pattern.js';
import { knownOutcomes } from '../../results/outcomes.js';
import { pageLinks } from '../../results/page-links.js';
import { parseResultsQuery } from '../../results/parse-results-query.js';

const OUTCOMES = knownOutcomes(['QUEUED']);
const parse = (qs: string) => parseResultsQuery([...new URLSearchParams(qs)], OUTCOMES);

function refusal(qs: string): string {
  try {
    parse(qs);
  } catch (err) {
    assert.ok(err instanceof QueryInputError, String(err));
    assert.equal(err.code, 'QUERY_INVALID');
    return err.message;
  }
  assert.fail(`expected ${qs} to be refused`);
}

describe('parseResultsQuery', () => {
  test('defaults: newest first, page 0, 20 per page, no filter', () => {
    assert.deepEqual(parse(''), {
      testcases: [],
      testcasesLike: [],
      outcomes: [],
      since: {},
      groups: [],
      data: [],
      sort: 'desc',
      page: 0,
      limit: 20,
      distinctOn: [],
    });
  });

  test('lists are comma separated, repeatable and trimmed; outcomes upper-cased', () => {
    const q = parse(
      'testcases=a, b&testcases=c&testcases:like=x.*&outcome=passed,Failed&groups=g1,,g2&_distinct_on=scenario,arch',
    );
    assert.deepEqual(q.testcases, ['a', 'b', 'c']);
    assert.deepEqual(q.testcasesLike, ['x.*']);
    assert.deepEqual(q.outcomes, ['PASSED', 'FAILED']);
    assert.deepEqual(q.groups, ['g1', 'g2']);
    assert.deepEqual(q.distinctOn, ['scenario', 'arch']);
  });

  test('every other parameter filters on data: values or :like patterns, repeats merged', () => {
    const q = parse('item=a,b&type=koji_build&item=c&arch:like=x86*&callback=cb&_=1');
    assert.deepEqual(q.data, [
      { key: 'item', like: false, values: ['a', 'b', 'c'] },
      { key: 'type', like: false, values: ['koji_build'] },
      { key: 'arch', like: true, values: ['x86*'] },
    ]);
  });

  test('since is start or start,end, both inclusive; a zone is honoured', () => {
    assert.deepEqual(parse('since=2026-01-01').since, { start: Date.UTC(2026, 0, 1) });
    assert.deepEqual(parse('since=2026-01-01T00:00:00Z,2026-01-02T12:00:00%2B02:00').since, {
      start: Date.UTC(2026, 0, 1),
      end: Date.UTC(2026, 0, 2, 10),
    });
  });

  test('page and limit; a limit over 1000 is cut to 1000', () => {
    assert.deepEqual([parse('page=3&limit=7').page, parse('page=3&limit=7').limit], [3, 7]);
    assert.equal(parse('limit=5000').limit, 1000);
    assert.equal(parse('_sort=asc:submit_time').sort, 'asc');
    assert.equal(parse('_sort=desc:submit_time').sort, 'desc');
  });

  const refusals: Array<[string, RegExp]> = [
    [
      'outcome=passed,maybe',
      /^outcome: must be one of PASSED, INFO, FAILED, NEEDS_INSPECTION, QUEUED \(got "MAYBE"\)$/,
    ],
    ['since=yesterday', /^since: must be an ISO 8601 time, or two as start,end \(got "yesterday"\)$/],
    ['since=2026-01-01,soon', /^since: must be an ISO 8601 time/],
    ['since=2026-01-01,2026-01-02,2026-01-03', /^since: must be an ISO 8601 time/],
    ['page=-1', /^page: must be a whole number from 0 \(got "-1"\)$/],
    ['page=two', /^page: must be a whole number from 0/],
    ['limit=0', /^limit: must be a whole number from 1 \(got "0"\)$/],
    ['limit=', /^limit: must be a whole number from 1/],
    ['_sort=desc:id', /^_sort: must be desc:submit_time or asc:submit_time \(got "desc:id"\)$/],
    ['item:eq=x', /^item:eq: the only modifier a data filter takes is ":like"$/],
    [':like=x', /^:like: a data filter needs a key$/],
  ];
  for (const [qs, message] of refusals) {
    test(`refuses ${qs}`, () => assert.match(refusal(qs), message));
  }
});

describe('pageLinks', () => {
  const base = 'https://sluice.example';
  test('the same query with page replaced in place, or added; none before page 0', () => {
    assert.deepEqual(pageLinks(base, '/api/v2.0/results', 'item=a%2Cb&page=1&limit=2', 1, true), {
      prev: `${base}/api/v2.0/results?item=a%2Cb&page=0&limit=2`,
      next: `${base}/api/v2.0/results?item=a%2Cb&page=2&limit=2`,
    });
    assert.deepEqual(pageLinks(base, '/api/v2.0/results', 'limit=2', 0, true), {
      prev: null,
      next: `${base}/api/v2.0/results?limit=2&page=1`,
    });
    assert.deepEqual(pageLinks(base, '/api/v2.0/results', '', 0, false), { prev: null, next: null });
  });
  test('a JSONP callback and repeated page parameters are dropped', () => {
    assert.equal(
      pageLinks(base, '/x', 'page=1&callback=cb&a=1&page=9', 1, false).prev,
      `${base}/x?page=0&a=1`,
    );
  });
});

describe('toSqliteGlob', () => {
  test('only * is a wildcard; GLOB specials match themselves', () => {
    assert.equal(toSqliteGlob('fedora-ci.*.functional'), 'fedora-ci.*.functional');
    assert.equal(toSqliteGlob('a?b[c]'), 'a[?]b[[]c]');
  });
});

describe('choosing where a query starts', () => {
  const data0 = { kind: 'data', index: 0 } as const;
  const data1 = { kind: 'data', index: 1 } as const;
  test('the most selective filter when it is small; time order when every filter is large', () => {
    const counts = [
      { driver: data0, count: 100, capped: false },
      { driver: data1, count: 5000, capped: true },
    ];
    assert.deepEqual(chooseListDriver({ counts, total: 1_000_000 }, 21), data0);
    assert.deepEqual(chooseListDriver({ counts: [counts[1]!], total: 1_000_000 }, 21), { kind: 'time' });
    assert.deepEqual(chooseListDriver({ counts: [], total: 10 }, 21), { kind: 'time' });
  });
  test('time order when a filter matches most results anyway', () => {
    assert.deepEqual(
      chooseListDriver({ counts: [{ driver: data0, count: 900, capped: false }], total: 1000 }, 21),
      { kind: 'time' },
    );
  });
  test('latest: rank from a small filter, else walk each testcase, unless split by data', () => {
    const small = { driver: data0, count: 100, capped: false };
    const large = { driver: data1, count: 5000, capped: true };
    assert.deepEqual(chooseLatestPlan({ counts: [small, large], total: 1e6 }, []), {
      strategy: 'rank',
      driver: data0,
    });
    assert.deepEqual(chooseLatestPlan({ counts: [large], total: 1e6 }, []), { strategy: 'per-testcase' });
    assert.deepEqual(chooseLatestPlan({ counts: [], total: 1e6 }, []), { strategy: 'per-testcase' });
    assert.deepEqual(
      chooseLatestPlan(
        { counts: [large, { driver: { kind: 'time' }, count: 5000, capped: true }], total: 1e6 },
        ['scenario'],
      ),
      {
        strategy: 'rank',
        driver: { kind: 'time' },
      },
    );
  });
});
