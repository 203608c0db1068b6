import { spawn } from 'node:child_process';
import { copyFile, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { Builder, BuilderConnection, ExecExit } from './builder.js';

/**
 * The embedded default: jobs run on this machine, each in a temporary directory, through the
 * same job script as over SSH (so the same process-group kill applies).
 */
export class LocalBuilder implements Builder, BuilderConnection {
  readonly backoff = { initialMs: 1000, maxMs: 1000 };

  constructor(
    readonly name: string,
    readonly labels: readonly string[],
    readonly jobLimit: number,
    readonly workRoot: string,
  ) {}

  async connect(): Promise<BuilderConnection> {
    return this;
  }

  async close(): Promise<void> {}

  async exec(script: string, onOutput?: (chunk: Buffer) => void): Promise<{ exit: Promise<ExecExit> }> {
    const child = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exit = new Promise<ExecExit>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    child.stdout.on('data', (c: Buffer) => onOutput?.(c));
    child.stderr.on('data', (c: Buffer) => onOutput?.(c));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return { exit };
  }

  async readFile(file: string, maxBytes: number): Promise<Buffer | undefined> {
    let handle: import('node:fs/promises').FileHandle | undefined;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const { size } = await handle.stat();
      if (size > maxBytes) throw new Error(`${file} is ${size} bytes, over the limit of ${maxBytes}`);
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  async fetchFile(remotePath: string, localPath: string): Promise<void> {
    await mkdir(path.dirname(localPath), { recursive: true });
    await copyFile(remotePath, localPath);
  }
}
