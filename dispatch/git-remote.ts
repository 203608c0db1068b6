import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The head revision of each branch of a remote, by `git ls-remote` (no shell: the URL and the
 * branch names are arguments, never parsed by a shell). Throws with git's own words when the
 * remote cannot be read.
 */
export async function remoteHeads(
  url: string,
  branches: readonly string[],
  timeoutMs = 30_000,
): Promise<Map<string, string>> {
  const { stdout } = await run(
    'git',
    ['ls-remote', '--heads', '--', url, ...branches.map((b) => `refs/heads/${b}`)],
    {
      timeout: timeoutMs,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
      maxBuffer: 16 << 20,
    },
  );
  const heads = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^([0-9a-f]{40,64})\trefs\/heads\/(.+)$/.exec(line);
    if (m) heads.set(m[2]!, m[1]!);
  }
  return heads;
}
