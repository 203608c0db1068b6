import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Client, type SFTPWrapper } from 'ssh2';
import type { BuilderSettings } from '../config/pipeline-types.js';
import { BuilderError } from '../errors/builder-error.js';
import type { Builder, BuilderConnection, ExecExit } from './builder.js';

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The host key algorithms that can present a key of the pinned type. */
function algorithmsFor(keyType: string): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
}

/**
 * A builder reached over SSH (ssh2), one connection shared by its jobs (channels). The host
 * key is pinned: any other key (unknown or changed) refuses the connection before
 * authentication. Keepalives notice a dead peer; a connect timeout bounds the wait.
 * ssh2 has no exec timeout and closing a channel leaves the command running, so jobs are
 * killed by process group (see job-script.ts), not by closing the channel.
 */
export class SshBuilder implements Builder {
  readonly name: string;
  readonly labels: readonly string[];
  readonly jobLimit: number;
  readonly workRoot: string;
  readonly backoff: { initialMs: number; maxMs: number };
  private connecting: Promise<SshConnection> | undefined;
  private readonly pinnedType: string;
  private readonly pinned: Buffer;

  constructor(private readonly settings: BuilderSettings) {
    this.name = settings.name;
    this.labels = settings.labels;
    this.jobLimit = settings.jobLimit;
    this.workRoot = settings.workRoot;
    this.backoff = settings.backoff;
    const [type, blob] = settings.hostKey!.trim().split(/\s+/);
    this.pinnedType = type!;
    this.pinned = Buffer.from(blob!, 'base64');
  }

  async connect(): Promise<BuilderConnection> {
    const current = this.connecting;
    if (current) {
      try {
        const conn = await current;
        if (conn.alive) return conn;
      } catch {
        // a failed attempt: try afresh below
      }
      if (this.connecting === current) this.connecting = undefined;
    }
    this.connecting ??= this.open();
    return this.connecting;
  }

  async close(): Promise<void> {
    const c = this.connecting;
    this.connecting = undefined;
    if (c) (await c.catch(() => undefined))?.end();
  }

  private open(): Promise<SshConnection> {
    const s = this.settings;
    const where = `builder ${s.name} (${s.user}@${s.host}:${s.port})`;
    return new Promise<SshConnection>((resolve, reject) => {
      const client = new Client();
      let presented: Buffer | undefined;
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        client.destroy();
        if (presented && !presented.equals(this.pinned)) {
          reject(
            new BuilderError(
              'HOST_KEY_MISMATCH',
              `${where} presented the host key ${fingerprint(presented)}, not the pinned ${this.pinnedType} key ${fingerprint(this.pinned)}: connection refused (if the builder was reinstalled, pin its new key)`,
            ),
          );
        } else {
          reject(
            new BuilderError('BUILDER_UNREACHABLE', `${where} cannot be reached: ${err.message}`, {
              cause: err,
            }),
          );
        }
      };
      client.once('ready', () => {
        settled = true;
        // Jobs are many small requests (open, exec, EOF, kill): Nagle would hold each for an ACK.
        client.setNoDelay(true);
        resolve(new SshConnection(client, where));
      });
      client.once('error', fail);
      client.once('close', () => fail(new Error('the connection closed during the handshake')));
      let privateKey: Buffer;
      try {
        privateKey = readFileSync(s.privateKeyFile!);
      } catch (err) {
        fail(new Error(`cannot read the private key ${s.privateKeyFile}: ${(err as Error).message}`));
        return;
      }
      client.connect({
        host: s.host,
        port: s.port,
        username: s.user,
        privateKey,
        readyTimeout: s.connectTimeoutMs,
        keepaliveInterval: s.keepaliveIntervalMs,
        keepaliveCountMax: s.keepaliveCountMax,
        algorithms: { serverHostKey: algorithmsFor(this.pinnedType) as never },
        hostVerifier: (key: Buffer) => {
          presented = key;
          return key.equals(this.pinned);
        },
      });
    });
  }
}

class SshConnection implements BuilderConnection {
  alive = true;
  private sftpSession: Promise<SFTPWrapper> | undefined;

  constructor(
    private readonly client: Client,
    private readonly where: string,
  ) {
    const dead = () => {
      this.alive = false;
    };
    client.on('close', dead);
    client.on('end', dead);
    client.on('error', dead);
  }

  end(): void {
    this.alive = false;
    this.client.end();
  }

  exec(script: string, onOutput?: (chunk: Buffer) => void): Promise<{ exit: Promise<ExecExit> }> {
    return new Promise((resolve, reject) => {
      this.client.exec(script, (err, channel) => {
        if (err)
          return reject(
            new BuilderError('BUILDER_LOST', `${this.where}: cannot start a command: ${err.message}`, {
              cause: err,
            }),
          );
        const exit = new Promise<ExecExit>((done, lost) => {
          let status: ExecExit | undefined;
          channel.on('exit', (code: number | null, signal?: string) => {
            status = { code: typeof code === 'number' ? code : null, signal: signal ?? null };
          });
          channel.on('close', () =>
            status
              ? done(status)
              : lost(
                  new BuilderError(
                    'BUILDER_LOST',
                    `${this.where}: the connection was lost while a command ran`,
                  ),
                ),
          );
        });
        channel.on('data', (c: Buffer) => onOutput?.(c));
        channel.stderr.on('data', (c: Buffer) => onOutput?.(c));
        channel.end();
        resolve({ exit });
      });
    });
  }

  async readFile(file: string, maxBytes: number): Promise<Buffer | undefined> {
    const sftp = await this.sftp();
    const size = await new Promise<number | undefined>((resolve, reject) =>
      sftp.stat(file, (err, st) =>
        err ? ((err as { code?: number }).code === 2 ? resolve(undefined) : reject(err)) : resolve(st.size),
      ),
    );
    if (size === undefined) return undefined;
    if (size > maxBytes) throw new Error(`${file} is ${size} bytes, over the limit of ${maxBytes}`);
    return new Promise((resolve, reject) =>
      sftp.readFile(file, (err, data) => (err ? reject(err) : resolve(data))),
    );
  }

  async fetchFile(remotePath: string, localPath: string): Promise<void> {
    const sftp = await this.sftp();
    await mkdir(path.dirname(localPath), { recursive: true });
    await new Promise<void>((resolve, reject) =>
      sftp.fastGet(remotePath, localPath, (err) => (err ? reject(err) : resolve())),
    );
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise<SFTPWrapper>((resolve, reject) =>
      this.client.sftp((err, sftp) => {
        if (err) {
          this.sftpSession = undefined;
          reject(
            new BuilderError('BUILDER_LOST', `${this.where}: no SFTP session: ${err.message}`, {
              cause: err,
            }),
          );
          return;
        }
        sftp.on('close', () => (this.sftpSession = undefined));
        resolve(sftp);
      }),
    );
    return this.sftpSession;
  }
}
