import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { hashToken } from '../../api/auth.js';
import type { WaiverJson } from '../../waivers/waiver-json.js';
import { CliProcess, cliEnv, freePort, runCli } from '../support/cli.js';
import { tempDir } from '../support/paths.js';
import { waitFor } from '../support/wait-for.js';

describe('sluice waive against a running sluice serve', () => {
  const cwd = tempDir('sluice-waive-');
  let server: CliProcess;
  let url: string;
  const env = cliEnv();

  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const config = {
      server: { port },
      db: { path: path.join(cwd, 'sluice.db') },
      log: { level: 'warn' },
      auth: {
        tokens: [
          { user: 'alice', sha256: hashToken('alice-token'), groups: ['qa'], scopes: ['waivers:write'] },
          { user: 'bob', sha256: hashToken('bob-token'), scopes: ['waivers:write'] },
        ],
      },
      waivers: { permissions: [{ testcases: ['dist.*'], groups: ['qa'] }] },
    };
    writeFileSync(path.join(cwd, 'sluice.yaml'), stringify(config));
    server = new CliProcess(['serve', '--config', 'sluice.yaml'], env, cwd);
    await waitFor(
      'the server to answer /healthz',
      async () => {
        if (server.exit)
          throw new Error(`sluice serve exited early (${JSON.stringify(server.exit)}): ${server.stderr}`);
        try {
          return (await fetch(`${url}/healthz`)).status === 200;
        } catch {
          return false;
        }
      },
      20_000,
      50,
    );
  });
  after(async () => {
    await server?.kill();
  });

  const waive = (args: string[], extraEnv: Record<string, string> = {}) =>
    runCli(['waive', ...args], { env: { ...env, ...extraEnv }, cwd });

  test('waives, prints the stored waiver, and the API then has it', async () => {
    const r = await waive([
      'brew-build',
      'bash-5.2.26-3.fc42',
      'dist.rpmdeplint',
      '--product-version',
      'fedora-42',
      '--comment',
      'known flake',
      '--scenario',
      'x86_64',
      '--server',
      url,
      '--token',
      'alice-token',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stdout);
    const w = JSON.parse(lines[0]!) as WaiverJson;
    assert.deepEqual(
      [
        w.subject_type,
        w.subject_identifier,
        w.testcase,
        w.scenario,
        w.product_version,
        w.comment,
        w.waived,
        w.username,
        w.proxied_by,
      ],
      [
        'koji_build',
        'bash-5.2.26-3.fc42',
        'dist.rpmdeplint',
        'x86_64',
        'fedora-42',
        'known flake',
        true,
        'alice',
        null,
      ],
    );
    const res = await fetch(`${url}/api/v1.0/waivers/${w.id}`);
    assert.deepEqual(await res.json(), w);
  });

  test('--revoke submits waived: false; the token may come from SLUICE_TOKEN', async () => {
    const r = await waive(
      [
        'koji_build',
        'zsh-5.9-1.fc42',
        'dist.abicheck',
        '-p',
        'fedora-42',
        '-m',
        'fixed upstream',
        '--revoke',
        '--server',
        url,
        '--json',
      ],
      { SLUICE_TOKEN: 'alice-token' },
    );
    assert.equal(r.code, 0, r.stderr);
    const w = JSON.parse(r.stdout) as WaiverJson;
    assert.equal(w.waived, false);
    const listed = (await (
      await fetch(`${url}/api/v1.0/waivers/?subject_identifier=zsh-5.9-1.fc42`)
    ).json()) as { data: WaiverJson[] };
    assert.deepEqual(listed.data, [w]);
  });

  test("a refusal exits 1 with the server's message on stderr", async () => {
    const forbidden = await waive([
      'koji_build',
      'zsh-5.9-1.fc42',
      'dist.abicheck',
      '-p',
      'fedora-42',
      '-m',
      'c',
      '--server',
      url,
      '--token',
      'bob-token',
    ]);
    assert.equal(forbidden.code, 1);
    assert.equal(forbidden.stdout, '');
    assert.equal(
      forbidden.stderr,
      'sluice waive: refused by the server (403): User bob is not authorized to submit waivers for the test case dist.abicheck\n',
    );
    const noToken = await waive([
      'koji_build',
      'zsh-5.9-1.fc42',
      'dist.abicheck',
      '-p',
      'fedora-42',
      '-m',
      'c',
      '--server',
      url,
    ]);
    assert.equal(noToken.code, 1);
    assert.match(
      noToken.stderr,
      /refused by the server \(401\): this endpoint needs an API token with scope "waivers:write"/,
    );
  });

  test('the server URL may come from the configuration instead of --server', async () => {
    const r = await waive([
      'koji_build',
      'tar-1.35-1.fc42',
      'dist.rpmlint',
      '-p',
      'fedora-42',
      '-m',
      'c',
      '--config',
      'sluice.yaml',
      '--token',
      'alice-token',
    ]);
    assert.equal(r.code, 0, r.stderr);
    // Without --json: one line for a person.
    assert.match(
      r.stdout,
      /^waiver \d+ by alice: dist\.rpmlint is waived for koji_build tar-1\.35-1\.fc42 in fedora-42\n$/,
    );
  });

  test('a misused command line exits 2 with the usage; --help prints it', async () => {
    const missing = await waive([
      'koji_build',
      'x-1-1.fc42',
      'dist.rpmlint',
      '--comment',
      'c',
      '--server',
      url,
    ]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /^sluice waive: --product-version is required\n\nusage: sluice waive SUBJECT_TYPE SUBJECT_ID TESTCASE/,
    );
    const noComment = await waive([
      'koji_build',
      'x-1-1.fc42',
      'dist.rpmlint',
      '-p',
      'fedora-42',
      '--server',
      url,
    ]);
    assert.equal(noComment.code, 2);
    assert.match(noComment.stderr, /--comment is required/);
    const tooFew = await waive(['koji_build', 'x-1-1.fc42', '-p', 'f', '-m', 'c']);
    assert.equal(tooFew.code, 2);
    assert.match(tooFew.stderr, /expected SUBJECT_TYPE, SUBJECT_ID and TESTCASE/);
    const help = await waive(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--revoke submits waived: false/);
  });

  test('no server answering: exit 1 with what to do', async () => {
    const port = await freePort();
    const r = await waive([
      'koji_build',
      'x-1-1.fc42',
      'dist.rpmlint',
      '-p',
      'fedora-42',
      '-m',
      'c',
      '--server',
      `http://127.0.0.1:${port}`,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`no Sluice server answers at http://127.0.0.1:${port}`));
  });
});
