import { ConfigError } from '../../errors/config-error.js';
import { loadConfig } from '../../config/load-config.js';
import { parse } from '../cli-context.js';
import { UsageError, type Command } from '../command.js';

export const configCommand: Command = {
  name: 'config',
  summary: 'check a configuration file',
  usage: `sluice config check FILE

Validates FILE (with the SLUICE_* environment overrides applied) and prints "FILE: ok", or
every problem as "path: reason" and exits 1.`,
  async run(argv, io) {
    const { positionals } = parse(argv, { help: { type: 'boolean', short: 'h' } });
    const [action, file, ...rest] = positionals;
    if (action !== 'check' || !file || rest.length) throw new UsageError('expected "config check FILE"');
    try {
      const config = loadConfig({ file, env: io.env, cwd: io.cwd });
      io.stdout.write(`${config.source}: ok\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      io.stderr.write(`${file}: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}\n`);
      for (const p of err.problems) io.stderr.write(`  ${p}\n`);
      return 1;
    }
  },
};
