import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { RawConfig } from '../../config/config-types.js';
import type { NodeJson } from '../../pipeline/pipeline-node.js';
import { ROOT } from '../support/paths.js';
import { startPipeline } from '../support/pipeline-harness.js';
import { waitFor } from '../support/wait-for.js';

type Job = NonNullable<NonNullable<RawConfig['pipeline']>['jobs']>[number];
const imageJob = (name: string, command: string): Job =>
  ({ name, kind: 'test', on: { kind: 'image', state: 'available' }, command }) as Job;

const DIGEST = 'sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf';

/**
 * An envelope as CNCF Distribution sends it (docs/content/about/notifications.md, "Envelope" and
 * the pull example): a manifest push with its tag, the push of one of its layers, and a pull.
 */
function envelope(eventId: string) {
  const request = {
    id: 'req-1',
    addr: '10.0.0.7:42961',
    host: 'registry.example.org:5000',
    method: 'PUT',
    useragent: 'docker/27.3.1',
  };
  const source = { addr: 'registry-0:5000', instanceID: 'a53db899-3b4b-4a62-a067-8dd013beaca4' };
  return {
    events: [
      {
        id: eventId,
        timestamp: '2026-12-06T05:10:00.402973972Z',
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
        request,
        actor: { name: 'deploy-bot' },
        source,
      },
      {
        id: `${eventId}-layer`,
        timestamp: '2026-12-06T05:10:00.3Z',
        action: 'push',
        target: {
          mediaType: 'application/vnd.docker.container.image.rootfs.diff+x-gtar',
          digest: 'sha256:c3b3692957d439ac1928219a83fac91e7bf96c153725526874673ae1f2023f8d5',
          length: 2,
          repository: 'team/app',
          url: 'https://registry.example.org:5000/v2/team/app/blobs/sha256:c3b3692957d439ac1928219a83fac91e7bf96c153725526874673ae1f2023f8d5',
        },
        request,
        actor: { name: 'deploy-bot' },
        source,
      },
      {
        id: `${eventId}-pull`,
        timestamp: '2026-12-06T05:11:00Z',
        action: 'pull',
        target: {
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          digest: DIGEST,
          repository: 'team/app',
          tag: 'v1.4',
        },
        request: { ...request, method: 'GET' },
        actor: {},
        source,
      },
    ],
  };
}

async function postHook(base: string, body: unknown) {
  const res = await fetch(`${base}/api/v1/hooks/registry`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('runs started by a pushed image', () => {
  test('a registry notification starts one run per manifest push, on the image, once per event id', async (t) => {
    const p = await startPipeline(t, { jobs: [imageJob('smoke', 'echo "testing {{ run.data.image }}"')] });
    const first = await postHook(p.base, envelope('320678d8-ca14-430f-8bb6-4ca139cd83f7'));
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.pushes, 1, 'the layer push and the pull start nothing');
    const [runId] = first.body.runs as number[];
    assert.ok(typeof runId === 'number');

    const run = await p.node(runId);
    assert.equal(run.kind, 'image');
    assert.equal(run.repo, 'registry.example.org:5000/team/app');
    assert.equal(run.branch, 'v1.4');
    assert.equal(run.revision, DIGEST);
    assert.equal(run.data.image, `registry.example.org:5000/team/app:v1.4@${DIGEST}`);
    assert.equal(run.data.author, 'deploy-bot');
    assert.equal(run.data.source, 'registry');
    const smoke = await p.finished(runId, 'smoke');
    assert.equal(smoke.result, 'pass');
    assert.match(
      await p.log(smoke.id),
      new RegExp(`testing registry\\.example\\.org:5000/team/app:v1\\.4@${DIGEST}`),
    );

    // The registry sends an envelope again when its answer was lost: nothing new.
    const again = await postHook(p.base, envelope('320678d8-ca14-430f-8bb6-4ca139cd83f7'));
    assert.deepEqual(again, { status: 202, body: { pushes: 1, runs: [] } });
    const runs = (await p.request('GET', '/api/v1/runs')).body.data as NodeJson[];
    assert.equal(runs.length, 1);
  });

  test('an envelope that is not one is refused naming the field; nothing starts without image jobs', async (t) => {
    const p = await startPipeline(t, {
      jobs: [
        { name: 'unit', kind: 'test', on: { kind: 'checkout', state: 'available' }, command: 'true' } as Job,
      ],
    });
    const bad = envelope('e-1');
    bad.events[0]!.target.repository = 'Team/App';
    const refused = await postHook(p.base, bad);
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.match(
      JSON.stringify(refused.body),
      /events\/0\/target\/repository|events\[0\]\.target\.repository/,
    );
    const noEvents = await postHook(p.base, { event: [] });
    assert.equal(noEvents.status, 400);
    assert.match(JSON.stringify(noEvents.body), /events/);

    const ignored = await postHook(p.base, envelope('e-2'));
    assert.deepEqual(ignored, { status: 202, body: { pushes: 1, runs: [] } }, 'no job starts on images here');
  });

  test('a Fedora CI ci.container-image.build.complete message starts a run on repository@digest', async (t) => {
    const p = await startPipeline(t, { jobs: [imageJob('scan', 'echo "scanning {{ run.data.image }}"')] });
    // The container-image artifact of tests/fixtures/fedora-ci (resultsdb-updater's fake message), as a build's end.
    const fixture = JSON.parse(
      readFileSync(
        path.join(ROOT, 'tests', 'fixtures', 'fedora-ci', 'container-image.test.complete.json'),
        'utf8',
      ),
    ) as Record<string, unknown>;
    const { test: _test, ...build } = fixture;
    await p.service.ctx.bus.publish('ci.container-image.build.complete', build);
    const run = await waitFor('the run', async () =>
      ((await p.request('GET', '/api/v1/runs')).body.data as NodeJson[]).find((r) => r.kind === 'image'),
    );
    assert.equal(run.repo, 'factory2/waiverdb');
    assert.equal(run.branch, null);
    assert.equal(run.revision, 'sha256:693377241d5bc55af239fdc5183bcc97d7c5c097bebe84097c4388063a3950cc');
    assert.equal(run.data.source, 'ci.container-image');
    const scan = await p.finished(run.id, 'scan');
    assert.match(await p.log(scan.id), /scanning factory2\/waiverdb@sha256:693377241d5b/);
  });
});
