import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { migrate } from '../../db/migrate.js';
import { openDatabase, type Db } from '../../db/open-database.js';
import { WaiversStore, type NewWaiver, type WaiverJson } from '../../db/waivers-store.js';
import { Outbox } from '../../db/outbox.js';
import { testConfig, testRegistry } from '../support/test-config.js';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

/** A store whose clock the test sets: each waiver is stamped with `now.value`. */
function open(t: { after(fn: () => void): void }): {
  db: Db;
  store: WaiversStore;
  now: { value: number };
  outbox: () => Array<{ topic: string; body: unknown }>;
} {
  const db = openDatabase(testConfig().db.path);
  t.after(() => db.close());
  migrate(db);
  const now = { value: T0 };
  const store = new WaiversStore(db, new Outbox(db, testRegistry()), () => now.value);
  const outbox = () =>
    (
      db.prepare('SELECT topic, body FROM outbox ORDER BY id').all() as Array<{ topic: string; body: string }>
    ).map((r) => ({ topic: r.topic, body: JSON.parse(r.body) as unknown }));
  return { db, store, now, outbox };
}

const waiver = (w: Partial<NewWaiver> = {}): NewWaiver => ({
  subjectType: 'koji_build',
  subjectIdentifier: 'bash-5.2.26-3.fc42',
  testcase: 'dist.rpmdeplint',
  scenario: null,
  productVersion: 'fedora-42',
  waived: true,
  comment: 'flaky',
  username: 'alice',
  proxiedBy: null,
  ...w,
});

const ids = (ws: WaiverJson[]) => ws.map((w) => w.id);

describe('WaiversStore.submit', () => {
  test('stores each waiver and adds its waiverdb.waiver.new message (the waiver as GET returns it), in one transaction', (t) => {
    const { store, outbox } = open(t);
    const stored = store.submit([
      waiver(),
      waiver({
        testcase: 'dist.abicheck',
        waived: false,
        scenario: 'x86_64',
        username: 'carol',
        proxiedBy: 'bodhi',
      }),
    ]);
    assert.equal(stored.length, 2);
    assert.deepEqual(
      stored.map((w) => store.get(w.id)),
      stored,
    );
    assert.deepEqual(
      outbox(),
      stored.map((body) => ({ topic: 'waiverdb.waiver.new', body })),
    );
    assert.deepEqual(
      stored.map((w) => [w.testcase, w.waived, w.scenario, w.username, w.proxied_by, w.timestamp]),
      [
        ['dist.rpmdeplint', true, null, 'alice', null, '2025-06-01T12:00:00.000000'],
        ['dist.abicheck', false, 'x86_64', 'carol', 'bodhi', '2025-06-01T12:00:00.000000'],
      ],
    );
  });

  test("rolls back with a caller's transaction: no waiver, no message", (t) => {
    const { db, store, outbox } = open(t);
    let id = 0;
    assert.throws(
      () =>
        db.transaction(() => {
          id = store.submit([waiver()])[0]!.id;
          throw new Error('the caller changed its mind');
        })(),
      /changed its mind/,
    );
    assert.equal(store.get(id), undefined);
    assert.deepEqual(outbox(), []);
  });

  test('waivers are append-only: the table refuses updates and deletes', (t) => {
    const { db, store } = open(t);
    const [w] = store.submit([waiver()]);
    assert.throws(() => db.prepare('UPDATE waivers SET waived = 0 WHERE id = ?').run(w!.id), /append-only/);
    assert.throws(() => db.prepare('DELETE FROM waivers WHERE id = ?').run(w!.id), /append-only/);
    assert.deepEqual(store.get(w!.id), w);
  });
});

describe('WaiversStore.forSubjects (the gating lookup)', () => {
  /** Waivers of two builds and an update over three hours, with a revocation and a replaced waiver. */
  function history(t: { after(fn: () => void): void }) {
    const s = open(t);
    const at = (hours: number, w: Partial<NewWaiver>) => {
      s.now.value = T0 + hours * 3600_000;
      return s.store.submit([waiver(w)])[0]!;
    };
    const w = {
      bash: at(0, {}),
      other: at(0, { subjectIdentifier: 'zsh-5.9-1.fc42' }),
      update: at(1, {
        subjectType: 'bodhi_update',
        subjectIdentifier: 'FEDORA-2025-1',
        testcase: 'update.tier0',
      }),
      bashRevoked: at(1, { waived: false, comment: 'not flaky after all' }),
      bashF41: at(2, { productVersion: 'fedora-41' }),
      bashAgain: at(3, { scenario: 'x86_64', comment: 'only on x86_64' }),
    };
    return { ...s, w };
  }

  test('every waiver of the subjects, revocations and replaced ones too, oldest first by id; other subjects left out', (t) => {
    const { store, w } = history(t);
    const found = store.forSubjects([
      { type: 'koji_build', identifier: 'bash-5.2.26-3.fc42' },
      { type: 'bodhi_update', identifier: 'FEDORA-2025-1' },
    ]);
    assert.deepEqual(ids(found), [w.bash.id, w.update.id, w.bashRevoked.id, w.bashF41.id, w.bashAgain.id]);
    assert.deepEqual(found[2], w.bashRevoked, 'as the API prints it');
  });

  test('productVersions keeps only those versions; an empty list matches nothing', (t) => {
    const { store, w } = history(t);
    const bash = [{ type: 'koji_build', identifier: 'bash-5.2.26-3.fc42' }];
    assert.deepEqual(ids(store.forSubjects(bash, { productVersions: ['fedora-41'] })), [w.bashF41.id]);
    assert.deepEqual(ids(store.forSubjects(bash, { productVersions: ['fedora-42', 'fedora-41'] })), [
      w.bash.id,
      w.bashRevoked.id,
      w.bashF41.id,
      w.bashAgain.id,
    ]);
    assert.deepEqual(store.forSubjects(bash, { productVersions: [] }), []);
  });

  test("before (Greenwave's when) keeps the waivers submitted at or before that moment", (t) => {
    const { store, w } = history(t);
    const bash = [{ type: 'koji_build', identifier: 'bash-5.2.26-3.fc42' }];
    assert.deepEqual(
      ids(store.forSubjects(bash, { before: T0 + 3600_000 - 1 })),
      [w.bash.id],
      'the revocation came an hour later',
    );
    assert.deepEqual(
      ids(store.forSubjects(bash, { before: T0 + 3600_000 })),
      [w.bash.id, w.bashRevoked.id],
      'the bound is inclusive',
    );
    assert.deepEqual(ids(store.forSubjects(bash, { before: T0 - 1 })), []);
    assert.deepEqual(
      ids(store.forSubjects(bash, { before: T0 + 3 * 3600_000, productVersions: ['fedora-42'] })),
      [w.bash.id, w.bashRevoked.id, w.bashAgain.id],
    );
  });

  test('brew-build subjects read as koji_build; a subject named twice gives its waivers once; no subjects, no waivers', (t) => {
    const { store, w } = history(t);
    const bash = { type: 'brew-build', identifier: 'bash-5.2.26-3.fc42' };
    assert.deepEqual(
      ids(store.forSubjects([bash, bash, { type: 'koji_build', identifier: 'bash-5.2.26-3.fc42' }])),
      [w.bash.id, w.bashRevoked.id, w.bashF41.id, w.bashAgain.id],
    );
    assert.deepEqual(store.forSubjects([]), []);
    assert.deepEqual(store.forSubjects([{ type: 'koji_build', identifier: 'no-such-1-1.fc42' }]), []);
  });

  test('one indexed query: each subject is a search of waivers_subject, never a scan of the table', (t) => {
    const { store } = history(t);
    for (const options of [
      {},
      { before: T0 },
      { productVersions: ['fedora-42'] },
      { productVersions: ['fedora-42'], before: T0 },
    ]) {
      const plan = store.explainForSubjects(options);
      assert.ok(
        plan.some((d) =>
          /^SEARCH w USING INDEX waivers_subject \(subject_identifier=\? AND subject_type=\?/.test(d),
        ),
        `${JSON.stringify(options)}: ${plan.join(' | ')}`,
      );
      assert.ok(!plan.some((d) => /^SCAN w\b/.test(d)), `${JSON.stringify(options)}: ${plan.join(' | ')}`);
    }
  });
});
