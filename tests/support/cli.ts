import { execFile, spawn, type ChildProcess } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';
import { CLI } from './paths.js';
import { waitFor } from './wait-for.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The test process's environment without any SLUICE_* setting, plus `extra`. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SLUICE_')) env[k] = v;
  return { ...env, ...extra };
}

/** Runs `node dist/cli/main.js ARGS` to completion; never rejects on a non-zero exit. */
export function runCli(
  args: string[],
  {
    env = cliEnv(),
    cwd,
    timeoutMs = 30_000,
  }: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { env, cwd, timeout: timeoutMs, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err && child.exitCode === null && child.signalCode === null) {
          reject(err); // it could not be started at all
          return;
        }
        resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A running `node dist/cli/main.js …` whose output is collected as it comes. */
export class CliProcess {
  stdout = '';
  stderr = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
    this.child = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.stdout += s));
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.exit) this.child.kill(sig);
  }

  /** The exit, or a failure naming `what` when it takes longer than `ms`. */
  async exitWithin(
    ms: number,
    what: string,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${what} did not exit within ${ms} ms; stderr: ${this.stderr}`)),
            ms,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the process if a failed test left it running. */
  async kill(): Promise<void> {
    if (this.exit) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** `sluice ARGS` (a serve) started, once it answers /healthz on `port`; fails if it exits first. */
export async function serveUntilHealthy(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  port: number,
): Promise<CliProcess> {
  const server = new CliProcess(args, env, cwd);
  await waitFor(
    `sluice ${args.join(' ')} to answer /healthz`,
    async () => {
      if (server.exit) throw new Error(`sluice serve exited early: ${server.stderr}`);
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
      } catch {
        return false;
      }
    },
    30_000,
    100,
  );
  return server;
}
