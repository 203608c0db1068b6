import { existsSync } from 'node:fs';
import { after, before, type TestContext } from 'node:test';
import { SSHD, startSshServers, type SshFixture } from './sshd-servers.js';

export { TEST_USER, type SshFixture, type SshServer } from './sshd-servers.js';

const NO_SSHD = `${SSHD} is missing: the pipeline tests need Debian's openssh-server (npm test installs it)`;

/** Whether sshd is here; under CI its absence fails the test loudly instead of skipping. */
export function requireSshd(t: TestContext): boolean {
  if (existsSync(SSHD)) return true;
  if (process.env.CI === 'true') throw new Error(NO_SSHD);
  t.skip(NO_SSHD);
  return false;
}

/**
 * For a test file: `count` OpenSSH servers of its own, started before the file's tests and
 * stopped after them. Returns a getter (undefined when sshd is missing, outside CI).
 */
export function sshServersForThisFile(count = 2): () => SshFixture | undefined {
  let fixture: SshFixture | undefined;
  before(async () => {
    if (!existsSync(SSHD)) {
      if (process.env.CI === 'true') throw new Error(NO_SSHD);
      return;
    }
    fixture = await startSshServers(count);
  });
  after(async () => {
    await fixture?.stop();
  });
  return () => fixture;
}
