import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { RawConfig } from '../../config/config-types.js';
import type { NodeJson } from '../../pipeline/pipeline-node.js';
import { SluiceService } from '../../service/sluice-service.js';
import { runCli } from '../support/cli.js';
import { HttpReceiver, slackVerdict } from '../support/http-receiver.js';
import { ROOT, tempDir } from '../support/paths.js';
import { silentLogger, testConfig } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

const EXAMPLES = path.join(ROOT, 'config/examples');
const DIGEST = 'sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf';
const IMAGE = `registry.example.org:5000/team/app:v1.4@${DIGEST}`;

for (const name of ['airflow-ci.yaml', 'gitops-cd.yaml']) {
  test(`sluice config check passes the shipped ${name}`, async () => {
    const file = path.join(EXAMPLES, name);
    const r = await runCli(['config', 'check', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${file}: ok`);
  });
}

/** A manifest push as CNCF Distribution's notifications announce it (docs/content/about/notifications.md). */
function pushed(eventId: string) {
  return {
    events: [
      {
        id: eventId,
        timestamp: '2026-12-06T06:00:00.402973972Z',
        action: 'push',
        target: {
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          digest: DIGEST,
          size: 708,
          length: 708,
          repository: 'team/app',
          url: `https://registry.example.org:5000/v2/team/app/manifests/${DIGEST}`,
          tag: 'v1.4',
        },
        request: { id: 'r1', addr: '10.0.0.7:42961', host: 'registry.example.org:5000', method: 'PUT' },
        actor: { name: 'deploy-bot' },
        source: { addr: 'registry-0:5000', instanceID: 'a53db899-3b4b-4a62-a067-8dd013beaca4' },
      },
    ],
  };
}

const git = (repo: string, ...args: string[]) =>
  execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });

test('the GitOps/CD example end to end: a pushed image is deployed to test, smoke-tested, promoted to prod, and the chat room is told', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir('gitops-');
  // The GitOps repository the example's jobs commit to (a clone of it, on a real deployment).
  const repo = path.join(dir, 'gitops');
  mkdirSync(repo);
  git(repo, 'init', '--quiet', '--initial-branch=main');
  git(repo, 'config', 'user.name', 'Sluice CD');
  git(repo, 'config', 'user.email', 'cd@example.org');
  git(repo, 'commit', '--quiet', '--allow-empty', '-m', 'start');

  const chat = await HttpReceiver.create(t);
  const hookPath = '/services/T000/B000/XXXX';
  chat.answer = (call) => slackVerdict(call, hookPath) ?? { status: 200, body: 'ok' };
  const urlFile = path.join(dir, 'team-chat-hook');
  writeFileSync(urlFile, chat.base + hookPath);

  // The example as shipped, with only what names this machine changed: the token, the files
  // the chat URL and the repository live in, and where logs and artifacts go.
  const raw = parse(readFileSync(path.join(EXAMPLES, 'gitops-cd.yaml'), 'utf8')) as RawConfig & {
    pipeline: { jobs: Array<{ env?: Record<string, string> }> };
    notify: { rules: Array<{ chat?: { urlFile: string } }> };
    auth: { tokens: Array<{ sha256: string }> };
  };
  const token = 'registry-token-for-the-test';
  raw.auth.tokens[0]!.sha256 = createHash('sha256').update(token).digest('hex');
  for (const rule of raw.notify.rules) if (rule.chat) rule.chat.urlFile = urlFile;
  for (const job of raw.pipeline.jobs) if (job.env?.GITOPS_REPO) job.env.GITOPS_REPO = repo;
  Object.assign(raw.pipeline, { logsDir: path.join(dir, 'logs'), artifactsDir: path.join(dir, 'artifacts') });
  const { db: _db, ...rest } = raw;
  const service = await SluiceService.create({ config: testConfig(rest), log: silentLogger() });
  const base = (await service.start())!;
  t.after(() => service.stop());

  const notify = (auth: string | null) =>
    fetch(`${base}/api/v1/hooks/registry`, {
      method: 'POST',
      headers: {
        'content-type': 'application/vnd.docker.distribution.events.v1+json',
        ...(auth ? { authorization: auth } : {}),
      },
      body: JSON.stringify(pushed('b2a4e0c6-7f0e-4c55-9a1f-0d7b5c3e9a11')),
    });
  assert.equal((await notify(null)).status, 401, 'the registry must bring its token');
  const res = await notify(`Bearer ${token}`);
  const answer = (await res.json()) as { runs: number[] };
  assert.equal(res.status, 202, JSON.stringify(answer));
  const [runId] = answer.runs;

  const run = await waitFor(
    'the run to end',
    async () => {
      const r = (await (await fetch(`${base}/api/v1/runs/${runId}`)).json()) as NodeJson & {
        nodes: NodeJson[];
        deployments: Array<{ environment: string; job: string; subject: string }>;
      };
      return r.state === 'done' ? r : undefined;
    },
    90_000,
  );
  const results = Object.fromEntries(run.nodes.map((n) => [n.name, n.result]));
  assert.deepEqual(results, {
    image: 'pass',
    'deploy-test': 'pass',
    'smoke-test': 'pass',
    'deploy-prod': 'pass',
  });
  assert.deepEqual(
    run.deployments.map((d) => [d.environment, d.job, d.subject]),
    // Newest first.
    [
      ['prod', 'deploy-prod', IMAGE],
      ['test', 'deploy-test', IMAGE],
    ],
  );

  // What the cluster's controller would apply: both environments name the pushed image.
  assert.deepEqual(git(repo, 'log', '--format=%s').trim().split('\n'), [
    `prod: promote ${IMAGE}`,
    `test: deploy ${IMAGE}`,
    'start',
  ]);
  assert.equal(readFileSync(path.join(repo, 'environments/prod/app.yaml'), 'utf8'), `image: ${IMAGE}\n`);

  // The chat room hears that the run is done, with a link to its page, in a shape Slack accepts.
  const post = await waitFor('the run report in the chat room', async () =>
    chat.calls.find((c) => c.status === 200 && c.body.includes(`/runs/${runId}`)),
  );
  assert.match((JSON.parse(post.body) as { text: string }).text, /https:\/\/cd\.example\.org\/runs\//);
});
