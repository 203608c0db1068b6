import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CiMessageError } from '../../errors/ci-message-error.js';
import { ciMessageSkipReason, mapCiMessage } from '../../results/ci-message-mapping.js';
import {
  ARTIFACT_KINDS,
  ARTIFACTS,
  CONTACT,
  GENERATED_AT,
  RUN,
  STATES,
  SYSTEM,
  ciMessage,
  ciTopic,
} from '../support/ci-messages.js';
import { FEDORA_CI_FIXTURES, fixture } from '../support/fedora-ci-fixtures.js';

const OUTCOME_BY_STATE = {
  queued: 'QUEUED',
  running: 'RUNNING',
  complete: 'PASSED',
  error: 'ERROR',
} as const;

for (const kind of ARTIFACT_KINDS) {
  for (const state of STATES) {
    test(`ci.${kind}.test.${state} becomes a ${OUTCOME_BY_STATE[state]} result about ${ARTIFACTS[kind].item}`, () => {
      const result = mapCiMessage(ciTopic(kind, state), ciMessage(kind, state), 'msg-1');
      assert.deepEqual(result.testcase, {
        name: `fedora-ci.${kind}.tier0.functional`,
        ref_url: 'https://docs.fedoraproject.org/en-US/ci/tests/',
      });
      assert.equal(result.outcome, OUTCOME_BY_STATE[state]);
      assert.equal(result.ref_url, RUN.url);
      assert.equal(result.submit_time, GENERATED_AT);
      const expected: Record<string, string> = {
        item: ARTIFACTS[kind].item,
        type: ARTIFACTS[kind].type,
        scenario: 'fedora-41-x86_64',
        category: 'functional',
        ci_name: CONTACT.name,
        ci_team: CONTACT.team,
        ci_email: CONTACT.email,
        ci_url: CONTACT.url,
        ci_irc: CONTACT.irc,
        log: RUN.log,
        pipeline_id: `pipeline-${kind}-${state}`,
        run_url: RUN.url,
        msg_id: 'msg-1',
        msg_topic: ciTopic(kind, state),
      };
      // What the artifact says of its source, component and issuer is kept as the listener keeps it.
      const artifact = ARTIFACTS[kind].artifact;
      for (const key of ['source', 'component', 'issuer'])
        if (typeof artifact[key] === 'string') expected[key] = artifact[key] as string;
      // Only a finished test names the machine it ran on; only an error has a reason.
      if (state === 'complete') {
        Object.assign(expected, {
          system_architecture: 'x86_64',
          system_variant: 'Server',
          system_os: 'fedora-41',
          system_provider: 'openstack',
        });
      }
      if (state === 'error') {
        expected.error_reason = 'the test machine could not be provisioned';
        expected.issue_url = 'https://pagure.io/fedora-ci/general/issue/1';
      }
      assert.deepEqual(result.data, expected);
      assert.equal(result.note, state === 'error' ? 'the test machine could not be provisioned' : undefined);
    });
  }
}

test('every test result of the specification becomes its upper-cased outcome, not_applicable included', () => {
  for (const [value, outcome] of [
    ['passed', 'PASSED'],
    ['failed', 'FAILED'],
    ['info', 'INFO'],
    ['needs_inspection', 'NEEDS_INSPECTION'],
    ['not_applicable', 'NOT_APPLICABLE'],
  ]) {
    const result = mapCiMessage(
      'ci.koji-build.test.complete',
      ciMessage('koji-build', 'complete', { testFields: { result: value } }),
      'm',
    );
    assert.equal(result.outcome, outcome, value);
  }
});

test("a test's note is the result's note; an error without one is noted with its reason", () => {
  const noted = mapCiMessage(
    'ci.koji-build.test.error',
    ciMessage('koji-build', 'error', { testFields: { note: 'retried twice' } }),
    'm',
  );
  assert.equal(noted.note, 'retried twice');
  assert.equal(noted.data.error_reason, 'the test machine could not be provisioned');
  const failed = mapCiMessage(
    'ci.koji-build.test.complete',
    ciMessage('koji-build', 'complete', { testFields: { result: 'failed', note: '3 of 120 tests failed' } }),
    'm',
  );
  assert.equal(failed.note, '3 of 120 tests failed');
  assert.equal(failed.data.error_reason, undefined);
});

test('a test without docs has a plain testcase name; without scenario or variant those keys are left out', () => {
  const body = ciMessage('koji-build', 'complete', {
    test: { namespace: 'osci.brew-build', type: 'rpminspect', category: 'static-analysis', result: 'info' },
  });
  body.system = [{ os: 'rhel-9', provider: 'beaker', architecture: 'aarch64' }];
  const result = mapCiMessage('ci.koji-build.test.complete', body, 'm');
  assert.equal(result.testcase, 'osci.brew-build.rpminspect.static-analysis');
  assert.equal(result.data.system_architecture, 'aarch64');
  assert.ok(!('scenario' in result.data));
  assert.ok(!('system_variant' in result.data));
});

test('a container image without an nvr is known by its first full name', () => {
  const { nvr: _nvr, ...artifact } = ARTIFACTS['container-image'].artifact;
  const result = mapCiMessage(
    'ci.container-image.test.complete',
    ciMessage('container-image', 'complete', { artifact }),
    'm',
  );
  assert.equal(result.data.item, 'registry.fedoraproject.org/fedora-toolbox:41');
  assert.equal(result.data.type, 'redhat-container-image');
});

test('build events without a test block are filed under <ci>.<artifact>.build; a completed build passed', () => {
  for (const state of STATES) {
    const result = mapCiMessage(
      ciTopic('koji-build', state, 'build'),
      ciMessage('koji-build', state, { test: null }),
      'm',
    );
    assert.equal(result.testcase, 'fedora-ci.koji-build.build', state);
    assert.equal(result.outcome, state === 'complete' ? 'PASSED' : OUTCOME_BY_STATE[state]);
    assert.equal(result.data.item, 'bash-5.2.26-3.fc41');
  }
  const withTest = mapCiMessage(
    'ci.koji-build.build.complete',
    ciMessage('koji-build', 'complete', { testFields: { result: 'failed' } }),
    'm',
  );
  assert.equal((withTest.testcase as { name: string }).name, 'fedora-ci.koji-build.tier0.functional');
  assert.equal(withTest.outcome, 'FAILED');
});

test('generated_at without a zone is UTC, as the specification says; an offset is kept', () => {
  const naive = mapCiMessage(
    'ci.koji-build.test.queued',
    { ...ciMessage('koji-build', 'queued'), generated_at: '2025-01-02T03:04:05.678901' },
    'm',
  );
  assert.equal(naive.submit_time, '2025-01-02T03:04:05.678901Z');
  const offset = mapCiMessage(
    'ci.koji-build.test.queued',
    { ...ciMessage('koji-build', 'queued'), generated_at: '2025-01-02T05:04:05+02:00' },
    'm',
  );
  assert.equal(offset.submit_time, '2025-01-02T05:04:05+02:00');
});

test('a topic that names another artifact than the body, or is not ci.<artifact>.<event>.<state>, cannot be mapped', () => {
  assert.throws(
    () => mapCiMessage('ci.brew-build.test.complete', ciMessage('koji-build', 'complete'), 'm'),
    (err: unknown) => {
      assert.ok(err instanceof CiMessageError);
      assert.equal(err.code, 'CI_MESSAGE_UNMAPPABLE');
      assert.match(err.message, /about a brew-build but the message's artifact.type is "koji-build"/);
      return true;
    },
  );
  assert.throws(
    () => mapCiMessage('ci.koji-build.test.finished', ciMessage('koji-build', 'complete'), 'm'),
    CiMessageError,
  );
  assert.throws(
    () => mapCiMessage('ci.koji-build.complete', ciMessage('koji-build', 'complete'), 'm'),
    CiMessageError,
  );
});

test('the first system of several is the one recorded', () => {
  const body = ciMessage('productmd-compose', 'complete');
  body.system = [...SYSTEM, { os: 'fedora-41', provider: 'openstack', architecture: 'ppc64le' }];
  assert.equal(
    mapCiMessage('ci.productmd-compose.test.complete', body, 'm').data.system_architecture,
    'x86_64',
  );
});

// Bodies in the exact shapes Fedora CI's producers send (tests/support/fedora-ci-fixtures.ts names the upstream file of each).
const OUTCOME_OF = { queued: 'QUEUED', running: 'RUNNING', error: 'ERROR' } as const;

test('every message Fedora CI sends becomes the result the ResultsDB listener makes of it, or none when it makes none', () => {
  for (const f of FEDORA_CI_FIXTURES) {
    if (f.expected === null) {
      assert.equal(ciMessageSkipReason(f.topic), 'no-mapping', f.name);
      continue;
    }
    assert.equal(ciMessageSkipReason(f.topic), undefined, f.name);
    const result = mapCiMessage(f.topic, f.body, 'm', 'org.centos.prod.');
    const name = typeof result.testcase === 'string' ? result.testcase : result.testcase.name;
    assert.equal(name, f.expected.testcase, f.name);
    assert.equal(result.data.item, f.expected.item, f.name);
    assert.equal(result.data.type, f.expected.type, f.name);
    const test = f.body.test as { result?: string };
    assert.equal(
      result.outcome,
      f.state === 'complete' ? test.result!.toUpperCase() : OUTCOME_OF[f.state],
      f.name,
    );
    assert.equal(result.data.msg_topic, `org.centos.prod.${f.topic}`, f.name);
    assert.equal(result.ref_url, (f.body.run as { url: string }).url, f.name);
  }
});

test("a scenario the pipeline library appends to the category is the result's scenario, not part of the testcase", () => {
  // RpmBuildMessageBuilder.groovy: category += "/scenario=${scenario}" (OSCI-2612).
  const f = fixture('koji-build.test.complete');
  const result = mapCiMessage(f.topic, f.body, 'm');
  assert.deepEqual(result.testcase, {
    name: 'fedora-ci.koji-build.scratch-build.validation',
    ref_url: 'https://github.com/fedora-ci/scratch-build-test',
  });
  assert.equal(result.data.scenario, 'python-requests');
  assert.equal(result.data.category, 'validation');
  assert.equal(result.outcome, 'PASSED');
  assert.equal(result.note, 'python-requests-2.32.3-4.fc42 rebuilt');
  // Instant.toString() has nanoseconds; kept as sent.
  assert.equal(result.submit_time, '2026-12-05T21:52:40.118202884Z');
  // With no system ([]), no system keys.
  assert.ok(!Object.keys(result.data).some((k) => k.startsWith('system_')));
});

test("a koji-build result keeps the artifact's source, which Greenwave's RemoteRule needs, and the keys the listener keeps", () => {
  const f = fixture('koji-build.test.error');
  const result = mapCiMessage(f.topic, f.body, 'msg-9', 'org.fedoraproject.prod.');
  assert.deepEqual(result.data, {
    item: 'python-urllib3-2.2.3-1.fc42',
    type: 'koji_build',
    scenario: 'python-requests',
    category: 'validation',
    ci_name: 'scratch-build',
    ci_team: 'Fedora CI',
    ci_email: 'ci@lists.fedoraproject.org',
    ci_irc: '#fedora-ci',
    source:
      'git+https://src.fedoraproject.org/rpms/python-urllib3.git#9d2b1c5e4f7a8b6c3d0e1f2a3b4c5d6e7f8a9b0c',
    component: 'python-urllib3',
    issuer: 'jdoe',
    log: 'https://osci-jenkins-1.ci.fedoraproject.org/job/fedora-ci/job/scratch-build-pipeline/job/master/417/console',
    rebuild:
      'https://osci-jenkins-1.ci.fedoraproject.org/job/fedora-ci/job/scratch-build-pipeline/job/master/417/rebuild',
    pipeline_id: (f.body.pipeline as { id: string }).id,
    run_url:
      'https://osci-jenkins-1.ci.fedoraproject.org/job/fedora-ci/job/scratch-build-pipeline/job/master/417/',
    error_reason: 'Infrastructure Failure',
    msg_id: 'msg-9',
    msg_topic: 'org.fedoraproject.prod.ci.koji-build.test.error',
  });
  assert.equal(result.outcome, 'ERROR', 'an error is ERROR, whatever test.result the library sets');
  assert.equal(result.note, 'Infrastructure Failure');
});

test("a fedora-update result is about the update's alias, not the sha256 the library sends as id", () => {
  for (const name of [
    'fedora-update.test.queued',
    'fedora-update.test.complete',
    'fedora-update.test.error',
  ]) {
    const f = fixture(name);
    assert.match(String((f.body.artifact as { id: string }).id), /^sha256:/);
    const result = mapCiMessage(f.topic, f.body, 'm');
    assert.equal(result.data.item, 'FEDORA-2026-7c1e4a9b2d', name);
    assert.equal(result.data.type, 'bodhi_update', name);
  }
  // The error template never fills artifact.type; the topic says what it is.
  assert.equal((fixture('fedora-update.test.error').body.artifact as { type: string }).type, '');
  // Senders that put the alias in id are understood too; a digest alone names no update.
  const byId = fixture('fedora-update.test.complete');
  const artifact = byId.body.artifact as Record<string, unknown>;
  delete artifact.alias;
  artifact.id = 'FEDORA-2026-7c1e4a9b2d';
  assert.equal(mapCiMessage(byId.topic, byId.body, 'm').data.item, 'FEDORA-2026-7c1e4a9b2d');
  artifact.id = 'sha256:0123';
  assert.throws(
    () => mapCiMessage(byId.topic, byId.body, 'm'),
    /needs artifact.alias, or an artifact.id that is the update's alias/,
  );
  artifact.type = '';
  assert.throws(() => mapCiMessage(byId.topic, byId.body, 'm'), CiMessageError);
});

test('messages under ci. that make no result say why: another kind of topic, or an artifact with no item type', () => {
  assert.equal(ciMessageSkipReason('ci.dist-git-pr.test.complete'), 'no-mapping');
  assert.equal(ciMessageSkipReason('ci.brew-build-group.test.complete'), 'no-mapping');
  assert.equal(ciMessageSkipReason('ci.pipeline.allpackages-build.package.running'), 'other-topic');
  assert.equal(ciMessageSkipReason('ci.koji-build.test.finished'), 'other-topic');
  for (const kind of ARTIFACT_KINDS)
    for (const state of STATES) assert.equal(ciMessageSkipReason(ciTopic(kind, state)), undefined);
});

test('the compose and container-image examples map to their compose id and repository@digest', () => {
  const compose = mapCiMessage(
    'ci.productmd-compose.test.complete',
    fixture('productmd-compose.test.complete').body,
    'm',
  );
  assert.equal(compose.data.item, 'RHEL-X.0-20200512.1');
  assert.equal(compose.data.scenario, 'BaseOS x86_64');
  assert.equal(compose.data.system_variant, 'BaseOS');
  assert.ok(!('system_os' in compose.data));
  assert.ok(!('pipeline_id' in compose.data), 'a 0.2 message has no pipeline');
  assert.equal(compose.submit_time, '2020-05-12T10:47:32+0000');
});

test('recipients a message names for notification are kept as a list; an empty list is left out', () => {
  const f = fixture('pull-request.test.complete');
  assert.deepEqual((f.body.notification as { recipients: unknown }).recipients, []);
  const body = ciMessage('koji-build', 'complete');
  body.notification = { recipients: ['jdoe', 'ci-team'] };
  assert.deepEqual(mapCiMessage('ci.koji-build.test.complete', body, 'm').data.recipients, [
    'jdoe',
    'ci-team',
  ]);
  body.notification = { recipients: [] };
  assert.ok(!('recipients' in mapCiMessage('ci.koji-build.test.complete', body, 'm').data));
});
