import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { RawConfig } from '../../config/config-types.js';
import type { ForgeType } from '../../config/forge-types.js';
import { PAGE_PATHS, pageUrl } from '../../dashboard/page-paths.js';
import type { NodeJson } from '../../pipeline/pipeline-node.js';
import { deliveryHeaders, forgeFixture, githubExamples } from '../support/forge-deliveries.js';
import { ForgeTestServer } from '../support/forge-test-server.js';
import { tempDir } from '../support/paths.js';
import { startPipeline, type PipelineHarness } from '../support/pipeline-harness.js';
import { waitFor } from '../support/wait-for.js';

type Job = NonNullable<NonNullable<RawConfig['pipeline']>['jobs']>[number];
const job = (name: string, over: Partial<Job> = {}): Job =>
  ({
    name,
    kind: 'test',
    on: { kind: 'checkout', state: 'available' },
    command: `echo ${name}`,
    ...over,
  }) as Job;

const SECRET = "It's a Secret to Everybody";
const TOKEN = 'forge-token-0123456789';

/** Sluice with one forge of `type` whose API is a ForgeTestServer, and the jobs given. */
async function withForge(t: TestContext, type: ForgeType, jobs: Job[], forge: Record<string, unknown> = {}) {
  const server = new ForgeTestServer(type, TOKEN);
  const apiUrl = await server.start();
  t.after(() => server.stop());
  const dir = tempDir('forge-');
  writeFileSync(path.join(dir, 'secret'), `${SECRET}\n`);
  writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`);
  const p = await startPipeline(
    t,
    { checkout: { holdoffSeconds: 0 }, jobs },
    {
      forges: [
        {
          name: type,
          type,
          apiUrl,
          secretFile: path.join(dir, 'secret'),
          tokenFile: path.join(dir, 'token'),
          retry: { delayMs: 50, maxDelayMs: 200 },
          ...forge,
        },
      ],
    },
  );
  const deliver = async (event: string, payload: unknown, headers: Record<string, string> = {}) => {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const res = await fetch(`${p.base}/api/v1/hooks/${type}`, {
      method: 'POST',
      headers: { ...deliveryHeaders(type, event, body, SECRET), ...headers },
      body,
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  return { p, server, deliver };
}

async function runOf(p: PipelineHarness, runId: number, jobsExpected: string[]): Promise<NodeJson[]> {
  return p.waitRun(runId, (ns) => {
    const root = ns.find((n) => n.id === runId);
    return (
      root?.state === 'done' && jobsExpected.every((j) => ns.some((n) => n.name === j && n.result !== null))
    );
  });
}

/** Statuses the forge received, as "context state". */
function received(server: ForgeTestServer, key = 'context'): string[] {
  return server.statuses
    .filter((r) => r.answered >= 200 && r.answered < 300)
    .map((r) => `${r.body![key] as string} ${r.body!.state as string}`);
}

describe('forges in: webhooks start runs', () => {
  test('GitHub push (octokit example): signed, one run with the changed files, selective checks, statuses out', async (t) => {
    const { p, server, deliver } = await withForge(t, 'github', [
      job('docs', { paths: ['*.md'] }),
      job('code', { paths: ['src/**'] }),
      job('pr-only', { events: ['pull_request'] }),
      job('push-only', { events: ['push'] }),
    ]);
    const push = githubExamples('push')[4]!; // refs/heads/master, commit adding README.md
    const delivery = 'a9c2e4f0-3c8d-11ef-9f1a-5b6c7d8e9f00';
    const first = await deliver('push', push, { 'x-github-delivery': delivery });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const run = first.body.run as NodeJson;
    assert.equal(run.repo, 'Hello-World');
    assert.equal(run.data.namespace, 'Codertocat');
    assert.equal(run.branch, 'master');
    assert.equal(run.revision, push.after);
    assert.deepEqual(run.data.changed_files, ['README.md']);
    assert.equal(run.data.event, 'push');
    assert.equal(run.data.forge, 'github');

    const again = await deliver('push', push, { 'x-github-delivery': delivery });
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true);
    assert.equal(again.body.runId, run.id);

    const nodes = await runOf(p, run.id, ['docs', 'push-only']);
    assert.deepEqual(
      nodes
        .filter((n) => n.job)
        .map((n) => n.name)
        .sort(),
      ['docs', 'push-only'],
    );
    const runs = (await p.request('GET', '/api/v1/runs?repo=Hello-World')).body.data as NodeJson[];
    assert.equal(runs.length, 1, 'the repeated delivery started nothing');

    await waitFor('the verdict status', async () =>
      received(server).includes('sluice success') ? true : undefined,
    );
    assert.deepEqual(server.problems, []);
    assert.deepEqual(received(server).sort(), [
      'sluice pending',
      'sluice success',
      'sluice/docs pending',
      'sluice/docs success',
      'sluice/push-only pending',
      'sluice/push-only success',
    ]);
    const runPage = pageUrl(p.base, PAGE_PATHS.run(String(run.id)));
    for (const s of server.statuses) {
      assert.equal(s.path, `/repos/Codertocat/Hello-World/statuses/${push.after}`);
      assert.equal(s.headers.authorization, `Bearer ${TOKEN}`);
      assert.equal(s.headers['x-github-api-version'], '2022-11-28');
      assert.equal(s.body!.target_url, runPage);
    }
    // A job's pending status went out before its final one.
    const order = received(server);
    assert.ok(order.indexOf('sluice/docs pending') < order.indexOf('sluice/docs success'));
  });

  test('GitHub: bad or missing signatures get 401; ignored events 202 with the reason; bad payloads 400 naming the field', async (t) => {
    const { p, deliver } = await withForge(t, 'github', [job('all')]);
    const push = githubExamples('push')[4]!;
    const body = JSON.stringify(push);
    const forged = await deliver('push', body, { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` });
    assert.equal(forged.status, 401);
    assert.match(forged.body.message, /X-Hub-Signature-256.*HMAC-SHA256/);
    const tampered = await fetch(`${p.base}/api/v1/hooks/github`, {
      method: 'POST',
      headers: deliveryHeaders('github', 'push', body, SECRET),
      body: body.replace('Initial commit', 'Initial commit!'),
    });
    assert.equal(tampered.status, 401, 'the signature covers the exact bytes');
    const unsigned = await deliver('push', body, { 'x-hub-signature-256': '' });
    assert.equal(unsigned.status, 401);
    const wrongSecret = await fetch(`${p.base}/api/v1/hooks/github`, {
      method: 'POST',
      headers: deliveryHeaders('github', 'push', body, 'another secret'),
      body,
    });
    assert.equal(wrongSecret.status, 401);

    const tag = await deliver('push', githubExamples('push')[0]!);
    assert.equal(tag.status, 202);
    assert.match(tag.body.ignored, /refs\/tags\/simple-tag is not a branch/);
    const labeled = await deliver('pull_request', githubExamples('pull_request')[8]!);
    assert.equal(labeled.status, 202);
    assert.match(labeled.body.ignored, /"labeled" brings no new head/);
    const ping = await deliver('ping', { zen: 'Keep it logically awesome.', hook_id: 1 });
    assert.equal(ping.status, 202);

    const noAfter = { ...push, after: undefined };
    const bad = await deliver('push', noAfter);
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /^body\.after: must be a commit id/);
    const notJson = await deliver('push', '{"ref": ');
    assert.equal(notJson.status, 400);
    assert.match(notJson.body.message, /^body: is not JSON/);
    const noDelivery = await deliver('push', push, { 'x-github-delivery': '' });
    assert.equal(noDelivery.status, 400);
    assert.match(noDelivery.body.message, /X-GitHub-Delivery/);
    const unknown = await fetch(`${p.base}/api/v1/hooks/bitbucket`, { method: 'POST', body: '{}' });
    assert.equal(unknown.status, 404);
    const runs = (await p.request('GET', '/api/v1/runs?repo=Hello-World')).body.data as NodeJson[];
    assert.equal(runs.length, 0, 'nothing refused or ignored started a run');
  });

  test('GitHub pull_request (octokit example): base branch and number known; changed files from the API, paged', async (t) => {
    const { p, server, deliver } = await withForge(t, 'github', [
      job('docs', { paths: ['docs/**'] }),
      job('code', { paths: ['src/**'] }),
      job('pr-only', { events: ['pull_request'] }),
      job('push-only', { events: ['push'] }),
    ]);
    const pr = githubExamples('pull_request')[22]!; // synchronize of #2
    // 150 files: two pages of 100; the renamed one counts under both names.
    server.pullFiles.set(2, [
      ...Array.from({ length: 149 }, (_, i) => ({ filename: `docs/page-${i}.md` })),
      { filename: 'docs/new-name.md', previous_filename: 'README.md' },
    ]);
    const res = await deliver('pull_request', pr);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const run = res.body.run as NodeJson;
    assert.equal(run.branch, 'master');
    assert.equal(run.revision, pr.pull_request.head.sha);
    assert.equal(run.data.event, 'pull_request');
    assert.equal(run.data.pr_number, 2);
    assert.equal(run.data.base_branch, 'master');
    assert.equal(run.data.head_branch, 'changes');
    assert.equal((run.data.changed_files as string[]).length, 151);
    assert.ok((run.data.changed_files as string[]).includes('README.md'));
    const gets = server.requests.filter((r) => r.method === 'GET').map((r) => r.path);
    assert.deepEqual(gets, [
      '/repos/Codertocat/Hello-World/pulls/2/files?per_page=100&page=1',
      '/repos/Codertocat/Hello-World/pulls/2/files?per_page=100&page=2',
    ]);
    const nodes = await runOf(p, run.id, ['docs', 'pr-only']);
    assert.deepEqual(
      nodes
        .filter((n) => n.job)
        .map((n) => n.name)
        .sort(),
      ['docs', 'pr-only'],
    );
    assert.deepEqual(server.problems, []);
  });

  test('GitLab Push Hook and Merge Request Hook (documented examples): token checked, statuses in GitLab words', async (t) => {
    const { p, server, deliver } = await withForge(t, 'gitlab', [
      job('lib', { paths: ['lib/**'] }),
      job('mr-only', { events: ['pull_request'], command: 'exit 3' }),
    ]);
    const wrong = await deliver('Push Hook', forgeFixture('gitlab-push-hook.json'), {
      'x-gitlab-token': 'nope',
    });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body.message, /X-Gitlab-Token/);

    const push = await deliver('Push Hook', forgeFixture('gitlab-push-hook.json'));
    assert.equal(push.status, 201, JSON.stringify(push.body));
    const pushRun = push.body.run as NodeJson;
    assert.equal(pushRun.repo, 'diaspora');
    assert.equal(pushRun.data.namespace, 'mike');
    assert.equal(pushRun.data.forge_repo, '15');
    // 4 commits pushed, 2 listed: the files of the others are unknown, so every push job runs.
    assert.equal(pushRun.data.changed_files, null);
    await runOf(p, pushRun.id, ['lib']);

    server.pullFiles.set(1, [
      { filename: 'lib/a.rb' },
      ...Array.from({ length: 120 }, (_, i) => ({ filename: `spec/s${i}.rb` })),
    ]);
    const mr = await deliver('Merge Request Hook', forgeFixture('gitlab-merge-request-hook.json'));
    assert.equal(mr.status, 201, JSON.stringify(mr.body));
    const mrRun = mr.body.run as NodeJson;
    assert.equal(mrRun.branch, 'master');
    assert.equal(mrRun.data.pr_number, 1);
    assert.equal(mrRun.data.head_branch, 'ms-viewport');
    assert.equal((mrRun.data.changed_files as string[]).length, 121);
    const mrNodes = await runOf(p, mrRun.id, ['lib', 'mr-only']);
    assert.equal(mrNodes.find((n) => n.name === 'mr-only')!.result, 'fail');

    await waitFor('both verdicts', async () =>
      server.statuses.filter((s) => s.body?.name === 'sluice' && s.body.state !== 'running').length === 2
        ? true
        : undefined,
    );
    assert.deepEqual(server.problems, []);
    const mrStatuses = server.statuses.filter((s) => s.path.startsWith('/api/v4/projects/1/statuses/'));
    // The verdict is the root's result, in GitLab's words.
    const verdict = { pass: 'success', fail: 'failed', incomplete: 'canceled', skip: 'success' }[
      mrNodes.find((n) => n.id === mrRun.id)!.result!
    ];
    assert.deepEqual(
      mrStatuses.map((s) => `${s.body!.name} ${s.body!.state}`).sort(),
      [
        'sluice running',
        `sluice ${verdict}`,
        'sluice/lib running',
        'sluice/lib success',
        'sluice/mr-only failed',
        'sluice/mr-only running',
      ].sort(),
    );
    for (const s of server.statuses) assert.equal(s.headers['private-token'], TOKEN);
    const gets = server.requests.filter((r) => r.method === 'GET').map((r) => r.path);
    assert.deepEqual(gets, [
      '/api/v4/projects/1/merge_requests/1/diffs?per_page=100&page=1',
      '/api/v4/projects/1/merge_requests/1/diffs?per_page=100&page=2',
    ]);
    const updated = forgeFixture('gitlab-merge-request-hook.json');
    updated.object_attributes.action = 'update';
    const titleOnly = await deliver('Merge Request Hook', updated);
    assert.equal(titleOnly.status, 202, 'an update without new commits starts nothing');
  });

  test('Forgejo push and pull request: X-Forgejo-Signature checked; files from the API, paged by Link', async (t) => {
    const { p, server, deliver } = await withForge(t, 'forgejo', [
      job('ui', { paths: ['web_src/**'] }),
      job('go', { paths: ['**/*.go'] }),
    ]);
    const push = await deliver('push', forgeFixture('forgejo-push.json'));
    assert.equal(push.status, 201, JSON.stringify(push.body));
    const pushRun = push.body.run as NodeJson;
    assert.equal(pushRun.branch, 'develop');
    assert.equal(pushRun.data.forge_repo, 'forgejo/webhooks');
    assert.equal(pushRun.data.changed_files, null, 'the example lists no files: a full run');
    await runOf(p, pushRun.id, ['ui', 'go']);

    server.pullFiles.set(
      12,
      Array.from({ length: 60 }, (_, i) => ({ filename: `models/m${i}.go` })),
    );
    const body = JSON.stringify(forgeFixture('forgejo-pull-request.json'));
    const badSig = await deliver('pull_request', body, { 'x-forgejo-signature': 'ab'.repeat(32) });
    assert.equal(badSig.status, 401, 'a bad Forgejo signature is not rescued by a good Gitea one');
    const pr = await deliver('pull_request', body);
    assert.equal(pr.status, 201, JSON.stringify(pr.body));
    const prRun = pr.body.run as NodeJson;
    assert.equal(prRun.branch, 'branch1');
    assert.equal(prRun.data.head_branch, 'fix-bug');
    assert.equal((prRun.data.changed_files as string[]).length, 60);
    const nodes = await runOf(p, prRun.id, ['go']);
    assert.deepEqual(
      nodes.filter((n) => n.job).map((n) => n.name),
      ['go'],
    );
    const gets = server.requests.filter((r) => r.method === 'GET').map((r) => r.path);
    assert.deepEqual(gets, [
      '/api/v1/repos/test/repo/pulls/12/files?limit=50&page=1',
      '/api/v1/repos/test/repo/pulls/12/files?limit=50&page=2',
    ]);
    await waitFor('the pull request verdict', async () =>
      server.statuses.some(
        (s) => s.path.includes(prRun.revision!) && s.body?.context === 'sluice' && s.body.state === 'success',
      )
        ? true
        : undefined,
    );
    assert.deepEqual(server.problems, []);
    for (const s of server.statuses) assert.equal(s.headers.authorization, `token ${TOKEN}`);
  });
});

describe('forges out: the commit-status outbox', () => {
  test('5xx and dropped connections are retried, a rate limit is waited out as told, nothing is sent twice', async (t) => {
    const { p, server, deliver } = await withForge(t, 'github', [job('one')]);
    const resetAt = Math.ceil(Date.now() / 1000) + 3;
    server.answerNext(
      { status: 502, body: 'Bad Gateway' },
      { status: 0, drop: true },
      {
        status: 403,
        headers: {
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(resetAt),
        },
        body: '{"message":"API rate limit exceeded"}',
      },
    );
    const res = await deliver('push', githubExamples('push')[4]!);
    assert.equal(res.status, 201);
    const statuses = p.service.ctx.pipeline.forgeStatuses!;
    await waitFor(
      'every status settled',
      async () => {
        const c = statuses.counts();
        return c.pending === 0 && c.sent + c.superseded === 4 ? c : undefined;
      },
      20_000,
    );
    const got = received(server);
    assert.equal(new Set(got).size, got.length, `a status went out twice: ${got.join(', ')}`);
    // A pending status still unsent when its job's final one was written is set aside, not sent
    // late over it: the last word for each context is the final one.
    const last = new Map(got.map((g) => g.split(' ') as [string, string]));
    assert.deepEqual(Object.fromEntries(last), { sluice: 'success', 'sluice/one': 'success' });
    assert.equal(statuses.counts().failed, 0);
    const limited = server.statuses.find((s) => s.answered === 403)!;
    assert.ok(limited, 'the rate limit was hit');
    const later = server.statuses.filter((s) => s.receivedAt > limited.receivedAt);
    // The refused status itself goes again, and not before the reset.
    const again = later.find((s) => s.path === limited.path && s.body?.context === limited.body?.context);
    assert.ok(again, 'the refused status was sent again');
    assert.ok(
      again.receivedAt >= resetAt * 1000 - 5,
      `sent again ${resetAt * 1000 - again.receivedAt} ms early`,
    );
    // A call already on its way when the 403 came back cannot be recalled (the sender keeps several
    // going); nothing it started after the 403 goes out before the reset.
    const early = later.filter((s) => s.receivedAt < resetAt * 1000 - 5);
    assert.ok(
      early.every((s) => s.receivedAt - limited.receivedAt < 1000),
      `a status went out ${early.map((s) => resetAt * 1000 - s.receivedAt).join(', ')} ms before the reset`,
    );
    assert.equal(server.statuses.filter((s) => s.answered === 502).length, 1);
    assert.equal(server.statuses.filter((s) => s.answered === -1).length, 1);
    assert.deepEqual(server.problems, []);
  });
});
