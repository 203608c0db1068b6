/**
 * Issue 15's closing test: one Fedora CI flow replayed end to end on a real RabbitMQ, with Sluice
 * set up as Fedora's Greenwave, ResultsDB and WaiverDB are: Fedora's topic prefixes, Fedora's
 * production policy (a !RemoteRule reading the package's gating.yaml from dist-git at the commit
 * Koji says the build came from), and waivers from OIDC-authenticated users. Everything is
 * checked where a user or a consumer sees it: Bodhi's decision request, the ResultsDB API, and
 * the messages on the broker.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import type { ConsumeMessage } from 'amqplib';
import type { StoredResult } from '../../results/result-json.js';
import type { WaiverJson } from '../../waivers/waiver-json.js';
import { serviceWithSubscriber } from '../support/amqp-harness.js';
import { requireBroker } from '../support/broker.js';
import { fixture } from '../support/fedora-ci-fixtures.js';
import { GatingFileServer } from '../support/gating-file-server.js';
import { KojiHubServer, kojiBuild } from '../support/koji-hub-server.js';
import { RESOURCES, SLUICE_AUDIENCE, startTestProvider } from '../support/oidc-test-provider.js';
import { policiesDir } from '../support/policies-dir.js';
import { testConfig } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

const FEDORA = 'org.fedoraproject.prod.';
const CENTOS = 'org.centos.prod.';

// The build of the fixtures (tests/fixtures/fedora-ci/koji-build.*), from its dist-git commit.
const NVR = 'python-urllib3-2.2.3-1.fc42';
const COMMIT = '9d2b1c5e4f7a8b6c3d0e1f2a3b4c5d6e7f8a9b0c';
const SOURCE = `git+https://src.fedoraproject.org/rpms/python-urllib3.git#${COMMIT}`;
const UPDATE = 'FEDORA-2026-4b1d7e9c3a';
const TIER0 = 'fedora-ci.koji-build.tier0.functional';
const CREATE_WAIVER = 'https://waiverdb.fedoraproject.org/oidc/create-waiver';

/**
 * Fedora's production Greenwave policy, fedora-infra/ansible
 * roles/openshift-apps/greenwave/templates/fedora.yaml.j2: the "null" policies that make every
 * Bodhi query for koji_build and bodhi_update subjects match something, the
 * kojibuild_bodhipush_remoterule policy with product_versions() rendered as the template does
 * with no Branched release (Rawhide, current, previous), and one of its openQA critical-path
 * policies (trimmed to two rules). Its long list of grouped critical-path contexts is cut to the
 * ungrouped ones.
 */
const FEDORA_POLICY = `--- !Policy
id: "kojibuild_bodhipush_no_requirements"
product_versions:
  - fedora-*
decision_contexts:
  - bodhi_update_push_testing
  - bodhi_update_push_testing_critpath
  - bodhi_update_push_stable
  - bodhi_update_push_stable_critpath
subject_type: koji_build
rules: []

--- !Policy
id: "bodhiupdate_bodhipush_no_requirements"
product_versions:
  - fedora-*
decision_contexts:
  - bodhi_update_push_testing
  - bodhi_update_push_testing_critpath
  - bodhi_update_push_stable
  - bodhi_update_push_stable_critpath
subject_type: bodhi_update
rules: []

--- !Policy
id: "kojibuild_bodhipush_remoterule"
product_versions:
  - fedora-44
  - fedora-43
  - fedora-42
decision_contexts:
  - bodhi_update_push_testing
  - bodhi_update_push_testing_critpath
  - bodhi_update_push_stable
  - bodhi_update_push_stable_critpath
subject_type: koji_build
rules:
  - !RemoteRule {}

--- !Policy
id: "bodhiupdate_bodhipush_openqa_workstation"
product_versions:
  - fedora-44
  - fedora-43
  - fedora-42
decision_contexts:
  - bodhi_update_push_testing_critpath
  - bodhi_update_push_stable_critpath
subject_type: bodhi_update
rules:
  - !PassingTestCaseRule {test_case_name: update.base_selinux, scenario: "fedora.updates-workstation.x86_64.64bit"}
  - !PassingTestCaseRule {test_case_name: update.desktop_browser, scenario: "fedora.updates-workstation.x86_64.64bit"}
`;

/** The package's gating.yaml: both gates of https://docs.fedoraproject.org/en-US/ci/gating/, concatenated as it says. */
const GATING_YAML = `--- !Policy
product_versions:
  - fedora-*
decision_contexts: [bodhi_update_push_testing]
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: ${TIER0}}
--- !Policy
product_versions:
  - fedora-*
decision_contexts: [bodhi_update_push_stable]
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: ${TIER0}}
`;

/**
 * What fedora-ci/dist-git-pipeline (the tier0 pipeline; its Jenkinsfile's pipelineMetadata:
 * pipelineName dist-git, testType tier0, testCategory functional, docs
 * https://github.com/fedora-ci/dist-git-pipeline) sends through the pipeline library: the
 * library's koji-build messages (the fixtures) filled with that metadata as the builder fills
 * the scratch-build pipeline's. generated_at is the send time (MessageBuilder.groovy), so each
 * state gets its own.
 */
function tier0Message(state: 'queued' | 'running' | 'complete', generatedAt: string, result?: 'failed') {
  const f = fixture(`koji-build.test.${state}`);
  const body = JSON.parse(
    JSON.stringify(f.body).replaceAll('scratch-build-pipeline', 'dist-git-pipeline'),
  ) as Record<string, Record<string, unknown>> & { generated_at: string };
  const docs = 'https://github.com/fedora-ci/dist-git-pipeline';
  body.contact = { ...body.contact, name: 'dist-git', docs };
  body.pipeline = { ...body.pipeline, name: 'dist-git' };
  const { note: _note, xunit_urls: _xunit, ...rest } = body.test!;
  body.test = { ...rest, type: 'tier0', category: 'functional', docs, ...(result ? { result } : {}) };
  delete (body as Record<string, unknown>).note;
  body.generated_at = generatedAt;
  return { topic: f.topic, body };
}

interface Received {
  routingKey: string;
  messageId: string;
  body: Record<string, unknown>;
  headers: Record<string, unknown>;
}

type Req = Record<string, unknown>;
interface Decision {
  policies_satisfied: boolean;
  summary: string;
  satisfied_requirements: Req[];
  unsatisfied_requirements: Req[];
  applicable_policies: string[];
}

test('a Fedora CI flow on RabbitMQ: Bodhi sees the build missing, waiting, failing, then waived; every change is announced as Greenwave does, with fedora-messaging headers', {
  timeout: 120_000,
}, async (t: TestContext) => {
  const url = requireBroker(t);
  if (!url) return;

  // Koji and dist-git on loopback: Koji knows the build by its NVR and names its commit.
  const koji = new KojiHubServer();
  const kojiUrl = await koji.start();
  t.after(() => koji.stop());
  koji.builds.set(NVR, kojiBuild(NVR, SOURCE));
  const distGit = new GatingFileServer();
  const distGitBase = await distGit.start();
  t.after(() => distGit.stop());
  const gatingPath = `/rpms/python-urllib3/raw/${COMMIT}/f/gating.yaml`;
  distGit.files.set(gatingPath, { status: 200, body: GATING_YAML });
  const gatingUrl = distGitBase + gatingPath;
  const provider = await startTestProvider();
  t.after(() => provider.close());

  // Fedora's broker publishes on amq.topic; a topic exchange of this test's own keeps Fedora's
  // exact prefixes from meeting another test's messages on the shared test broker.
  const exchange = `t${randomBytes(4).toString('hex')}.fedora`;
  const config = testConfig(
    {
      bus: { exchange, topicPrefix: FEDORA, consumePrefixes: [CENTOS] },
      gating: {
        policiesDir: policiesDir(FEDORA_POLICY),
        koji: { url: kojiUrl },
        // Greenwave's DIST_GIT_URL_TEMPLATE in Fedora (roles/openshift-apps/greenwave/templates/settings.py), on loopback.
        remoteRule: {
          urlTemplates: { '*': [`${distGitBase}/{pkg_namespace}{pkg_name}/raw/{rev}/f/gating.yaml`] },
        },
      },
      // Fedora's WaiverDB (roles/openshift-apps/waiverdb/templates/settings.py): OIDC, the
      // create-waiver scope required, no permission mapping, Bodhi its one superuser.
      auth: {
        oidc: {
          issuer: provider.issuer,
          audience: SLUICE_AUDIENCE,
          requiredScope: CREATE_WAIVER,
          userClaim: 'preferred_username',
          groupsClaim: 'realm_access.roles',
        },
      },
      waivers: { superusers: ['bodhi@service'] },
    },
    { amqpUrl: url },
  );
  // A subscriber as Bodhi and the other Fedora consumers are: bound to Greenwave's, WaiverDB's and ResultsDB's topics.
  const bindings = ['greenwave.decision.update', 'waiverdb.waiver.new', 'resultsdb.result.new'].map(
    (topic) => FEDORA + topic,
  );
  const {
    service,
    base,
    connection: conn,
    channel: sub,
    queue,
  } = await serviceWithSubscriber(t, config, bindings);
  const received: Received[] = [];
  await sub.consume(
    queue,
    (m: ConsumeMessage | null) => {
      if (!m) return;
      received.push({
        routingKey: m.fields.routingKey,
        messageId: String(m.properties.messageId),
        body: JSON.parse(m.content.toString('utf8')) as Record<string, unknown>,
        headers: (m.properties.headers ?? {}) as Record<string, unknown>,
      });
    },
    { noAck: true },
  );
  const on = (topic: string) => received.filter((m) => m.routingKey === FEDORA + topic);
  const decisionUpdates = () =>
    on('greenwave.decision.update').filter((m) => m.body.subject_identifier === NVR);

  // Fedora CI's side: the pipeline publishes straight to the broker under the Fedora prefix.
  const pub = await conn.createConfirmChannel();
  const publish = async (topic: string, body: unknown) => {
    pub.publish(exchange, FEDORA + topic, Buffer.from(JSON.stringify(body)), {
      messageId: randomBytes(16).toString('hex'),
      persistent: true,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
    });
    await pub.waitForConfirms();
  };

  // Bodhi's question for an update in testing (bodhi/server/models.py, Update._get_test_gating_status:
  // greenwave_request_batches(verbose=False), its subject the builds then the update itself).
  const bodhiAsks = async (): Promise<Decision> => {
    const res = await fetch(`${base}/api/v1.0/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        product_version: 'fedora-42',
        decision_context: 'bodhi_update_push_stable',
        subject: [
          { item: NVR, type: 'koji_build' },
          { item: UPDATE, type: 'bodhi_update' },
        ],
        verbose: false,
      }),
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    // Greenwave's answer, plus the link to the first subject's page (which Bodhi ignores).
    const { dashboard_url, ...answer } = JSON.parse(text) as Decision & { dashboard_url: string };
    assert.equal(dashboard_url, `${base}/subjects/koji_build/${encodeURIComponent(NVR)}`);
    return answer;
  };
  const tier0Results = async (): Promise<StoredResult[]> => {
    const res = await fetch(
      `${base}/api/v2.0/results?${new URLSearchParams({ item: NVR, testcases: TIER0 })}`,
    );
    assert.equal(res.status, 200);
    return ((await res.json()) as { data: StoredResult[] }).data;
  };
  const stored = (outcome: string) =>
    waitFor(`the ${outcome} result stored`, async () =>
      (await tier0Results()).find((r) => r.outcome === outcome),
    );

  const head = { testcase: TIER0, subject_type: 'koji_build', subject_identifier: NVR };
  const item = { type: 'koji_build', item: NVR };
  const fetched = {
    type: 'fetched-gating-yaml',
    testcase: 'fetched-gating-yaml',
    subject_type: 'koji_build',
    subject_identifier: NVR,
    source: gatingUrl,
  };
  const resultFields = (r: StoredResult) => ({
    result_id: r.id,
    scenario: null,
    system_architecture: null,
    system_variant: null,
  });
  // Subject by subject, as Greenwave's Decision.check collects them (greenwave/decision.py): the build's, then the update's.
  const applicable = [
    'kojibuild_bodhipush_no_requirements',
    'kojibuild_bodhipush_remoterule',
    'bodhiupdate_bodhipush_no_requirements',
  ];

  // 1. Nothing has run yet: the build's required test is missing. Not "No tests are required".
  const missing: Decision = {
    policies_satisfied: false,
    summary: 'Of 1 required test, 1 result missing',
    satisfied_requirements: [fetched],
    unsatisfied_requirements: [
      { type: 'test-result-missing', ...head, scenario: null, source: gatingUrl, item },
    ],
    applicable_policies: applicable,
  };
  assert.deepEqual(await bodhiAsks(), missing);
  assert.deepEqual(koji.calls, [{ method: 'getBuild', param: NVR }], 'the build source came from Koji');
  assert.ok(
    distGit.requests.every((p) => p === gatingPath) && distGit.requests.length > 0,
    JSON.stringify(distGit.requests),
  );

  // 2. The pipeline queues the test, then runs it: the test is incomplete, still a missing result to Bodhi.
  const queuedMsg = tier0Message('queued', '2026-12-05T21:14:03.512940271Z');
  assert.equal(queuedMsg.topic, 'ci.koji-build.test.queued');
  await publish(queuedMsg.topic, queuedMsg.body);
  const queued = await stored('QUEUED');
  assert.equal(queued.submit_time, '2026-12-05T21:14:03.512940');
  assert.deepEqual(queued.data.msg_topic, [`${FEDORA}ci.koji-build.test.queued`]);
  const incomplete = (r: StoredResult): Decision => ({
    policies_satisfied: false,
    summary: 'Of 1 required test, 1 test incomplete',
    satisfied_requirements: [fetched],
    unsatisfied_requirements: [
      { type: 'test-result-missing', ...head, source: gatingUrl, item, ...resultFields(r) },
    ],
    applicable_policies: applicable,
  });
  assert.deepEqual(await bodhiAsks(), incomplete(queued));

  const runningMsg = tier0Message('running', '2026-12-05T21:15:47.004113902Z');
  await publish(runningMsg.topic, runningMsg.body);
  const running = await stored('RUNNING');
  assert.deepEqual(await bodhiAsks(), incomplete(running));

  // 3. The test fails: the update may not go stable.
  const failedMsg = tier0Message('complete', '2026-12-05T21:52:40.118202884Z', 'failed');
  await publish(failedMsg.topic, failedMsg.body);
  const failed = await stored('FAILED');
  assert.equal(
    failed.ref_url,
    'https://osci-jenkins-1.ci.fedoraproject.org/job/fedora-ci/job/dist-git-pipeline/job/master/417/',
  );
  const failing: Decision = {
    policies_satisfied: false,
    summary: 'Of 1 required test, 1 test failed',
    satisfied_requirements: [fetched],
    unsatisfied_requirements: [
      { type: 'test-result-failed', ...head, source: gatingUrl, item, ...resultFields(failed) },
    ],
    applicable_policies: applicable,
  };
  assert.deepEqual(await bodhiAsks(), failing);

  // The failure changed the testing and the stable decision of fedora-42 (the build's dist tag);
  // QUEUED and RUNNING announced nothing (Greenwave's OUTCOMES_INCOMPLETE), so each `previous` is
  // the decision just before the failure's submit time: the RUNNING test.
  const afterFailure = await waitFor('the decision changes of the failure', () =>
    decisionUpdates().length >= 2 ? decisionUpdates() : undefined,
  );
  const koji42 = {
    subject_type: 'koji_build',
    subject_identifier: NVR,
    subject: [item],
    product_version: 'fedora-42',
    testcase: TIER0,
  };
  const stateOf = (d: Decision): Decision => ({
    ...d,
    applicable_policies: ['kojibuild_bodhipush_no_requirements', 'kojibuild_bodhipush_remoterule'],
  });
  const byContext = (msgs: Received[]) =>
    new Map(msgs.map((m) => [m.body.decision_context as string, m.body]));
  const failureMsgs = byContext(afterFailure);
  assert.deepEqual([...failureMsgs.keys()].sort(), ['bodhi_update_push_stable', 'bodhi_update_push_testing']);
  for (const context of ['bodhi_update_push_stable', 'bodhi_update_push_testing']) {
    assert.deepEqual(
      failureMsgs.get(context),
      { ...koji42, decision_context: context, ...stateOf(failing), previous: stateOf(incomplete(running)) },
      context,
    );
  }

  // 4. Without a token, no waiver: the gate stays shut.
  const waiverBody = [
    {
      subject_identifier: NVR,
      subject_type: 'koji_build',
      testcase: TIER0,
      waived: true,
      scenario: null,
      product_version: 'fedora-42',
      comment: 'urllib3 2.2.3 test suite needs network; known infra issue',
      username: null,
    },
  ];
  const anonymous = await fetch(`${base}/api/v1.0/waivers/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(waiverBody),
  });
  assert.equal(anonymous.status, 401, await anonymous.text());
  assert.deepEqual(await bodhiAsks(), failing);

  // 5. A packager waives the failure with waiverdb-cli's request (waiverdb/cli.py, sent by
  // python-openidc-client with the access token as a bearer token): the update may go stable.
  const token = await provider.token('bob', RESOURCES.sluice, CREATE_WAIVER);
  const created = await fetch(`${base}/api/v1.0/waivers/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      'user-agent': 'waiverdb-cli 1.4.0',
    },
    body: JSON.stringify(waiverBody),
  });
  const createdText = await created.text();
  assert.equal(created.status, 201, createdText);
  const [waiver] = JSON.parse(createdText) as WaiverJson[];
  assert.equal(waiver!.username, 'bob');
  assert.equal(waiver!.proxied_by, null);
  const waived: Decision = {
    policies_satisfied: true,
    summary: 'All required tests (1 total) have passed or been waived',
    satisfied_requirements: [
      fetched,
      {
        type: 'test-result-failed-waived',
        ...head,
        source: gatingUrl,
        ...resultFields(failed),
        waiver_id: waiver!.id,
      },
    ],
    unsatisfied_requirements: [],
    applicable_policies: applicable,
  };
  assert.deepEqual(await bodhiAsks(), waived);

  const all = await waitFor('the decision changes of the waiver', () =>
    decisionUpdates().length >= 4 ? decisionUpdates() : undefined,
  );
  const waiverMsgs = byContext(all.slice(2));
  assert.deepEqual([...waiverMsgs.keys()].sort(), ['bodhi_update_push_stable', 'bodhi_update_push_testing']);
  for (const context of ['bodhi_update_push_stable', 'bodhi_update_push_testing']) {
    // `previous` is exactly what the message before announced.
    const {
      subject_type: _a,
      subject_identifier: _b,
      subject: _c,
      decision_context: _d,
      product_version: _e,
      testcase: _f,
      previous: _g,
      ...announced
    } = failureMsgs.get(context)!;
    assert.deepEqual(
      waiverMsgs.get(context),
      { ...koji42, decision_context: context, ...stateOf(waived), previous: announced },
      context,
    );
  }

  // What went out on the broker: each result and the waiver announced once, as the APIs print
  // them, and every message under Fedora's prefix with fedora-messaging's headers.
  const [waiverNew] = await waitFor('waiverdb.waiver.new', () =>
    on('waiverdb.waiver.new').length ? on('waiverdb.waiver.new') : undefined,
  );
  assert.deepEqual(waiverNew!.body, waiver as unknown as Record<string, unknown>);
  const resultsNew = await waitFor('three resultsdb.result.new', () =>
    on('resultsdb.result.new').length >= 3 ? on('resultsdb.result.new') : undefined,
  );
  assert.deepEqual(
    resultsNew.map((m) => [m.body.id, m.body.outcome]),
    [queued, running, failed].map((r) => [r.id, r.outcome]),
  );
  assert.deepEqual(resultsNew.at(-1)!.body, failed as unknown as Record<string, unknown>);
  assert.equal(on('waiverdb.waiver.new').length, 1);
  assert.equal(decisionUpdates().length, 4);
  assert.equal(received.length, 8, JSON.stringify(received.map((m) => m.routingKey)));
  for (const m of received) {
    assert.ok(m.routingKey.startsWith(FEDORA), m.routingKey);
    const h = m.headers;
    assert.equal(h.fedora_messaging_schema, 'base.message', m.routingKey);
    assert.equal(h.fedora_messaging_severity, 20, m.routingKey);
    assert.equal(h.priority, 0, m.routingKey);
    assert.match(String(h['sent-at']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/, m.routingKey);
  }
  assert.equal(
    new Set(received.map((m) => m.messageId)).size,
    received.length,
    'every message has an id of its own',
  );
  assert.deepEqual(await service.ctx.bus.listDeadLetters(), []);
});
