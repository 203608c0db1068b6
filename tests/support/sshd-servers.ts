import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BuilderSettings } from '../../config/pipeline-types.js';
import { freePort } from './cli.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);
export const SSHD = '/usr/sbin/sshd';
/** The account jobs run as on the test builders: key login only. */
export const TEST_USER = 'sluiceci';

export interface SshServer {
  name: string;
  port: number;
  /** The host's public key as known_hosts has it: what a builder pins. */
  hostKey: string;
  /** The builder settings that reach this server as the test user. */
  builder(over?: Partial<BuilderSettings>): Partial<BuilderSettings> & { name: string };
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface SshFixture {
  servers: SshServer[];
  clientKey: string;
  /** A host key no server has. */
  strangerHostKey: string;
  /** Stops every server and removes their keys. */
  stop(): Promise<void>;
}

/**
 * `count` OpenSSH servers (sshd -D -f CONF) on free loopback ports, with generated host keys,
 * accepting the test user with a generated client key. For tests and benchmarks.
 */
export async function startSshServers(count: number): Promise<SshFixture> {
  const started: SshServer[] = [];
  const fixture = await launch(count, started).catch(async (err) => {
    for (const s of started) await s.stop();
    throw err;
  });
  return fixture;
}

async function launch(count: number, started: SshServer[]): Promise<SshFixture> {
  await ensureUser();
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  // sshd reads authorized_keys as the user it logs in: every folder on the way must let it,
  // so not under the test run's private (0700) folder.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-sshd-'));
  chmodSync(dir, 0o755);
  await run('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    'sluice-test-client',
    '-f',
    path.join(dir, 'client'),
  ]);
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'client.pub')), {
    mode: 0o644,
  });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'stranger_host')]);
  const strangerHostKey = hostKeyLine(path.join(dir, 'stranger_host.pub'));
  for (let i = 0; i < count; i++) {
    const server = await sshServer(`b${i + 1}`, dir, path.join(dir, 'client'));
    started.push(server);
    await server.start();
  }
  return {
    servers: started,
    clientKey: path.join(dir, 'client'),
    strangerHostKey,
    async stop() {
      for (const s of started) await s.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function sshServer(name: string, dir: string, clientKey: string): Promise<SshServer> {
  const home = path.join(dir, name);
  mkdirSync(home, { mode: 0o755 });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(home, 'host_ed25519')]);
  const port = await freePort();
  const conf = path.join(home, 'sshd_config');
  writeFileSync(
    conf,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(home, 'host_ed25519')}`,
      `PidFile ${path.join(home, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      `AllowUsers ${TEST_USER}`,
      'UsePAM no',
      'StrictModes no',
      // One connection carries every job of a builder, each a channel (plus SFTP and kills).
      'MaxSessions 500',
      'MaxStartups 100:30:200',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const hostKey = hostKeyLine(path.join(home, 'host_ed25519.pub'));
  let child: ChildProcess | undefined;
  let stderr = '';
  const server: SshServer = {
    name,
    port,
    hostKey,
    builder: (over = {}) => ({
      name,
      type: 'ssh',
      host: '127.0.0.1',
      port,
      user: TEST_USER,
      privateKeyFile: clientKey,
      hostKey,
      labels: ['linux'],
      jobLimit: 4,
      connectTimeoutMs: 3000,
      ...over,
    }),
    async start() {
      child = spawn(SSHD, ['-D', '-e', '-f', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const proc = child;
      await waitFor(
        `sshd ${name} on port ${port}`,
        async () => {
          if (proc.exitCode !== null) throw new Error(`sshd ${name} exited (${proc.exitCode}): ${stderr}`);
          return await accepts(port);
        },
        10_000,
        50,
      );
    },
    async stop() {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    },
  };
  return server;
}

function hostKeyLine(pubFile: string): string {
  return readFileSync(pubFile, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The test user: key login only (`*` is no password, not a locked account, so sshd lets keys in). */
async function ensureUser(): Promise<void> {
  try {
    await run('id', [TEST_USER]);
  } catch {
    await run('useradd', ['--create-home', '--shell', '/bin/sh', TEST_USER]).catch(async (err) => {
      // Two test files may race to create it; the loser finds it there.
      await run('id', [TEST_USER]).catch(() => Promise.reject(err));
    });
  }
  await run('usermod', ['-p', '*', TEST_USER]);
}
