import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** A checkpoint fsyncs; every 1,000 pages (the default) that was one fsync per ~400 results. */
export const WAL_AUTOCHECKPOINT_PAGES = 10000;

/**
 * WAL lets readers (the API, `sluice dlq list`) run beside the writer; synchronous=NORMAL is
 * durable across a process crash in WAL mode, which is the failure we guard against.
 */
export function openDatabase(file: string, { busyTimeoutMs = 5000 }: { busyTimeoutMs?: number } = {}): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  // The default 2 MiB cache re-reads index pages on every batch once the store is large.
  db.pragma('cache_size = -65536');
  // Each message of a batch is a savepoint, which journals the pages it changes; in a file that
  // is two writes per page (measured: 17 pages a result), in memory it is a copy.
  db.pragma('temp_store = MEMORY');
  // The service moves checkpoints to a worker thread (db/wal-checkpointer.ts); other users keep these.
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  immediateByDefault(db);
  return db;
}

/**
 * Makes `db.transaction(fn)()` begin IMMEDIATE, not DEFERRED. A deferred transaction that has
 * read and then writes while another connection holds the write lock (the checkpoint worker's
 * RESTART, a `sluice` command, a second process) gets SQLITE_BUSY at once: SQLite does not call
 * the busy handler for that upgrade, so `busy_timeout` never applies and a POST failed with a 500.
 * IMMEDIATE takes the write lock first, waiting for it as `busy_timeout` allows. Every
 * transaction Sluice opens writes; better-sqlite3's immediate variant still carries `.deferred`
 * for one that would only read.
 */
function immediateByDefault(db: Db): void {
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: Parameters<Db['transaction']>[0]) => transaction(fn).immediate) as Db['transaction'];
}
