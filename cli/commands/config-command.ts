import { ConfigError } from '../../errors/config-error.js';
import { PolicyError } from '../../errors/policy-error.js';
import { loadConfig } from '../../service/load-config.js';
import { loadPolicies } from '../../gating/load-policies.js';
import { parse } from '../cli-context.js';
import { fedoraPrefixWarning } from '../fedora-prefix-warning.js';
import { UsageError, type Command } from '../command.js';

export const configCommand: Command = {
  name: 'config',
  summary: 'check a configuration file',
  usage: `sluice config check FILE

Validates FILE (with the SLUICE_* environment overrides applied) and the gating policy files
it names (gating.policiesDir), and prints "FILE: ok", or every problem as "path: reason"
(for a policy: "policy-file: Policy 'id': reason") and exits 1. Warnings (a valid file that
likely does not do what is meant) go to stderr as "FILE: warning: ..." and leave the exit code 0.`,
  async run(argv, io) {
    const { positionals } = parse(argv, { help: { type: 'boolean', short: 'h' } });
    const [action, file, ...rest] = positionals;
    if (action !== 'check' || !file || rest.length) throw new UsageError('expected "config check FILE"');
    try {
      const config = loadConfig({ file, env: io.env, cwd: io.cwd });
      const policies = config.gating.policiesDir === null ? [] : loadPolicies(config.gating.policiesDir);
      const warning = fedoraPrefixWarning(config, policies);
      if (warning) io.stderr.write(`${config.source}: warning: ${warning}\n`);
      io.stdout.write(
        `${config.source}: ok${config.gating.policiesDir === null ? '' : ` (${policies.length} gating polic${policies.length === 1 ? 'y' : 'ies'})`}\n`,
      );
      return 0;
    } catch (err) {
      if (!(err instanceof ConfigError) && !(err instanceof PolicyError)) throw err;
      const problems =
        err instanceof ConfigError ? err.problems : err.problems.map((p) => `${p.file}: ${p.reason}`);
      io.stderr.write(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
      for (const p of problems) io.stderr.write(`  ${p}\n`);
      return 1;
    }
  },
};
