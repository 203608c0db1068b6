import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateResults, itemOf } from '../../bench/generate-results.js';
import { GatingLatestStore } from '../../db/gating-latest-store.js';
import { migrate } from '../../db/migrate.js';
import { openDatabase, type Db } from '../../db/open-database.js';
import { ResultsStore } from '../../db/results-store.js';
import { StoreGatingResults } from '../../db/store-gating-results.js';
import { fromStoredResult, latestPerKey, type GatingResult } from '../../gating/gating-result.js';
import { SubjectTypes } from '../../gating/subject-types.js';
import { Outbox } from '../../db/outbox.js';
import { ResultIntake } from '../../intake/submit-result.js';
import { testConfig, testRegistry } from '../support/test-config.js';

const types = new SubjectTypes();
const koji = types.resolve('koji_build');

function open(
  keys = types.itemKeys(),
  cacheSubjects = 0,
  file?: string,
): { db: Db; store: ResultIntake; latest: GatingLatestStore; plain: ResultsStore } {
  const config = testConfig();
  const db = openDatabase(file ?? config.db.path);
  migrate(db);
  const latest = new GatingLatestStore(db, keys, cacheSubjects);
  // As the service does at start: records which item keys the table indexes.
  latest.catchUp();
  const outbox = new Outbox(db, testRegistry());
  const plain = ResultsStore.open(db, outbox, config);
  // Results entering as the service takes them in (with the latest-result table), and plain stores.
  const store = new ResultIntake({ db, results: plain, latest });
  return { db, latest, store, plain };
}

/** What a decision sees, comparable across the two paths. */
const view = (rs: GatingResult[]) =>
  latestPerKey(rs)
    .map((r) => `${r.testcase}|${r.scenario}|${r.systemArchitecture}|${r.id}|${r.outcome}`)
    .sort();

const FAR_FUTURE = Date.UTC(9000, 0, 1);

describe('the latest-result table behind decisions', () => {
  test('is kept in the insert transaction: a result rolled back leaves no row', (t) => {
    const { db, store, latest } = open();
    t.after(() => db.close());
    assert.throws(() =>
      db.transaction(() => {
        store.submit({ testcase: 'a', outcome: 'PASSED', data: { item: 'x-1-1', type: 'koji_build' } });
        throw new Error('rolled back');
      })(),
    );
    assert.deepEqual(latest.forSubject(koji.resultQueries, 'x-1-1'), []);
    store.submit({ testcase: 'a', outcome: 'FAILED', data: { item: 'x-1-1', type: 'koji_build' } });
    assert.deepEqual(
      latest.forSubject(koji.resultQueries, 'x-1-1').map((r) => r.outcome),
      ['FAILED'],
    );
  });

  test('keeps the newest by submit time, whatever order results arrive in', (t) => {
    const { db, store, latest } = open();
    t.after(() => db.close());
    const newer = store.submit({
      testcase: 'a',
      outcome: 'PASSED',
      data: { item: 'x-1-1', type: 'koji_build' },
      submit_time: '2030-01-02T00:00:00',
    });
    store.submit({
      testcase: 'a',
      outcome: 'FAILED',
      data: { item: 'x-1-1', type: 'koji_build' },
      submit_time: '2030-01-01T00:00:00',
    });
    assert.deepEqual(
      latest.forSubject(koji.resultQueries, 'x-1-1').map((r) => r.id),
      [newer.id],
    );
  });

  test("answers what the results store's /results/latest (_distinct_on scenario, arch, variant) answers", (t) => {
    const { db, store, plain, latest } = open();
    t.after(() => db.close());
    const source = new StoreGatingResults(latest, plain);
    const outcomes = ['PASSED', 'FAILED', 'ERROR', 'QUEUED'];
    let n = 0;
    for (let i = 0; i < 300; i++) {
      const item = `pkg${i % 5}-1.0-1.fc40`;
      const data: Record<string, string | string[]> = {
        item,
        type: i % 7 === 0 ? 'brew-build' : 'koji_build',
      };
      if (i % 3) data.scenario = `s${i % 2}`;
      if (i % 4) data.system_architecture = i % 8 < 4 ? 'x86_64' : 'aarch64';
      if (i % 11 === 0) data.system_variant = ['Server', 'Everything'];
      // Times collide on purpose: ties go to the larger id on both paths.
      store.submit({
        testcase: `t${i % 3}`,
        outcome: outcomes[i % 4]!,
        data,
        submit_time: Date.UTC(2030, 0, 1) + Math.floor(i / 2) * 1000,
      });
      n++;
    }
    assert.equal(n, 300);
    for (let p = 0; p < 5; p++) {
      const subject = { type: koji, identifier: `pkg${p}-1.0-1.fc40` };
      const fast = source.latest(subject, null, null);
      const slow = source.latest(subject, FAR_FUTURE, null);
      assert.ok(fast.length > 0);
      assert.deepEqual(view(fast), view(slow), `subject ${subject.identifier}`);
      const onlyT1 = source.latest(subject, null, ['t1']);
      assert.deepEqual(
        view(onlyT1),
        view(fast.filter((r) => r.testcase === 't1')),
        'asking for one testcase reads just its rows',
      );
      assert.deepEqual(view(onlyT1), view(source.latest(subject, FAR_FUTURE, ['t1'])));
    }
  });

  test('as of a moment (`when`, a decision change\'s "just before"), it answers what /results/latest with `since` up to then answers', (t) => {
    const { db, store, plain, latest } = open();
    t.after(() => db.close());
    const outcomes = ['PASSED', 'FAILED', 'ERROR', 'QUEUED'];
    const t0 = Date.UTC(2030, 0, 1);
    for (let i = 0; i < 300; i++) {
      const data: Record<string, string | string[]> = {
        item: `pkg${i % 5}-1.0-1.fc40`,
        type: i % 7 === 0 ? 'brew-build' : 'koji_build',
      };
      if (i % 13 === 0) data.original_spec_nvr = `pkg${(i + 1) % 5}-1.0-1.fc40`;
      if (i % 3) data.scenario = `s${i % 2}`;
      if (i % 4) data.system_architecture = i % 8 < 4 ? 'x86_64' : 'aarch64';
      if (i % 11 === 0) data.system_variant = ['Server', 'Everything'];
      // Submitted out of time order, times colliding: ties go to the larger id on both paths.
      store.submit({
        testcase: `t${i % 3}`,
        outcome: outcomes[i % 4]!,
        data,
        submit_time: t0 + ((i * 37) % 150) * 1000,
      });
    }
    const resultsdb = (identifier: string, when: number, testcases: string[]) =>
      koji.resultQueries.flatMap((q) =>
        plain
          .latestResults({
            testcases,
            testcasesLike: [],
            outcomes: [],
            since: { end: when },
            groups: [],
            data: [
              { key: q.itemKey, like: false, values: [identifier] },
              ...(q.types ? [{ key: 'type', like: false, values: q.types }] : []),
            ],
            sort: 'desc',
            page: 0,
            limit: 1,
            distinctOn: ['scenario', 'system_architecture', 'system_variant'],
          })
          .map(fromStoredResult),
      );
    let compared = 0;
    for (let p = 0; p < 5; p++) {
      const identifier = `pkg${p}-1.0-1.fc40`;
      for (const when of [t0 - 1, t0, t0 + 20_500, t0 + 75_000, t0 + 149_000, FAR_FUTURE]) {
        for (const testcases of [null, ['t1'], ['t0', 't2']]) {
          const asOf = latest.asOf(koji.resultQueries, identifier, testcases, when);
          assert.deepEqual(
            view(asOf),
            view(resultsdb(identifier, when, testcases ?? [])),
            `${identifier} as of ${when} for ${testcases}`,
          );
          compared += asOf.length;
        }
      }
    }
    assert.ok(compared > 100, 'the comparison saw results');
  });

  test('a catch-up (SQLite computing the rows) writes exactly the rows `record` writes', (t) => {
    const hooked = open();
    const unhooked = open();
    t.after(() => {
      hooked.db.close();
      unhooked.db.close();
    });
    const bodies = Array.from({ length: 120 }, (_, i) => ({
      testcase: `t${i % 4}`,
      outcome: ['PASSED', 'FAILED', 'ERROR'][i % 3]!,
      data: {
        item: `p${i % 6}-1-1`,
        ...(i % 5 ? { type: i % 2 ? 'koji_build' : ['koji_build', 'brew-build'] } : {}),
        ...(i % 3 ? { scenario: i % 2 ? 's"1' : ['s2', 'ünï'] } : {}),
        ...(i % 4 ? { system_architecture: 'x86_64' } : {}),
        ...(i % 7 ? {} : { system_variant: 'Server', error_reason: `reason ${i}` }),
        ...(i % 9 ? {} : { original_spec_nvr: `o${i % 2}-1-1` }),
      },
      submit_time: Date.UTC(2030, 0, 1) + (i % 17) * 1000,
    }));
    for (const b of bodies) hooked.store.submit(b);
    for (const b of bodies) unhooked.plain.submit(b);
    assert.equal(unhooked.latest.catchUp(), bodies.length);
    const rows = (db: Db) =>
      db
        .prepare(
          'SELECT * FROM gating_latest ORDER BY item_key, item, type, testcase, scenario_key, arch_key, variant_key',
        )
        .all();
    const expected = rows(hooked.db);
    assert.ok(expected.length > 30);
    assert.deepEqual(rows(unhooked.db), expected);
  });

  test('catches up with results another connection stored without the hook (a bulk load), then stays current', (t) => {
    const { db, store, plain, latest } = open();
    t.after(() => db.close());
    const source = new StoreGatingResults(latest, plain);
    const subject = { type: koji, identifier: itemOf(3) };
    assert.deepEqual(source.latest(subject, null, null), []);
    // What bench/generate-results and other tools do: their own connection, plain SQL, no hook.
    const other = openDatabase(db.name);
    const gen = generateResults(other, { subjects: 30, testcasesPerSubject: 4, runs: 3 });
    ResultsStore.open(other, new Outbox(other, testRegistry()), testConfig()).submit({
      testcase: 'late',
      outcome: 'FAILED',
      data: { item: itemOf(3), type: 'koji_build' },
    });
    other.close();
    // The next decision sees the database changed elsewhere and folds the missing results in.
    const fast = source.latest(subject, null, null);
    assert.equal(fast.filter((r) => r.testcase === 'late').length, 1);
    assert.deepEqual(view(fast), view(source.latest(subject, FAR_FUTURE, null)));
    assert.ok(gen.results > 0);
    const through = () =>
      (db.prepare('SELECT through_result_id AS n FROM gating_latest_state').get() as { n: number }).n;
    const max = () => (db.prepare('SELECT MAX(id) AS n FROM results').get() as { n: number }).n;
    assert.equal(through(), max());
    // A hooked insert after a complete table advances the mark; nothing is left to catch up.
    store.submit({ testcase: 'later', outcome: 'PASSED', data: { item: itemOf(3), type: 'koji_build' } });
    assert.equal(through(), max());
    assert.equal(latest.catchUp(), 0);
  });

  test('a hooked insert after unhooked ones does not claim them: the mark stays until a catch-up', (t) => {
    const { db, store, plain, latest } = open();
    t.after(() => db.close());
    const rows = () =>
      db
        .prepare("SELECT testcase FROM gating_latest WHERE item = 'y-1-1' ORDER BY testcase")
        .pluck()
        .all() as string[];
    const through = () =>
      db.prepare('SELECT through_result_id FROM gating_latest_state').pluck().get() as number;
    const a = store.submit({ testcase: 'a', outcome: 'PASSED', data: { item: 'y-1-1', type: 'koji_build' } });
    plain.submit({ testcase: 'b', outcome: 'FAILED', data: { item: 'y-1-1', type: 'koji_build' } });
    store.submit({ testcase: 'c', outcome: 'PASSED', data: { item: 'y-1-1', type: 'koji_build' } });
    assert.deepEqual(rows(), ['a', 'c']);
    assert.equal(through(), a.id, 'complete only through the last result before the unhooked one');
    assert.equal(latest.catchUp(), 2, 'the unhooked result and the one after it are read again');
    assert.deepEqual(rows(), ['a', 'b', 'c']);
  });

  test('is rebuilt when the configured item keys change (a new subject type)', (t) => {
    const { db, store } = open();
    t.after(() => db.close());
    store.submit({ testcase: 'a', outcome: 'PASSED', data: { nevra: 'z-1-1.x86_64', type: 'rpm' } });
    const withNevra = new SubjectTypes([
      { id: 'rpm', resultQueries: [{ itemKey: 'nevra', types: ['rpm'] }] },
    ]);
    const rebuilt = new GatingLatestStore(db, withNevra.itemKeys());
    const indexed = () =>
      db.prepare("SELECT COUNT(*) FROM gating_latest WHERE item_key = 'nevra'").pluck().get();
    assert.equal(indexed(), 0, 'not indexed before the rebuild');
    assert.equal(rebuilt.catchUp(), 1);
    assert.equal(indexed(), 1);
    assert.deepEqual(
      rebuilt.forSubject(withNevra.resolve('rpm').resultQueries, 'z-1-1.x86_64').map((r) => r.testcase),
      ['a'],
    );
  });

  test('cached rows are dropped when the subject gets a result, a transaction rolls back, or another connection writes', (t) => {
    const a = open(types.itemKeys(), 100);
    t.after(() => a.db.close());
    const queries = koji.resultQueries;
    const outcomes = () => a.latest.forSubject(queries, 'c-1-1', ['t']).map((r) => r.outcome);
    a.store.submit({ testcase: 't', outcome: 'FAILED', data: { item: 'c-1-1', type: 'koji_build' } });
    assert.deepEqual(outcomes(), ['FAILED']);
    assert.deepEqual(outcomes(), ['FAILED'], 'from the cache');

    a.store.submit({ testcase: 't', outcome: 'PASSED', data: { item: 'c-1-1', type: 'koji_build' } });
    assert.deepEqual(outcomes(), ['PASSED'], 'the new result is seen at once');

    assert.throws(() =>
      a.db.transaction(() => {
        a.store.submit({ testcase: 't', outcome: 'ERROR', data: { item: 'c-1-1', type: 'koji_build' } });
        throw new Error('rolled back');
      })(),
    );
    assert.deepEqual(outcomes(), ['PASSED'], 'a rolled-back result never shows');

    // A second service process on the same file: its own connection, its own hook.
    const b = open(types.itemKeys(), 100, a.db.name);
    t.after(() => b.db.close());
    b.store.submit({
      testcase: 't',
      outcome: 'NEEDS_INSPECTION',
      data: { item: 'c-1-1', type: 'koji_build' },
    });
    assert.deepEqual(outcomes(), ['NEEDS_INSPECTION'], 'a write by another connection is seen');
  });

  test('the cache keeps at most cacheSubjects subjects', (t) => {
    const { db, store, latest } = open(types.itemKeys(), 2);
    t.after(() => db.close());
    for (const item of ['a-1-1', 'b-1-1', 'c-1-1'])
      store.submit({ testcase: 't', outcome: 'PASSED', data: { item, type: 'koji_build' } });
    for (const item of ['a-1-1', 'b-1-1', 'c-1-1']) latest.forSubject(koji.resultQueries, item, null);
    assert.equal((latest as unknown as { cache: Map<string, unknown> }).cache.size, 2);
  });
});
