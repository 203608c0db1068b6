import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import type { JobSettings } from '../../config/pipeline-types.js';
import { RunInputError } from '../../errors/run-input-error.js';
import { parseForgeHook, type ForgeHook } from '../../pipeline/forge-event.js';
import { rateLimitRetryAt } from '../../pipeline/forge-rate-limit.js';
import { signatureProblem } from '../../pipeline/forge-signature.js';
import { forgeState, plannedStatuses } from '../../pipeline/forge-status-plan.js';
import { jobsFiredBy } from '../../pipeline/job-trigger.js';
import type { PipelineNode } from '../../pipeline/pipeline-node.js';
import { forgeFixture, githubExamples } from '../support/forge-deliveries.js';

const run = (hook: ForgeHook) => {
  assert.equal(hook.kind, 'run', hook.kind === 'ignored' ? hook.reason : '');
  return (hook as Extract<ForgeHook, { kind: 'run' }>).request;
};

describe('webhook signatures', () => {
  const body = Buffer.from('{"zen":"Design for failure."}');
  const hex = createHmac('sha256', 'sekrit').update(body).digest('hex');

  test('GitHub: X-Hub-Signature-256 is sha256= and the HMAC of the exact bytes', () => {
    assert.equal(
      signatureProblem('github', { 'x-hub-signature-256': `sha256=${hex}` }, body, 'sekrit'),
      undefined,
    );
    assert.match(signatureProblem('github', {}, body, 'sekrit')!, /missing/);
    assert.match(signatureProblem('github', { 'x-hub-signature-256': hex }, body, 'sekrit')!, /not the HMAC/);
    assert.match(
      signatureProblem(
        'github',
        { 'x-hub-signature-256': `sha256=${hex}` },
        Buffer.from(`${body} `),
        'sekrit',
      )!,
      /not the HMAC/,
    );
    assert.match(
      signatureProblem('github', { 'x-hub-signature-256': `sha256=${hex}` }, body, 'other')!,
      /not/,
    );
  });

  test("Forgejo/Gitea: bare hex; Forgejo's header wins over Gitea's", () => {
    assert.equal(signatureProblem('forgejo', { 'x-forgejo-signature': hex }, body, 'sekrit'), undefined);
    assert.equal(signatureProblem('gitea', { 'x-gitea-signature': hex }, body, 'sekrit'), undefined);
    assert.match(
      signatureProblem(
        'forgejo',
        { 'x-forgejo-signature': '00'.repeat(32), 'x-gitea-signature': hex },
        body,
        'sekrit',
      )!,
      /X-Forgejo-Signature/,
    );
    assert.match(
      signatureProblem('forgejo', { 'x-forgejo-signature': 'zz' }, body, 'sekrit')!,
      /not the HMAC/,
    );
  });

  test('GitLab: the token header must equal the secret', () => {
    assert.equal(signatureProblem('gitlab', { 'x-gitlab-token': 'sekrit' }, body, 'sekrit'), undefined);
    assert.match(
      signatureProblem('gitlab', { 'x-gitlab-token': 'sekri' }, body, 'sekrit')!,
      /does not match/,
    );
    assert.match(signatureProblem('gitlab', {}, body, 'sekrit')!, /missing/);
  });
});

describe('webhook payloads → run requests', () => {
  const d = (type: 'github' | 'gitlab' | 'forgejo', event: string, body: unknown) => ({
    forge: type,
    type,
    event,
    deliveryId: 'd-1',
    body,
  });

  test("every GitHub push example: a branch's push runs, tags and deletions are ignored", () => {
    for (const [i, ex] of githubExamples('push').entries()) {
      const hook = parseForgeHook(d('github', 'push', ex));
      if (ex.ref.startsWith('refs/heads/') && !ex.deleted) {
        const req = run(hook);
        assert.equal(req.branch, 'master', `example ${i}`);
        assert.equal(req.revision, ex.after);
        assert.deepEqual(req.changedFiles, ['README.md']);
        assert.deepEqual(req.forge, { name: 'github', repo: 'Codertocat/Hello-World', deliveryId: 'd-1' });
      } else assert.equal(hook.kind, 'ignored', `example ${i}`);
    }
  });

  test('every GitHub pull_request example: only actions that bring a new head run', () => {
    const running = new Set<string>();
    for (const ex of githubExamples('pull_request')) {
      const hook = parseForgeHook(d('github', 'pull_request', ex));
      if (hook.kind === 'ignored') continue;
      running.add(ex.action);
      const req = run(hook);
      assert.equal(req.event, 'pull_request');
      assert.deepEqual(req.pullRequest, {
        number: 2,
        baseBranch: 'master',
        headBranch: 'changes',
        url: 'https://github.com/Codertocat/Hello-World/pull/2',
      });
      assert.equal(req.revision, ex.pull_request.head.sha);
      assert.equal(req.changedFiles, null, 'asked from the API');
      assert.deepEqual(hook.kind === 'run' && hook.pullRequestFiles, {
        repo: 'Codertocat/Hello-World',
        number: 2,
      });
    }
    assert.deepEqual([...running].sort(), ['opened', 'ready_for_review', 'reopened', 'synchronize']);
  });

  test("GitLab's documented push: 4 commits, 2 listed, so the changed files are unknown", () => {
    const req = run(parseForgeHook(d('gitlab', 'Push Hook', forgeFixture('gitlab-push-hook.json'))));
    assert.equal(req.changedFiles, null);
    assert.equal(req.forge?.repo, '15');
    const all = forgeFixture('gitlab-push-hook.json');
    all.total_commits_count = 2;
    assert.deepEqual(run(parseForgeHook(d('gitlab', 'Push Hook', all))).changedFiles, [
      'CHANGELOG',
      'app/controller/application.rb',
    ]);
  });

  test("GitLab's documented merge request: open runs on the target branch; a title edit does not", () => {
    const mr = forgeFixture('gitlab-merge-request-hook.json');
    const hook = parseForgeHook(d('gitlab', 'Merge Request Hook', mr));
    const req = run(hook);
    assert.equal(req.branch, 'master');
    assert.equal(req.revision, 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7');
    assert.equal(req.event, 'pull_request');
    assert.deepEqual(req.pullRequest?.number, 1);
    assert.equal(req.pullRequest?.headBranch, 'ms-viewport');
    // GitLab's API names the project by id: statuses and the changed files are asked of it there.
    assert.equal(req.forge?.repo, '1');
    assert.equal(req.changedFiles, null, 'asked from the API');
    assert.deepEqual(hook.kind === 'run' && hook.pullRequestFiles, { repo: '1', number: 1 });
    mr.object_attributes.action = 'update';
    assert.equal(parseForgeHook(d('gitlab', 'Merge Request Hook', mr)).kind, 'ignored');
    mr.object_attributes.oldrev = '95790bf891e76fee5e1747ab589903a6a1f80f22';
    assert.equal(parseForgeHook(d('gitlab', 'Merge Request Hook', mr)).kind, 'run');
  });

  test('Forgejo: branch names from `label` (its head `ref` is refs/pull/N/head)', () => {
    const req = run(parseForgeHook(d('forgejo', 'pull_request', forgeFixture('forgejo-pull-request.json'))));
    assert.equal(req.branch, 'branch1');
    assert.equal(req.pullRequest?.headBranch, 'fix-bug');
    assert.equal(
      run(parseForgeHook(d('forgejo', 'push', forgeFixture('forgejo-push.json')))).branch,
      'develop',
    );
  });

  test('a payload without what the run needs is refused naming the field', () => {
    const pr = githubExamples('pull_request')[0]!;
    delete pr.pull_request.head.sha;
    assert.throws(
      () => parseForgeHook(d('github', 'pull_request', pr)),
      (e: unknown) => e instanceof RunInputError && e.field === 'body.pull_request.head.sha',
    );
    assert.throws(() => parseForgeHook(d('github', 'push', [])), /body: must be an object/);
    const push = githubExamples('push')[4]!;
    push.commits[0].added = 'README.md';
    assert.throws(
      () => parseForgeHook(d('github', 'push', push)),
      /body\.commits\[0\]\.added: must be an array/,
    );
  });
});

describe('commit statuses', () => {
  const node = (over: Partial<PipelineNode>): PipelineNode => ({
    id: 2,
    runId: 1,
    parentId: 1,
    kind: 'test',
    name: 'unit[arch=x86_64]',
    path: ['checkout', 'unit[arch=x86_64]'],
    job: 'unit',
    state: 'running',
    result: null,
    repo: 'r',
    branch: 'main',
    revision: 'a'.repeat(40),
    createdAt: 0,
    updatedAt: 0,
    timeoutAt: null,
    holdoffAt: null,
    retryCount: 0,
    retryOf: null,
    artifacts: {},
    data: {},
    ...over,
  });

  test('a job: pending when its command starts, its result once; replays and other updates add nothing', () => {
    const queued = node({});
    const started = node({ data: { started_at: 'now' } });
    assert.deepEqual(plannedStatuses(null, queued, 'ci'), []);
    const [pending] = plannedStatuses(queued, started, 'ci');
    assert.equal(pending?.dedupKey, '2:pending');
    assert.equal(pending?.context, 'ci/unit[arch=x86_64]');
    assert.deepEqual(plannedStatuses(started, started, 'ci'), []);
    const failed = node({ state: 'done', result: 'fail', data: { started_at: 'now', reason: 'exit 1' } });
    const [final] = plannedStatuses(started, failed, 'ci');
    assert.equal(final?.outcome, 'fail');
    assert.equal(final?.description, 'unit[arch=x86_64] failed: exit 1');
    assert.deepEqual(plannedStatuses(failed, { ...failed, state: 'done' }, 'ci'), []);
  });

  test("a run: pending at creation, its root's result when done; descriptions fit GitHub's 140", () => {
    const root = node({ id: 1, parentId: null, job: null, kind: 'checkout', name: 'checkout' });
    assert.equal(plannedStatuses(null, root, 'ci')[0]?.context, 'ci');
    const available = { ...root, state: 'available' as const, result: 'pass' as const };
    assert.deepEqual(plannedStatuses(root, available, 'ci'), []);
    const done = { ...available, state: 'done' as const, data: { reason: 'x'.repeat(500) } };
    const [verdict] = plannedStatuses(available, done, 'ci');
    assert.equal(verdict?.outcome, 'pass');
    const cancelled = { ...done, result: 'incomplete' as const };
    assert.ok(plannedStatuses(available, cancelled, 'ci')[0]!.description.length <= 140);
  });

  test("each forge's words; never a success for what could not finish", () => {
    assert.equal(forgeState('github', 'pending'), 'pending');
    assert.equal(forgeState('github', 'incomplete'), 'error');
    assert.equal(forgeState('forgejo', 'fail'), 'failure');
    assert.equal(forgeState('gitlab', 'pending'), 'running');
    assert.equal(forgeState('gitlab', 'fail'), 'failed');
    assert.equal(forgeState('gitlab', 'incomplete'), 'canceled');
  });

  test('rate limits: the wait the headers say; a 403 without them is no rate limit', () => {
    const h = (o: Record<string, string>) => ({ get: (n: string) => o[n] ?? null });
    const now = 1_700_000_000_000;
    assert.equal(
      rateLimitRetryAt(403, h({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1700000060' }), now),
      now + 60_000,
    );
    assert.equal(rateLimitRetryAt(403, h({ 'retry-after': '30' }), now), now + 30_000);
    assert.equal(rateLimitRetryAt(429, h({ 'ratelimit-reset': '1700000010' }), now), now + 10_000);
    assert.equal(rateLimitRetryAt(429, h({ 'ratelimit-reset': '5' }), now), now + 5_000);
    assert.equal(
      rateLimitRetryAt(403, h({ 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': '1700000060' }), now),
      undefined,
    );
    assert.equal(rateLimitRetryAt(500, h({ 'retry-after': '30' }), now), undefined);
    assert.equal(rateLimitRetryAt(429, h({ 'retry-after': '999999999' }), now), now + 6 * 3600_000);
  });
});

test('jobs for pull requests only or pushes only', () => {
  const job = {
    name: 'j',
    kind: 'test',
    on: { kind: 'checkout', state: 'available' },
    repos: [],
    branches: [],
    paths: [],
    events: ['pull_request'],
  } as unknown as JobSettings;
  const event = {
    kind: 'checkout',
    name: 'checkout',
    job: null,
    state: 'available' as const,
    result: 'pass' as const,
    previousState: 'running' as const,
    repo: 'r',
    branch: 'main',
    changedFiles: null,
  };
  assert.equal(jobsFiredBy({ ...event, runEvent: 'pull_request' }, [job]).length, 1);
  assert.equal(jobsFiredBy({ ...event, runEvent: 'push' }, [job]).length, 0);
  assert.equal(jobsFiredBy(event, [job]).length, 0, 'a run without an event is a push');
  assert.equal(jobsFiredBy({ ...event, runEvent: 'pull_request' }, [{ ...job, events: [] }]).length, 1);
});
