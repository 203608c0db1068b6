import { existsSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../../db/open-database.js';
import { CONFIG_OPTION, cliConfig, parse, writeLine } from '../cli-context.js';
import { UsageError, type Command } from '../command.js';

export const backupCommand: Command = {
  name: 'backup',
  summary: 'copy the SQLite store to a file, consistently, while Sluice runs',
  usage: `sluice backup [--config FILE] DEST

Writes a consistent copy of the configured SQLite file to DEST with SQLite's online backup
(the same as "sqlite3 FILE '.backup DEST'"): running processes go on reading and writing while
it copies, and DEST is a complete database as of one moment, WAL contents included. DEST must
not exist. Restore by stopping every Sluice process and putting DEST in db.path's place.`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, CONFIG_OPTION);
    if (positionals.length !== 1) throw new UsageError('expected one DEST file');
    const dest = path.resolve(io.cwd, positionals[0]!);
    if (existsSync(dest)) throw new UsageError(`${dest} exists; a backup never overwrites`);
    const config = cliConfig(values.config, io);
    if (config.db.path === ':memory:')
      throw new UsageError('db.path is :memory:; there is nothing on disk to back up');
    if (!existsSync(config.db.path)) throw new UsageError(`no store at ${config.db.path}`);
    const db = openDatabase(config.db.path, { busyTimeoutMs: config.db.busyTimeoutMs });
    try {
      const started = Date.now();
      const { totalPages } = await db.backup(dest);
      writeLine(io.stdout, {
        database: config.db.path,
        backup: dest,
        pages: totalPages,
        ms: Date.now() - started,
      });
      return 0;
    } finally {
      db.close();
    }
  },
};
