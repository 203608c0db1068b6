/**
 * !RemoteRule with Koji, through POST /api/v1.0/decision: the build's source from a Koji hub
 * on loopback (XML-RPC getBuild, answering as Koji does), its gating.yaml from a dist-git
 * stand-in on loopback, at the URL Greenwave builds (REMOTE_RULE_POLICIES['*'],
 * https://src.fedoraproject.org/{pkg_namespace}{pkg_name}/raw/{rev}/f/gating.yaml). Whatever
 * keeps Sluice from knowing whether the package has a gating.yaml leaves the decision
 * unsatisfied with Greenwave's failed-fetch-gating-yaml; only a file that is not there (404)
 * adds nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { DecisionResponse } from '../../gating/decide.js';
import type { DecisionState } from '../../gating/decision-update-message.js';
import {
  DecisionChanges,
  type DecisionKey,
  type StoredDecisionState,
} from '../../gating/decision-change-publisher.js';
import { resultEvent } from '../../gating/gating-event.js';
import { SluiceService } from '../../service/sluice-service.js';
import { freePort } from '../support/cli.js';
import { GatingFileServer, type Served } from '../support/gating-file-server.js';
import { KojiHubServer, kojiBuild } from '../support/koji-hub-server.js';
import { policiesDir } from '../support/policies-dir.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';

const POLICIES = `
--- !Policy
id: kojibuild_bodhipush_remoterule
product_versions: [fedora-*]
decision_contexts: [bodhi_update_push_testing, bodhi_update_push_stable]
subject_type: koji_build
rules:
  - !RemoteRule {}

--- !Policy
id: kojibuild_remoterule_required
product_versions: [fedora-*]
decision_context: remote_required
subject_type: koji_build
rules:
  - !RemoteRule {required: true}
`;

const GATING_YAML = `--- !Policy
product_versions: [fedora-*]
decision_context: bodhi_update_push_stable
rules:
  - !PassingTestCaseRule {test_case_name: fedora-ci.koji-build.tier0.functional}
`;

type Decision = DecisionResponse & { message?: string };

async function startService(kojiUrl: string, gitBase: string): Promise<SluiceService> {
  const config = testConfig({
    gating: {
      policiesDir: policiesDir(POLICIES),
      // Short enough for the timeout tests, long enough that a loaded machine's answers are not taken for timeouts.
      koji: { url: kojiUrl, timeoutMs: 2000 },
      remoteRule: {
        urlTemplates: { '*': [`${gitBase}/{pkg_namespace}{pkg_name}/raw/{rev}/f/gating.yaml`] },
        fetchTimeoutMs: 2000,
        cacheTtlMs: 0,
      },
    },
  });
  return SluiceService.create({ config, log: silentLogger(), registry: testRegistry() });
}

async function decide(
  service: SluiceService,
  nvr: string,
  context = 'bodhi_update_push_stable',
): Promise<Decision> {
  const res = await service.http!.app.inject({
    method: 'POST',
    url: '/api/v1.0/decision',
    payload: {
      product_version: 'fedora-41',
      decision_context: context,
      subject_type: 'koji_build',
      subject_identifier: nvr,
    },
  });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json() as Decision;
  assert.equal(
    body.policies_satisfied,
    body.unsatisfied_requirements.length === 0,
    'satisfied exactly when nothing is unsatisfied',
  );
  return body;
}

/** Greenwave's FailedFetchRemoteRuleYaml.to_json, field for field. */
function failedFetch(nvr: string, sources: string[], error: string | RegExp) {
  return (req: Record<string, unknown> | undefined) => {
    assert.ok(req, 'a failed-fetch-gating-yaml requirement');
    const { error: said, ...rest } = req;
    assert.deepEqual(rest, {
      type: 'failed-fetch-gating-yaml',
      testcase: 'failed-fetch-gating-yaml',
      subject_type: 'koji_build',
      subject_identifier: nvr,
      scenario: null,
      sources,
    });
    if (typeof error === 'string') assert.equal(said, error);
    else assert.match(String(said), error);
  };
}

describe('!RemoteRule with the build source from Koji (POST /api/v1.0/decision)', () => {
  const hub = new KojiHubServer();
  const git = new GatingFileServer();
  let kojiUrl: string;
  let gitBase: string;
  let service: SluiceService;

  /** A build of a package of its own, known to Koji (source = its dist-git commit) unless `inKoji` is false; `file` served as its gating.yaml. */
  const build = (
    file: string | Served | null,
    opts: { inKoji?: boolean; namespace?: string; source?: 'source' | 'original_url' | 'none' } = {},
  ) => {
    const id = randomBytes(4).toString('hex');
    const pkg = `pkg-${id}`;
    const nvr = `${opts.namespace === 'containers' ? `${pkg}-container` : pkg}-1.0-1.fc41`;
    const rev = randomBytes(20).toString('hex');
    const ns = opts.namespace ?? 'rpms';
    const scm = `git+https://src.fedoraproject.org/${ns}/${opts.namespace === 'containers' ? `${pkg}-container` : pkg}.git#${rev}`;
    if (opts.inKoji !== false) {
      const how = opts.source ?? 'source';
      hub.builds.set(
        nvr,
        kojiBuild(
          nvr,
          how === 'source' ? scm : null,
          how === 'original_url' ? { source: { original_url: scm } } : null,
        ),
      );
    }
    const url = `${gitBase}/${ns}/${pkg}/raw/${rev}/f/gating.yaml`;
    if (file !== null)
      git.files.set(
        `/${ns}/${pkg}/raw/${rev}/f/gating.yaml`,
        typeof file === 'string' ? { status: 200, body: file } : file,
      );
    return { nvr, url, rev, scm };
  };
  const result = (nvr: string, testcase: string, outcome: string, data: Record<string, string> = {}) =>
    service.ctx.resultIntake.submit({ testcase, outcome, data: { item: nvr, type: 'koji_build', ...data } });

  before(async () => {
    kojiUrl = await hub.start();
    gitBase = await git.start();
    service = await startService(kojiUrl, gitBase);
  });
  beforeEach(() => (hub.mode = 'ok'));
  after(async () => {
    await service?.stop();
    await hub.stop();
    await git.stop();
  });

  test("gating file present: its rules apply, at the URL built from Koji's source", async () => {
    const b = build(GATING_YAML);
    const waiting = await decide(service, b.nvr);
    assert.equal(waiting.policies_satisfied, false);
    assert.equal(waiting.summary, 'Of 1 required test, 1 result missing');
    assert.deepEqual(waiting.satisfied_requirements, [
      {
        type: 'fetched-gating-yaml',
        testcase: 'fetched-gating-yaml',
        subject_type: 'koji_build',
        subject_identifier: b.nvr,
        source: b.url,
      },
    ]);
    assert.equal(waiting.unsatisfied_requirements[0]!.testcase, 'fedora-ci.koji-build.tier0.functional');
    assert.deepEqual(
      hub.calls.filter((c) => c.param === b.nvr),
      [{ method: 'getBuild', param: b.nvr }],
    );

    result(b.nvr, 'fedora-ci.koji-build.tier0.functional', 'PASSED');
    const passed = await decide(service, b.nvr);
    assert.equal(passed.policies_satisfied, true);
    assert.equal(passed.summary, 'All required tests (1 total) have passed or been waived');
    assert.deepEqual(
      passed.satisfied_requirements.map((r) => [r.type, r.source]),
      [
        ['fetched-gating-yaml', b.url],
        ['test-result-passed', b.url],
      ],
    );
  });

  test('gating file 404: no requirements from it (optional), missing-gating-yaml (required)', async () => {
    const b = build(null);
    const optional = await decide(service, b.nvr);
    assert.deepEqual(
      [optional.policies_satisfied, optional.summary, optional.unsatisfied_requirements],
      [true, 'No tests are required', []],
    );
    const required = await decide(service, b.nvr, 'remote_required');
    assert.equal(required.policies_satisfied, false);
    assert.deepEqual(required.unsatisfied_requirements, [
      {
        type: 'missing-gating-yaml',
        testcase: 'missing-gating-yaml',
        subject_type: 'koji_build',
        subject_identifier: b.nvr,
        scenario: null,
        sources: [b.url],
      },
    ]);
  });

  test('gating file 500: not satisfied, failed-fetch-gating-yaml naming the URL and the status', async () => {
    const b = build({ status: 500, body: 'Internal Server Error' });
    const d = await decide(service, b.nvr);
    assert.equal(d.policies_satisfied, false);
    assert.equal(d.summary, '1 error due to failed fetch of remote rule file');
    assert.equal(d.unsatisfied_requirements.length, 1);
    failedFetch(
      b.nvr,
      [b.url],
      `Error occurred while retrieving a remote rule file from the repo: HTTP 500 from ${b.url}`,
    )(d.unsatisfied_requirements[0]);
  });

  test('gating file timeout: not satisfied, failed-fetch-gating-yaml', async () => {
    const b = build({ status: 200, body: GATING_YAML, delayMs: 12000 });
    const started = Date.now();
    const d = await decide(service, b.nvr);
    assert.ok(Date.now() - started < 9000, 'answered after the fetch timeout, not the slow server');
    assert.equal(d.policies_satisfied, false);
    failedFetch(
      b.nvr,
      [b.url],
      `Error occurred while retrieving a remote rule file from the repo: no answer from ${b.url} within 2000 ms`,
    )(d.unsatisfied_requirements[0]);
  });

  test('Koji has no such build: not satisfied, Greenwave\'s "Koji build not found" (nothing fetched)', async () => {
    const b = build(GATING_YAML, { inKoji: false });
    const asked = git.requests.length;
    const d = await decide(service, b.nvr);
    assert.equal(d.policies_satisfied, false);
    assert.equal(d.summary, '1 error due to failed fetch of remote rule file');
    failedFetch(
      b.nvr,
      [],
      `Koji build not found for subject_type 'koji_build', subject_identifier '${b.nvr}'`,
    )(d.unsatisfied_requirements[0]);
    assert.equal(git.requests.length, asked, 'no gating file was asked for');
  });

  test('with Koji configured, Koji is asked, not a stored result that names a source', async () => {
    const b = build(GATING_YAML, { inKoji: false });
    result(b.nvr, 'fedora-ci.koji-build.tier0.functional', 'PASSED', { source: b.scm });
    const d = await decide(service, b.nvr);
    failedFetch(b.nvr, [], /^Koji build not found/)(d.unsatisfied_requirements[0]);
  });

  test('Koji offline (a fault): not satisfied, the fault in the error', async () => {
    const b = build(GATING_YAML);
    hub.mode = 'offline';
    const d = await decide(service, b.nvr);
    assert.equal(d.policies_satisfied, false);
    failedFetch(
      b.nvr,
      [],
      `Failed to get Koji build for "${b.nvr}": Server disabled for maintenance (code: 1014)`,
    )(d.unsatisfied_requirements[0]);
  });

  test('Koji not answering in time, or answering HTTP 500: not satisfied', async () => {
    const b = build(GATING_YAML);
    hub.mode = 'slow';
    failedFetch(
      b.nvr,
      [],
      /^Could not reach Koji: no answer from http:\/\/127\.0\.0\.1:\d+\/kojihub within 2000 ms$/,
    )((await decide(service, b.nvr)).unsatisfied_requirements[0]);
    hub.mode = 'http-500';
    failedFetch(
      b.nvr,
      [],
      /^Could not reach Koji: HTTP 500 from /,
    )((await decide(service, b.nvr)).unsatisfied_requirements[0]);
  });

  test('a failed fetch is not kept: once Koji answers, the same question gets the real answer', async () => {
    const b = build(GATING_YAML);
    result(b.nvr, 'fedora-ci.koji-build.tier0.functional', 'PASSED');
    hub.mode = 'offline';
    assert.equal(
      (await decide(service, b.nvr)).unsatisfied_requirements[0]!.type,
      'failed-fetch-gating-yaml',
    );
    hub.mode = 'ok';
    const d = await decide(service, b.nvr);
    assert.equal(d.policies_satisfied, true, d.summary);
    assert.equal(d.satisfied_requirements[1]!.type, 'test-result-passed');
  });

  test('a container build: extra.source.original_url, the -container suffix dropped (as Greenwave)', async () => {
    const b = build(GATING_YAML, { namespace: 'containers', source: 'original_url' });
    const d = await decide(service, b.nvr);
    assert.equal(d.satisfied_requirements[0]!.source, b.url);
    assert.match(b.url, /\/containers\/pkg-[0-9a-f]+\/raw\//);
  });

  test('a build Koji has without any source (an import): the template is skipped, as Greenwave does', async () => {
    const b = build(GATING_YAML, { source: 'none' });
    const d = await decide(service, b.nvr);
    assert.deepEqual([d.policies_satisfied, d.summary], [true, 'No tests are required']);
  });

  test('decision changes: a failed fetch is recomputed as not satisfied (announced, kept as the last decision), and the answer once dist-git is back as a change from it', async () => {
    const b = build(GATING_YAML);
    const states = new Map<string, StoredDecisionState>();
    const published: Array<{ topic: string; body: Record<string, unknown> }> = [];
    const changes = new DecisionChanges({
      decisions: service.ctx.gating.decisions,
      states: {
        get: (k: DecisionKey) => states.get(JSON.stringify(k)),
        put: (k: DecisionKey, d: StoredDecisionState) => void states.set(JSON.stringify(k), d),
      },
      publish: (topic, body) =>
        void published.push({ topic: topic.name, body: body as Record<string, unknown> }),
      knownProductVersions: () => [],
    });
    // Each step stores a (re-run's) passing result and handles its event as the gating-changes consumer does.
    const handle = async () => {
      const event = resultEvent(
        result(b.nvr, 'fedora-ci.koji-build.tier0.functional', 'PASSED'),
        service.ctx.gating.subjectTypes,
        ['QUEUED', 'RUNNING'],
      );
      changes.apply(event, await changes.plan(event));
    };
    const stable = () =>
      published
        .filter(
          (m) =>
            m.topic === 'greenwave.decision.update' && m.body.decision_context === 'bodhi_update_push_stable',
        )
        .map((m) => m.body);
    const kept = (): DecisionState =>
      JSON.parse(
        states.get(
          JSON.stringify({
            subjectType: 'koji_build',
            subjectIdentifier: b.nvr,
            context: 'bodhi_update_push_stable',
            productVersion: 'fedora-41',
          }),
        )!.json,
      );

    await handle();
    assert.equal(stable().length, 1);
    assert.equal(stable()[0]!.policies_satisfied, true, 'the passing result, with the gating.yaml fetched');

    // Koji's answer is kept (a build's source does not change); dist-git failing now is the failed fetch.
    const path = new URL(b.url).pathname;
    git.files.set(path, { status: 503, body: 'down for maintenance' });
    await handle();
    assert.equal(stable().length, 2);
    const down = stable()[1]!;
    assert.equal(down.policies_satisfied, false, 'could not fetch: not satisfied');
    assert.equal(down.summary, '1 error due to failed fetch of remote rule file');
    failedFetch(
      b.nvr,
      [b.url],
      /HTTP 503 from /,
    )((down.unsatisfied_requirements as Array<Record<string, unknown>>)[0]);
    assert.equal((down.previous as DecisionState).policies_satisfied, true);
    assert.equal(
      kept().policies_satisfied,
      false,
      'the decision kept as last evaluated is the unsatisfied one',
    );

    // Another event while dist-git is still down: nothing new to say.
    await handle();
    assert.equal(stable().length, 2);

    git.files.set(path, { status: 200, body: GATING_YAML });
    await handle();
    assert.equal(stable().length, 3);
    const back = stable()[2]!;
    assert.equal(back.policies_satisfied, true);
    assert.equal(
      (back.previous as DecisionState).unsatisfied_requirements[0]!.type,
      'failed-fetch-gating-yaml',
      'previous is the failed fetch announced before',
    );
    assert.equal(kept().policies_satisfied, true);
  });
});

test('Koji down (nobody listening): not satisfied, failed-fetch-gating-yaml "Could not reach Koji"', async () => {
  const port = await freePort();
  const git = new GatingFileServer();
  const gitBase = await git.start();
  const service = await startService(`http://127.0.0.1:${port}/kojihub`, gitBase);
  try {
    const d = await decide(service, 'bash-5.2.26-3.fc41');
    assert.equal(d.policies_satisfied, false);
    assert.equal(d.summary, '1 error due to failed fetch of remote rule file');
    failedFetch(
      'bash-5.2.26-3.fc41',
      [],
      new RegExp(`^Could not reach Koji: http://127\\.0\\.0\\.1:${port}/kojihub: ECONNREFUSED$`),
    )(d.unsatisfied_requirements[0]);
    assert.deepEqual(git.requests, [], 'no gating file was asked for');
  } finally {
    await service.stop();
    await git.stop();
  }
});

test('gating.koji: no Koji by default; a URL that is not http(s) or a timeout under 100 ms is refused, naming the field', () => {
  assert.deepEqual(testConfig().gating.koji, {
    url: null,
    timeoutMs: 15000,
    cacheSize: 10000,
    cacheTtlMs: 3600000,
  });
  assert.throws(
    () => testConfig({ gating: { koji: { url: 'koji.fedoraproject.org/kojihub' } } }),
    /gating\.koji\.url: must match pattern/,
  );
  assert.throws(
    () => testConfig({ gating: { koji: { url: 'https://koji.example.org/kojihub', timeoutMs: 5 } } }),
    /gating\.koji\.timeoutMs: must be >= 100/,
  );
});
