#!/usr/bin/env node
import { ConfigError } from '../errors/config-error.js';
import { redactString } from '../observability/redact-secrets.js';
import { UsageError, type CliIo, type Command } from './command.js';
import { backupCommand } from './commands/backup-command.js';
import { configCommand } from './commands/config-command.js';
import { decideCommand } from './commands/decide-command.js';
import { dlqCommand } from './commands/dlq-command.js';
import { mailCommand } from './commands/mail-command.js';
import { migrateCommand } from './commands/migrate-command.js';
import { publishCommand } from './commands/publish-command.js';
import { retryCommand } from './commands/retry-command.js';
import { runCommand } from './commands/run-command.js';
import { runnerCommand } from './commands/runner-command.js';
import { serveCommand } from './commands/serve-command.js';
import { tailCommand } from './commands/tail-command.js';
import { tokenCommand } from './commands/token-command.js';
import { waiveCommand } from './commands/waive-command.js';
import { runsCommand } from './commands/runs-command.js';
import { watchCommand } from './commands/watch-command.js';
import { statusCommand } from './commands/status-command.js';
import { SLUICE_VERSION } from '../api/sluice-version.js';
import { didYouMean } from '../config/did-you-mean.js';

const commands: Command[] = [
  serveCommand,
  publishCommand,
  tailCommand,
  runCommand,
  runsCommand,
  watchCommand,
  retryCommand,
  runnerCommand,
  dlqCommand,
  migrateCommand,
  configCommand,
  tokenCommand,
  waiveCommand,
  decideCommand,
  statusCommand,
  mailCommand,
  backupCommand,
];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `usage: sluice COMMAND [options]   (sluice COMMAND --help for details; sluice --version)\n\n${commands
    .map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
    .join('\n')}\n`;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(overview());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout.write(`sluice ${SLUICE_VERSION}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const hint = didYouMean(
      name,
      commands.map((c) => c.name),
    );
    io.stderr.write(`sluice: unknown command "${name}"${hint}\n\n${overview()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`sluice ${name}: ${err.message}\n\nusage: ${command.usage}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.stderr.write(`sluice ${name}: ${err.message}\n`);
      return 2;
    }
    // A library's error may quote a URL with its password: never print that.
    io.stderr.write(`sluice ${name}: ${redactString((err as Error).message)}\n`);
    return 1;
  }
}

const interrupted = new Promise<string>((resolve) => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
});

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  interrupted,
});
process.exitCode = code;
// Sockets or timers a library left behind must not keep a finished command alive.
setTimeout(() => process.exit(code), 2000).unref();
