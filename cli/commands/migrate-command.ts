import { migrate } from '../../db/migrate.js';
import { openDatabase } from '../../db/open-database.js';
import { CONFIG_OPTION, cliConfig, parse, writeLine } from '../cli-context.js';
import type { Command } from '../command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply pending database migrations',
  usage: `sluice migrate [--config FILE]

Applies every pending numbered migration to the configured SQLite file, each in its own
transaction: one that fails leaves the database as it was. "sluice serve" does the same at start.`,
  async run(argv, io) {
    const { values } = parse(argv, CONFIG_OPTION, false);
    const config = cliConfig(values.config, io);
    const db = openDatabase(config.db.path, { busyTimeoutMs: config.db.busyTimeoutMs });
    try {
      const report = migrate(db);
      writeLine(io.stdout, {
        database: config.db.path,
        from: report.from,
        to: report.to,
        applied: report.applied,
      });
      return 0;
    } finally {
      db.close();
    }
  },
};
