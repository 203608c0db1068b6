import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { Lease } from '../../db/lease.js';
import { migrate } from '../../db/migrate.js';
import { openDatabase } from '../../db/open-database.js';
import { SluiceMetrics } from '../../observability/metrics.js';
import { Scheduler } from '../../periodic/scheduler.js';
import { parseRoles } from '../../config/roles.js';
import { tempDir } from '../support/paths.js';
import { silentLogger } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

function store() {
  const file = path.join(tempDir(), 'lease.db');
  const db = openDatabase(file);
  migrate(db);
  return { file, db };
}

test('a lease is held by one holder at a time, renewed by it, and taken by another only once it expired or was released', () => {
  const { file, db } = store();
  const other = openDatabase(file); // a second process's connection
  const a = new Lease(db, 'scheduler', 'a', 1000);
  const b = new Lease(other, 'scheduler', 'b', 1000);
  const t0 = 1_000_000;
  assert.equal(a.tryAcquire(t0), true);
  assert.equal(b.tryAcquire(t0 + 10), false);
  assert.equal(a.tryAcquire(t0 + 600), true, 'renewed past half its time');
  assert.equal(b.tryAcquire(t0 + 1200), false, 'still held: the renewal moved the expiry');
  assert.equal(b.tryAcquire(t0 + 1700), true, 'expired, taken over');
  assert.equal(a.tryAcquire(t0 + 1710), false);
  assert.equal(a.held(t0 + 1710), false);
  b.release();
  assert.equal(a.tryAcquire(Date.now()), true, 'released: free at once');
  assert.equal(a.current()?.holder, 'a');
  other.close();
  db.close();
});

test('two schedulers on one store: a task due every second runs in one of them only; when it stops, the other takes over', async (t) => {
  const { file, db } = store();
  const db2 = openDatabase(file);
  const runs: string[] = [];
  const make = (conn: typeof db, holder: string) => {
    const s = new Scheduler(
      conn,
      new Lease(conn, 'scheduler', holder, 2000),
      true,
      new SluiceMetrics({ processMetrics: false }),
      silentLogger(),
    );
    s.schedule('tick', '* * * * * *', () => void runs.push(holder));
    return s;
  };
  const a = make(db, 'a');
  const b = make(db2, 'b');
  a.start(2000);
  b.start(2000);
  t.after(async () => {
    await a.stop();
    await b.stop();
    db.close();
    db2.close();
  });
  await waitFor('three runs', () => runs.length >= 3, 10_000, 50);
  assert.equal(new Set(runs).size, 1, `runs in both: ${runs.join(',')}`);
  const leader = runs[0]!;
  const recorded = db
    .prepare("SELECT holder, outcome FROM scheduled_runs WHERE task = 'tick'")
    .all() as Array<{ holder: string; outcome: string | null }>;
  assert.ok(recorded.length >= 3);
  assert.ok(recorded.every((r) => r.holder === leader));
  await (leader === 'a' ? a : b).stop();
  const before = runs.length;
  await waitFor(
    'the other scheduler to take over',
    () => runs.slice(before).some((h) => h !== leader),
    10_000,
    50,
  );
});

test('a scheduler without the role accepts tasks and never runs them', async () => {
  const { db } = store();
  let ran = 0;
  const s = new Scheduler(
    db,
    new Lease(db, 'scheduler', 'x', 2000),
    false,
    new SluiceMetrics({ processMetrics: false }),
    silentLogger(),
  );
  s.schedule('tick', '* * * * * *', () => void ran++);
  s.start(2000);
  await new Promise((r) => setTimeout(r, 1500));
  await s.stop();
  assert.equal(ran, 0);
  assert.deepEqual(s.tasks(), [{ name: 'tick', cron: '* * * * * *' }]);
  db.close();
});

test('--role: all, one role, or a list; anything else is refused naming the roles', () => {
  assert.deepEqual([...parseRoles('all')].sort(), ['api', 'consumers', 'runner', 'scheduler']);
  assert.deepEqual([...parseRoles('consumers, scheduler')], ['consumers', 'scheduler']);
  assert.throws(
    () => parseRoles('api,worker'),
    /"worker" is not a role; the roles are all, api, consumers, runner, scheduler/,
  );
  assert.throws(() => parseRoles(''), /expected one of/);
});
