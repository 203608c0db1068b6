import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { openDatabase, WAL_AUTOCHECKPOINT_PAGES, type Db } from '../db/open-database.js';
import { WalCheckpointer } from '../db/wal-checkpointer.js';
import { tempDir } from './support/paths.js';
import { silentLogger } from './support/test-config.js';

const PAGE = 4096;

/** 200 small commits, a few milliseconds apart, each adding about one page; the WAL's size afterwards. */
async function write(db: Db, file: string): Promise<number> {
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v BLOB)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (randomblob(3000))');
  for (let i = 0; i < 200; i++) {
    insert.run();
    await new Promise((r) => setTimeout(r, 2));
  }
  return statSync(`${file}-wal`).size;
}

test('with the checkpointer the service connection never checkpoints, yet the WAL stays small; stopped, the connection checkpoints again', async () => {
  const file = path.join(tempDir(), 'c.db');
  const db = openDatabase(file);
  const checkpointer = new WalCheckpointer(db, file, 10, silentLogger());
  await checkpointer.start();
  assert.equal(checkpointer.running, true);
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0);
  const wal = await write(db, file);
  assert.ok(wal < 60 * PAGE, `the WAL was started over as the worker caught up: ${wal} bytes`);
  await checkpointer.stop();
  assert.equal(checkpointer.running, false);
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), WAL_AUTOCHECKPOINT_PAGES);
  db.close();

  // The same writes with nobody checkpointing: every commit stays in the WAL.
  const other = path.join(tempDir(), 'd.db');
  const bare = openDatabase(other);
  bare.pragma('wal_autocheckpoint = 0');
  assert.ok((await write(bare, other)) > 200 * PAGE);
  bare.close();
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
