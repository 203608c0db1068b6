import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HttpGatingFileFetcher } from '../../gating/http-gating-file-fetcher.js';
import {
  fetchGatingFile,
  parseScmUrl,
  type BuildInfoSource,
  type ScmLookup,
} from '../../gating/remote-rule.js';
import { SubjectTypes } from '../../gating/subject-types.js';
import { freePort } from '../support/cli.js';
import { GatingFileServer } from '../support/gating-file-server.js';

const types = new SubjectTypes();
const koji = (nvr: string) => ({ type: types.resolve('koji_build'), identifier: nvr });
const build = (scm: ScmLookup): BuildInfoSource => ({ scm: () => scm, creationTime: () => null });

describe('fetching gating.yaml files over HTTP', () => {
  const server = new GatingFileServer();
  let base: string;
  before(async () => {
    base = await server.start();
    server.files.set('/rpms/bash/raw/abc/f/gating.yaml', { status: 200, body: '--- !Policy\nrules: []\n' });
    server.files.set('/broken.yaml', { status: 503, body: 'down for maintenance' });
    server.files.set('/slow.yaml', { status: 200, body: 'late', delayMs: 2000 });
  });
  after(() => server.stop());

  test('200 is the file, 404 is "no file"', async () => {
    const fetcher = new HttpGatingFileFetcher({ timeoutMs: 2000, cacheTtlMs: 0 });
    assert.equal(await fetcher.fetch(`${base}/rpms/bash/raw/abc/f/gating.yaml`), '--- !Policy\nrules: []\n');
    assert.equal(await fetcher.fetch(`${base}/rpms/none/raw/abc/f/gating.yaml`), null);
  });

  test('any other status is an error naming it', async () => {
    const fetcher = new HttpGatingFileFetcher({ timeoutMs: 2000, cacheTtlMs: 0 });
    await assert.rejects(
      fetcher.fetch(`${base}/broken.yaml`),
      /HTTP 503 from http:\/\/127\.0\.0\.1:\d+\/broken\.yaml/,
    );
  });

  test('no answer within the timeout is an error, in about the timeout', async () => {
    const fetcher = new HttpGatingFileFetcher({ timeoutMs: 200, cacheTtlMs: 0 });
    const started = Date.now();
    await assert.rejects(fetcher.fetch(`${base}/slow.yaml`), /no answer from .*\/slow\.yaml within 200 ms/);
    const took = Date.now() - started;
    assert.ok(took >= 150 && took < 1500, `took ${took} ms`);
  });

  test('nobody listening is an error naming the cause', async () => {
    const fetcher = new HttpGatingFileFetcher({ timeoutMs: 2000, cacheTtlMs: 0 });
    const port = await freePort();
    await assert.rejects(
      fetcher.fetch(`http://127.0.0.1:${port}/gating.yaml`),
      new RegExp(`cannot fetch http://127\\.0\\.0\\.1:${port}/gating\\.yaml: ECONNREFUSED`),
    );
  });

  test('answers are reused for cacheTtlMs, then fetched again', async () => {
    const url = `${base}/rpms/bash/raw/abc/f/gating.yaml`;
    const asked = () => server.requests.filter((p) => p === '/rpms/bash/raw/abc/f/gating.yaml').length;
    const fetcher = new HttpGatingFileFetcher({ timeoutMs: 2000, cacheTtlMs: 150 });
    const before = asked();
    await fetcher.fetch(url);
    await fetcher.fetch(url);
    assert.equal(asked() - before, 1, 'the second fetch came from the cache');
    await new Promise((r) => setTimeout(r, 200));
    await fetcher.fetch(url);
    assert.equal(asked() - before, 2, 'fetched again after the TTL');
  });

  test("URL templates are filled from the build's SCM URL and tried in order until one has a file", async () => {
    const fetcher = new HttpGatingFileFetcher({ timeoutMs: 2000, cacheTtlMs: 0 });
    const templates = [
      `${base}/side-tags/{pkg_name}.yaml`,
      `${base}/{pkg_namespace}{pkg_name}/raw/{rev}/f/gating.yaml`,
    ];
    const outcome = await fetchGatingFile(
      koji('bash-5.2-1.fc41'),
      templates,
      build(parseScmUrl('git+https://src.fedoraproject.org/rpms/bash.git#abc', 'bash-5.2-1.fc41')),
      fetcher,
    );
    assert.deepEqual(outcome, {
      kind: 'found',
      url: `${base}/rpms/bash/raw/abc/f/gating.yaml`,
      text: '--- !Policy\nrules: []\n',
    });
  });

  test('no file under any template is "absent", with every URL tried', async () => {
    const fetcher = new HttpGatingFileFetcher({ timeoutMs: 2000, cacheTtlMs: 0 });
    const outcome = await fetchGatingFile(
      koji('zsh-5.9-1.fc41'),
      [`${base}/{pkg_namespace}{pkg_name}/raw/{rev}/f/gating.yaml`],
      build({ namespace: 'rpms', name: 'zsh', rev: 'f00' }),
      fetcher,
    );
    assert.deepEqual(outcome, { kind: 'absent', urls: [`${base}/rpms/zsh/raw/f00/f/gating.yaml`] });
  });

  test('a template needing SCM values is skipped when the build system does not know them; {subject_id} needs none', async () => {
    const fetcher = new HttpGatingFileFetcher({ timeoutMs: 2000, cacheTtlMs: 0 });
    const subject = { type: types.resolve('redhat-container-image'), identifier: 'sha256:0f41e5' };
    const outcome = await fetchGatingFile(
      subject,
      [`${base}/{pkg_name}/gating.yaml`, `${base}/images/{subject_id}.yaml`],
      build({ unknown: 'no source' }),
      fetcher,
    );
    assert.deepEqual(outcome, { kind: 'absent', urls: [`${base}/images/0f41e5.yaml`] });
  });

  test('container repositories drop the -container suffix of the build name; no namespace, no slash', async () => {
    const fetcher = {
      urls: [] as string[],
      fetch(url: string) {
        this.urls.push(url);
        return Promise.resolve(null);
      },
    };
    await fetchGatingFile(
      koji('x-1-1'),
      ['https://git/{pkg_namespace}{pkg_name}/{rev}'],
      build({ namespace: 'containers', name: 'httpd-container', rev: 'r1' }),
      fetcher,
    );
    await fetchGatingFile(
      koji('x-1-1'),
      ['https://git/{pkg_namespace}{pkg_name}/{rev}'],
      build({ namespace: '', name: 'tool', rev: 'r2' }),
      fetcher,
    );
    assert.deepEqual(fetcher.urls, ['https://git/containers/httpd/r1', 'https://git/tool/r2']);
  });

  test('an SCM URL without a revision is a failed fetch with the reason', async () => {
    const fetcher = new HttpGatingFileFetcher({ timeoutMs: 2000, cacheTtlMs: 0 });
    const outcome = await fetchGatingFile(
      koji('bash-5.2-1.fc41'),
      [`${base}/{pkg_name}`],
      build(parseScmUrl('git+https://src.fedoraproject.org/rpms/bash.git', 'bash-5.2-1.fc41')),
      fetcher,
    );
    assert.deepEqual(outcome, {
      kind: 'failed',
      urls: [],
      error:
        'Failed to parse SCM URL "git+https://src.fedoraproject.org/rpms/bash.git" from build "bash-5.2-1.fc41" (missing URL fragment with SCM revision information)',
    });
  });

  test('a build information source that throws is a failed fetch, never "no file"', async () => {
    const fetcher = { fetch: () => Promise.resolve(null) };
    const throwing: BuildInfoSource = {
      scm: () => Promise.reject(new Error('database is locked')),
      creationTime: () => null,
    };
    const outcome = await fetchGatingFile(
      koji('bash-5.2-1.fc41'),
      ['https://git/{pkg_namespace}{pkg_name}/raw/{rev}/f/gating.yaml'],
      throwing,
      fetcher,
    );
    assert.deepEqual(outcome, {
      kind: 'failed',
      urls: [],
      error: 'Could not find where koji_build bash-5.2-1.fc41 was built from: database is locked',
    });
  });

  test('a fetch error ends the search as a failed fetch', async () => {
    const fetcher = new HttpGatingFileFetcher({ timeoutMs: 2000, cacheTtlMs: 0 });
    const outcome = await fetchGatingFile(
      koji('bash-5.2-1.fc41'),
      [`${base}/broken.yaml`, `${base}/rpms/bash/raw/abc/f/gating.yaml`],
      build({ unknown: '' }),
      fetcher,
    );
    assert.equal(outcome.kind, 'failed');
    assert.deepEqual(outcome.kind === 'failed' && outcome.urls, [`${base}/broken.yaml`]);
  });
});

describe('SCM URLs as Koji gives them', () => {
  test('namespace, name without .git, and the revision', () => {
    assert.deepEqual(parseScmUrl('git+https://src.fedoraproject.org/rpms/bash.git#4f2a9c1', 'n'), {
      namespace: 'rpms',
      name: 'bash',
      rev: '4f2a9c1',
    });
    assert.deepEqual(parseScmUrl('git://pkgs.example.com/bash#abc', 'n'), {
      namespace: '',
      name: 'bash',
      rev: 'abc',
    });
  });
  test('something that is not a URL', () => {
    assert.deepEqual(parseScmUrl('not a url', 'bash-1-1'), {
      error: 'Failed to parse SCM URL "not a url" from build "bash-1-1" (not a URL)',
    });
  });
});
