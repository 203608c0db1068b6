import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateResults, itemOf } from '../../bench/generate-results.js';
import { dataKeyIndexName } from '../../db/data-key-indexes.js';
import { migrate } from '../../db/migrate.js';
import { openDatabase, type Db } from '../../db/open-database.js';
import { ResultsStore, type StoredResult } from '../../db/results-store.js';
import { ResultInputError } from '../../errors/result-input-error.js';
import { Outbox } from '../../db/outbox.js';
import { parseResultsQuery } from '../../results/parse-results-query.js';
import { testConfig, testRegistry } from '../support/test-config.js';

function open(): { db: Db; store: ResultsStore; outboxRows: () => number } {
  const config = testConfig();
  const db = openDatabase(config.db.path);
  migrate(db);
  const store = ResultsStore.open(db, new Outbox(db, testRegistry()), config);
  return {
    db,
    store,
    outboxRows: () => (db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n,
  };
}

describe("ResultsStore.submit inside a caller's transaction (as a consumer's effect calls it)", () => {
  test('commits with the caller: results and their messages together', (t) => {
    const { db, store, outboxRows } = open();
    t.after(() => db.close());
    const [a, b] = db.transaction(() => [
      store.submit({ outcome: 'PASSED', testcase: 't.a' }),
      store.submit({ outcome: 'FAILED', testcase: 't.b' }),
    ])();
    assert.deepEqual(store.getResult(a!.id), a);
    assert.deepEqual(store.getResult(b!.id), b);
    assert.equal(outboxRows(), 2);
  });

  test('rolls back with the caller: no result, no message, no testcase', (t) => {
    const { db, store, outboxRows } = open();
    t.after(() => db.close());
    let id = 0;
    assert.throws(
      () =>
        db.transaction(() => {
          id = store.submit({ outcome: 'PASSED', testcase: 't.rolled-back', groups: ['g-rolled-back'] }).id;
          throw new Error('the caller changed its mind');
        })(),
      /changed its mind/,
    );
    assert.equal(store.getResult(id), undefined);
    assert.equal(store.getTestcase('t.rolled-back'), undefined);
    assert.equal(store.getGroup('g-rolled-back'), undefined);
    assert.equal(outboxRows(), 0);
  });

  test("a refused result throws ResultInputError and leaves the caller's transaction usable", (t) => {
    const { db, store, outboxRows } = open();
    t.after(() => db.close());
    const kept = db.transaction(() => {
      assert.throws(
        () => store.submit({ outcome: 'PASSED', testcase: 't', data: { 'a:b': 'c' } }),
        (err: unknown) => err instanceof ResultInputError && err.code === 'RESULT_INVALID',
      );
      return store.submit({ outcome: 'PASSED', testcase: 't.after-refusal' });
    })();
    assert.deepEqual(store.getResult(kept.id), kept);
    assert.equal(outboxRows(), 1);
  });
});

/**
 * Every way the store can plan a query (start from a data value, a group, a testcase, the
 * time range; rank or walk per testcase) must give what a plain reading of ResultsDB's rules
 * gives. Enough results that "type=koji_build" counts as a large filter.
 */
describe('queries agree with a plain evaluation, whichever plan the store picks', () => {
  let db: Db;
  let store: ResultsStore;
  let all: StoredResult[];
  before(() => {
    ({ db, store } = open());
    const report = generateResults(store, {
      subjects: 150,
      testcasesPerSubject: 20,
      runs: 2,
      batchSize: 1000,
    });
    assert.equal(report.results, 6000);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM results').get() as { n: number }).n, 6000);
    all = (db.prepare('SELECT id FROM results').all() as Array<{ id: number }>).map(
      (r) => store.getResult(r.id)!,
    );
  });
  after(() => db?.close());

  const q = (qs: string) => parseResultsQuery([...new URLSearchParams(qs)], store.outcomes);
  const time = (r: StoredResult) => Date.parse(`${r.submit_time}Z`);
  const newestFirst = (a: StoredResult, b: StoredResult) => time(b) - time(a) || b.id - a.id;
  const glob = (pattern: string) =>
    new RegExp(
      `^${pattern
        .split('*')
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );

  function matches(r: StoredResult, qs: string, { outcome = true } = {}): boolean {
    const query = q(qs);
    if (query.testcases.length || query.testcasesLike.length) {
      if (
        !query.testcases.includes(r.testcase.name) &&
        !query.testcasesLike.some((p) => glob(p).test(r.testcase.name))
      )
        return false;
    }
    if (outcome && query.outcomes.length && !query.outcomes.includes(r.outcome)) return false;
    if (query.since.start !== undefined && time(r) < query.since.start) return false;
    if (query.since.end !== undefined && time(r) > query.since.end) return false;
    if (query.groups.length && !r.groups.some((g) => query.groups.includes(g))) return false;
    return query.data.every((f) =>
      (r.data[f.key] ?? []).some((v) =>
        f.like ? f.values.some((p) => glob(p).test(v)) : f.values.includes(v),
      ),
    );
  }

  const item = itemOf(42);
  const otherItem = itemOf(43);
  const listings = [
    'type=koji_build&limit=50',
    `item=${item}&type=koji_build`,
    `item=${item},${otherItem}&type=koji_build&testcases=fedora-ci.koji-build.tier0.functional,dist.rpmlint`,
    'type=koji_build&testcases=fedora-ci.koji-build.tier0.functional,dist.rpmlint&page=2&limit=7',
    'testcases:like=dist.*&outcome=FAILED,ERROR&limit=30',
    'arch=aarch64&scenario:like=*aarch64*&limit=15&page=3',
    'since=2025-03-01,2025-03-20&type=koji_build&limit=40&_sort=asc:submit_time',
    'groups=00000000-0000-4000-8000-000000000007,00000000-0000-4000-8000-000000000150&type=koji_build',
    `item:like=pkg4*&arch=x86_64&limit=25`,
    'outcome=INFO&limit=1000',
  ];
  for (const qs of listings) {
    test(`GET /results?${qs}`, () => {
      const query = q(qs);
      const expected = all.filter((r) => matches(r, qs)).sort(newestFirst);
      if (query.sort === 'asc') expected.reverse();
      const start = query.page * query.limit;
      const page = store.listResults(query);
      assert.deepEqual(
        page.items.map((r) => r.id),
        expected.slice(start, start + query.limit).map((r) => r.id),
      );
      assert.equal(page.hasNext, expected.length > start + query.limit);
      assert.ok(expected.length > 0 || qs.includes('outcome=INFO'), 'the query matches something');
    });
  }

  const latests = [
    'type=koji_build',
    'type=koji_build&_distinct_on=scenario',
    'type=koji_build&since=2025-06-01&_distinct_on=scenario,arch',
    `item=${item}&type=koji_build`,
    `item=${item}&_distinct_on=scenario`,
    'testcases=fedora-ci.koji-build.tier0.functional,dist.rpmlint',
    'testcases:like=*.functional&arch=aarch64',
    'groups=00000000-0000-4000-8000-000000000009',
    '',
  ];
  for (const qs of latests) {
    test(`GET /results/latest?${qs}`, () => {
      const query = q(qs);
      const newest = new Map<string, StoredResult>();
      for (const r of all.filter((x) => matches(x, qs, { outcome: false })).sort(newestFirst)) {
        // One competition per testcase and combination of distinct-on values (absent = null).
        let keys = [[r.testcase.name]];
        for (const key of query.distinctOn)
          keys = keys.flatMap((k) => (r.data[key] ?? [null]).map((v) => [...k, String(v)]));
        for (const k of keys) if (!newest.has(JSON.stringify(k))) newest.set(JSON.stringify(k), r);
      }
      const expected = [...new Set(newest.values())].sort(newestFirst).map((r) => r.id);
      assert.ok(expected.length > 0);
      assert.deepEqual(
        store.latestResults(query).map((r) => r.id),
        expected,
      );
    });
  }

  test("the gating queries start from the item's index entries and read results by id, not by scanning", () => {
    const list = store
      .explain(
        q(`item=${item}&type=koji_build&testcases=fedora-ci.koji-build.tier0.functional,dist.rpmlint`),
        'list',
      )
      .join('\n');
    const itemIndex = new RegExp(
      `SEARCH result_data USING COVERING INDEX ${dataKeyIndexName('item')} \\(value=\\?\\)`,
    );
    assert.match(list, itemIndex);
    assert.match(list, /SEARCH r USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    assert.doesNotMatch(list, /SCAN r\b/);
    const latest = store.explain(q(`item=${item}&type=koji_build`), 'latest').join('\n');
    assert.match(latest, itemIndex);
    assert.doesNotMatch(latest, /SCAN r\b/);
  });
});

test('generateResults fills a store with Koji-build-like results', (t) => {
  const { db, store } = open();
  t.after(() => db.close());
  const report = generateResults(db, { subjects: 10, testcasesPerSubject: 25, runs: 3 });
  assert.equal(report.results, 750);
  assert.equal(report.testcases, 25);
  assert.equal(report.groups, 30);
  const latest = store.latestResults(
    parseResultsQuery(
      [
        ['item', report.sampleItem],
        ['type', 'koji_build'],
      ],
      store.outcomes,
    ),
  );
  assert.equal(latest.length, 25, 'one per testcase');
  assert.match(report.sampleItem, /^pkg\d+-\d+\.\d+-\d+\.fc4\d$/);
  const tier0 = latest.find((r) => r.testcase.name === 'fedora-ci.koji-build.tier0.functional')!;
  assert.deepEqual(Object.keys(tier0.data), ['item', 'type', 'scenario', 'arch']);
  assert.equal(tier0.groups.length, 1);
});

test('data key indexes follow the config: a new key gets an index queries start from, a dropped key loses it and is still answered', (t) => {
  const config = testConfig({ results: { indexedDataKeys: ['item', 'type'] } });
  const db = openDatabase(config.db.path);
  t.after(() => db.close());
  migrate(db);
  const store = ResultsStore.open(db, new Outbox(db, testRegistry()), config);
  for (let i = 0; i < 40; i++)
    store.submit({
      testcase: 'a.b',
      outcome: 'PASSED',
      data: { item: `x${i}`, type: 'koji_build', arch: i % 2 ? 'x86_64' : 'aarch64' },
    });
  const indexes = () =>
    (
      db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'result_data_key_%' ORDER BY name",
        )
        .all() as Array<{ name: string }>
    ).map((r) => r.name);
  assert.deepEqual(indexes(), [dataKeyIndexName('item'), dataKeyIndexName('type')].sort());
  const byArch = parseResultsQuery(
    [
      ['arch', 'x86_64'],
      ['limit', '100'],
    ],
    store.outcomes,
  );
  // Not indexed: every result is read in time order and its data checked.
  assert.match(store.explain(byArch, 'list').join('\n'), /SCAN r USING INDEX results_submit_time/);
  assert.equal(store.listResults(byArch).items.length, 20);

  const reconfigured = testConfig({
    results: { indexedDataKeys: ['item', 'arch'] },
    db: { path: config.db.path },
  });
  const again = ResultsStore.open(db, new Outbox(db, testRegistry()), reconfigured);
  assert.deepEqual(indexes(), [dataKeyIndexName('item'), dataKeyIndexName('arch')].sort());
  assert.match(
    again.explain(byArch, 'list').join('\n'),
    new RegExp(`USING COVERING INDEX ${dataKeyIndexName('arch')}`),
  );
  assert.equal(again.listResults(byArch).items.length, 20);
  const byType = parseResultsQuery(
    [
      ['type', 'koji_build'],
      ['limit', '100'],
    ],
    again.outcomes,
  );
  assert.equal(again.listResults(byType).items.length, 40);
});

test('a result event is the result as GET returns it, groups in the order the store reads them', (t) => {
  const { db, store } = open();
  t.after(() => db.close());
  const body = {
    testcase: { name: 'x.y', ref_url: 'https://t/x.y' },
    outcome: 'passed',
    note: 'n',
    ref_url: 'https://r',
    groups: ['g-2', { uuid: 'g-1', description: 'one' }, 'g-2'],
    data: { item: ['b', 'a'], n: 3 },
  };
  const stored = store.submit(body);
  const event = db
    .prepare("SELECT body FROM outbox WHERE topic = 'resultsdb.result.new' ORDER BY id DESC LIMIT 1")
    .get() as { body: string };
  assert.deepEqual(JSON.parse(event.body), store.getResult(stored.id));
  assert.deepEqual(stored, store.getResult(stored.id));
  // A later result naming the testcase without a ref_url keeps the stored one.
  const second = store.submit({ testcase: 'x.y', outcome: 'FAILED' });
  assert.equal(second.testcase.ref_url, 'https://t/x.y');
  assert.deepEqual(second, store.getResult(second.id));
});
