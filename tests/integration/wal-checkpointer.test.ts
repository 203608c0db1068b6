import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { openDatabase, WAL_AUTOCHECKPOINT_PAGES, type Db } from '../../db/open-database.js';
import { WalCheckpointer } from '../../db/wal-checkpointer.js';
import { tempDir } from '../support/paths.js';
import { capturingLogger, silentLogger } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

const PAGE = 4096;

/** 200 small commits, a few milliseconds apart, each adding about one page. */
async function write(db: Db): Promise<void> {
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v BLOB)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (randomblob(3000))');
  for (let i = 0; i < 200; i++) {
    insert.run();
    await new Promise((r) => setTimeout(r, 2));
  }
}

test('with the checkpointer the service connection never checkpoints, yet what it writes reaches the database file; stopped, the connection checkpoints again', async (t) => {
  const file = path.join(tempDir(), 'c.db');
  const db = openDatabase(file);
  const checkpointer = new WalCheckpointer(db, file, 10, silentLogger());
  t.after(() => checkpointer.stop());
  await checkpointer.start();
  assert.equal(checkpointer.running, true);
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0);
  await write(db);
  // Only a checkpoint copies pages from the WAL into the file, and this connection makes none.
  await waitFor(
    'the worker to copy the writes into the database file',
    () => statSync(file).size >= 200 * 3000,
  );
  await checkpointer.stop();
  assert.equal(checkpointer.running, false);
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), WAL_AUTOCHECKPOINT_PAGES);
  db.close();

  // The same writes with nobody checkpointing: they all stay in the WAL.
  const other = path.join(tempDir(), 'd.db');
  const bare = openDatabase(other);
  bare.pragma('wal_autocheckpoint = 0');
  await write(bare);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(statSync(other).size < 50 * PAGE, `${statSync(other).size} bytes in the file`);
  assert.ok(statSync(`${other}-wal`).size > 200 * PAGE);
  bare.close();
});

test('a checkpoint kept from running by another connection checkpointing is not reported as a failure', async (t) => {
  const file = path.join(tempDir(), 'f.db');
  const db = openDatabase(file);
  const { log, lines: warnings } = capturingLogger('warn');
  const checkpointer = new WalCheckpointer(db, file, 1, log);
  t.after(() => checkpointer.stop());
  await checkpointer.start();
  // A second process's checkpointer, say: while it copies, the worker's checkpoints cannot run.
  const other = openDatabase(file);
  other.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (v BLOB)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (randomblob(4000))');
  // Until the two have met several times at the lock (seen from this side), within a bound.
  let keptFromRunning = 0;
  for (const deadline = Date.now() + 10_000; keptFromRunning < 5 && Date.now() < deadline; ) {
    db.transaction(() => {
      for (let i = 0; i < 300; i++) insert.run();
    })();
    const row = (other.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]!;
    if (row.log < 0) keptFromRunning++;
    await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setTimeout(r, 50));
  other.close();
  await checkpointer.stop();
  db.close();
  // The two took turns holding the lock; the worker's turns without it are no failures.
  assert.ok(keptFromRunning > 0, 'the worker never held the checkpoint lock: the test proves nothing');
  assert.deepEqual(warnings, []);
});

test('no worker for an in-memory store or an interval of 0: the connection keeps checkpointing itself', async () => {
  const memory = openDatabase(':memory:');
  const a = new WalCheckpointer(memory, ':memory:', 10, silentLogger());
  await a.start();
  assert.equal(a.running, false);
  const file = path.join(tempDir(), 'e.db');
  const db = openDatabase(file);
  const b = new WalCheckpointer(db, file, 0, silentLogger());
  await b.start();
  assert.equal(b.running, false);
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), WAL_AUTOCHECKPOINT_PAGES);
  await b.stop();
  memory.close();
  db.close();
});

test('under steady writes the WAL is started over once it holds restartFrames frames, so it stays small while everything reaches the database file', async (t) => {
  const file = path.join(tempDir(), 'steady.db');
  const db = openDatabase(file);
  const restartFrames = 200;
  const checkpointer = new WalCheckpointer(db, file, 5, silentLogger(), restartFrames);
  t.after(() => checkpointer.stop());
  await checkpointer.start();
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (randomblob(3000))');
  const batch = db.transaction(() => {
    for (let i = 0; i < 10; i++) insert.run();
  });
  // About 4,000 pages written, never pausing long enough for a PASSIVE checkpoint to copy everything before the next commit.
  for (let i = 0; i < 400; i++) {
    batch();
    await new Promise((r) => setImmediate(r));
    if (i % 4 === 3) await new Promise((r) => setTimeout(r, 1));
  }
  const walPages = statSync(`${file}-wal`).size / (PAGE + 24);
  assert.ok(walPages < 10 * restartFrames, `the WAL reached ${walPages.toFixed(0)} pages for 4,000 written`);
  await waitFor('every row in the database file', () => statSync(file).size >= 4000 * 3000);
});
