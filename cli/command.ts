import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM); long-running commands await it. */
  interrupted: Promise<string>;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the exit code. */
  run(argv: string[], io: CliIo): Promise<number>;
}

/** Thrown for a misused command line; printed with the command's usage, exit code 2. */
export class UsageError extends Error {}
