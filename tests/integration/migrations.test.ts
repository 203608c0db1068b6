import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, test } from 'node:test';
import { currentVersion, migrate } from '../../db/migrate.js';
import type { Migration } from '../../db/migration.js';
import { migrations } from '../../db/migrations/index.js';
import { openDatabase, type Db } from '../../db/open-database.js';
import { MigrationError } from '../../errors/migration-error.js';
import { cliEnv, runCli } from '../support/cli.js';
import { tempDir } from '../support/paths.js';

const LATEST = Math.max(...migrations.map((m) => m.version));

/** argv: better-sqlite3's path, the database file. Holds the write lock (with a row written) for 300 ms. */
const HOLD_WRITE_LOCK = `
const db = new (require(process.argv[1]))(process.argv[2]);
db.exec('BEGIN IMMEDIATE');
db.prepare('INSERT INTO t (v) VALUES (1)').run();
process.stdout.write('locked\\n');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
db.exec('COMMIT');
db.close();
`;

function freshDb(
  t: { after(fn: () => void): void },
  options?: { busyTimeoutMs?: number },
): { db: Db; file: string } {
  const file = path.join(tempDir('sluice-db-'), 'nested', 'dir', 'sluice.db');
  const db = openDatabase(file, options);
  t.after(() => db.close());
  return { db, file };
}

function tableExists(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

describe('openDatabase', () => {
  test('creates missing folders and sets WAL, foreign keys and the busy timeout', (t) => {
    const { db } = freshDb(t, { busyTimeoutMs: 1234 });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(db.pragma('busy_timeout', { simple: true }), 1234);
  });

  test('the busy timeout defaults to 5000 ms', (t) => {
    const { db } = freshDb(t);
    assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
  });

  test('a transaction that reads and then writes waits for a write lock another process holds, where a deferred one fails at once', async (t) => {
    const { db, file } = freshDb(t);
    db.exec('CREATE TABLE t (v INTEGER)');
    // Another process (as the checkpoint worker's RESTART or a `sluice` command would) holds the write lock for 300 ms.
    const whileLocked = async <T>(work: () => T): Promise<T | Error> => {
      const child = spawn(
        process.execPath,
        ['-e', HOLD_WRITE_LOCK, createRequire(import.meta.url).resolve('better-sqlite3'), file],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const exited = once(child, 'exit');
      await once(child.stdout, 'data');
      let outcome: T | Error;
      try {
        outcome = work();
      } catch (err) {
        outcome = err as Error;
      }
      assert.deepEqual(await exited, [0, null]);
      return outcome;
    };
    const readThenWrite = () => {
      const { n } = db.prepare('SELECT count(*) AS n FROM t').get() as { n: number };
      db.prepare('INSERT INTO t (v) VALUES (?)').run(100 + n);
      return n;
    };
    assert.equal(
      await whileLocked(() => db.transaction(readThenWrite)()),
      1,
      'it began once the other process had committed, and saw its row',
    );
    const deferred = await whileLocked(() => db.transaction(readThenWrite).deferred());
    assert.ok(
      deferred instanceof Error && (deferred as { code?: string }).code === 'SQLITE_BUSY',
      `a deferred one fails: ${String(deferred)}`,
    );
    assert.deepEqual(db.prepare('SELECT v FROM t ORDER BY rowid').all(), [{ v: 1 }, { v: 101 }, { v: 1 }]);
  });

  test('foreign keys are enforced', (t) => {
    const { db } = freshDb(t);
    db.exec(
      'CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (parent_id INTEGER REFERENCES parent (id))',
    );
    assert.throws(
      () => db.prepare('INSERT INTO child (parent_id) VALUES (42)').run(),
      /FOREIGN KEY constraint failed/,
    );
  });
});

describe('migrate', () => {
  test('applies every migration once and records the version', (t) => {
    const { db } = freshDb(t);
    assert.equal(currentVersion(db), 0);
    const first = migrate(db);
    assert.equal(first.from, 0);
    assert.equal(first.to, LATEST);
    assert.deepEqual(
      first.applied,
      [...migrations]
        .sort((a, b) => a.version - b.version)
        .map((m) => ({ version: m.version, name: m.name })),
    );
    assert.equal(currentVersion(db), LATEST);
    const recorded = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    assert.deepEqual(recorded, first.applied);
    for (const table of ['processed_messages', 'outbox', 'event_log', 'bus_queue', 'bus_dead_letters']) {
      assert.ok(tableExists(db, table), `table ${table} exists`);
    }

    const second = migrate(db);
    assert.deepEqual(second, { from: LATEST, to: LATEST, applied: [] });
  });

  test('a new connection to a migrated file sees the version', (t) => {
    const { db, file } = freshDb(t);
    migrate(db);
    const again = openDatabase(file);
    t.after(() => again.close());
    assert.equal(currentVersion(again), LATEST);
    assert.deepEqual(migrate(again).applied, []);
  });

  test('only pending migrations run, in version order whatever the list order', (t) => {
    const { db } = freshDb(t);
    const list: Migration[] = [
      { version: 3, name: 'three', up: 'CREATE TABLE three (x)' },
      { version: 1, name: 'one', up: 'CREATE TABLE one (x)' },
      { version: 2, name: 'two', up: (d) => d.exec('CREATE TABLE two (x)') },
    ];
    assert.deepEqual(migrate(db, list.slice(1)).applied, [
      { version: 1, name: 'one' },
      { version: 2, name: 'two' },
    ]);
    const report = migrate(db, list);
    assert.deepEqual(report, { from: 2, to: 3, applied: [{ version: 3, name: 'three' }] });
    for (const table of ['one', 'two', 'three']) assert.ok(tableExists(db, table));
  });

  test('a failing migration is rolled back: the version and tables stay as they were', (t) => {
    const { db } = freshDb(t);
    const list: Migration[] = [
      { version: 1, name: 'first', up: 'CREATE TABLE first_table (x INTEGER)' },
      {
        version: 2,
        name: 'broken',
        up: 'CREATE TABLE second_table (x INTEGER); INSERT INTO first_table VALUES (1); THIS IS NOT SQL;',
      },
      { version: 3, name: 'after', up: 'CREATE TABLE third_table (x INTEGER)' },
    ];
    assert.throws(
      () => migrate(db, list),
      (err: unknown) => {
        assert.ok(err instanceof MigrationError, `a MigrationError, not ${String(err)}`);
        assert.equal(err.code, 'MIGRATION_FAILED');
        assert.equal(err.version, 2);
        assert.match(err.message, /migration 2 \(broken\) failed and was rolled back: .*syntax error/);
        return true;
      },
    );
    assert.equal(currentVersion(db), 1);
    assert.ok(tableExists(db, 'first_table'));
    assert.ok(!tableExists(db, 'second_table'), 'the table the failed migration created is gone');
    assert.deepEqual(
      db.prepare('SELECT * FROM first_table').all(),
      [],
      "the failed migration's insert is gone",
    );
    assert.ok(!tableExists(db, 'third_table'), 'later migrations do not run');

    // Once the migration is fixed, it and the ones after it apply.
    list[1] = { version: 2, name: 'fixed', up: 'CREATE TABLE second_table (x INTEGER)' };
    assert.deepEqual(migrate(db, list), {
      from: 1,
      to: 3,
      applied: [
        { version: 2, name: 'fixed' },
        { version: 3, name: 'after' },
      ],
    });
  });

  test('a migration function that throws is rolled back too', (t) => {
    const { db } = freshDb(t);
    const list: Migration[] = [
      {
        version: 1,
        name: 'throws',
        up: (d) => {
          d.exec('CREATE TABLE half_done (x)');
          throw new Error('changed my mind');
        },
      },
    ];
    assert.throws(() => migrate(db, list), {
      name: 'MigrationError',
      code: 'MIGRATION_FAILED',
      message: /changed my mind/,
    });
    assert.equal(currentVersion(db), 0);
    assert.ok(!tableExists(db, 'half_done'));
  });
});

describe('sluice migrate', () => {
  test('migrates the SLUICE_DB file and prints a JSON report; a second run applies nothing', async () => {
    const dir = tempDir('sluice-cli-migrate-');
    const file = path.join(dir, 'store', 's.db');
    const env = cliEnv({ SLUICE_DB: file });

    const first = await runCli(['migrate'], { env, cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    const lines = first.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1, first.stdout);
    const report = JSON.parse(lines[0]!) as {
      database: string;
      from: number;
      to: number;
      applied: Array<{ version: number }>;
    };
    assert.equal(report.database, file);
    assert.equal(report.from, 0);
    assert.equal(report.to, LATEST);
    assert.equal(report.applied.length, migrations.length);

    const db = openDatabase(file);
    try {
      assert.equal(currentVersion(db), LATEST);
    } finally {
      db.close();
    }

    const second = await runCli(['migrate'], { env, cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    const again = JSON.parse(second.stdout) as typeof report;
    assert.equal(again.from, LATEST);
    assert.equal(again.to, LATEST);
    assert.deepEqual(again.applied, []);
  });
});

test('a migration numbered below one already applied (merged later) is still applied, once', (t) => {
  const { db } = freshDb(t);
  const early: Migration = { version: 1, name: 'one', up: 'CREATE TABLE t1 (x)' };
  const late: Migration = { version: 3, name: 'three', up: 'CREATE TABLE t3 (x)' };
  const between: Migration = { version: 2, name: 'two', up: 'CREATE TABLE t2 (x)' };
  migrate(db, [early, late]);
  const report = migrate(db, [early, between, late]);
  assert.deepEqual(report.applied, [{ version: 2, name: 'two' }]);
  assert.ok(tableExists(db, 't2'));
  assert.deepEqual(migrate(db, [early, between, late]).applied, []);
});
