import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CiMessageError } from '../errors/ci-message-error.js';
import { mapCiMessage } from '../results/ci-message-mapping.js';
import { ARTIFACT_KINDS, ARTIFACTS, CONTACT, GENERATED_AT, RUN, STATES, SYSTEM, ciMessage, ciTopic } from './support/ci-messages.js';

const OUTCOME_BY_STATE = { queued: 'QUEUED', running: 'RUNNING', complete: 'PASSED', error: 'ERROR' } as const;

for (const kind of ARTIFACT_KINDS) {
  for (const state of STATES) {
    test(`ci.${kind}.test.${state} becomes a ${OUTCOME_BY_STATE[state]} result about ${ARTIFACTS[kind].item}`, () => {
      const result = mapCiMessage(ciTopic(kind, state), ciMessage(kind, state), 'msg-1');
      assert.deepEqual(result.testcase, { name: `fedora-ci.${kind}.tier0.functional`, ref_url: 'https://docs.fedoraproject.org/en-US/ci/tests/' });
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
      for (const key of ['source', 'component', 'issuer']) if (typeof artifact[key] === 'string') expected[key] = artifact[key] as string;
      // Only a finished test names the machine it ran on; only an error has a reason.
      if (state === 'complete') {
        Object.assign(expected, { system_architecture: 'x86_64', system_variant: 'Server', system_os: 'fedora-41', system_provider: 'openstack' });
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
    const result = mapCiMessage('ci.koji-build.test.complete', ciMessage('koji-build', 'complete', { testFields: { result: value } }), 'm');
    assert.equal(result.outcome, outcome, value);
  }
});

test("a test's note is the result's note; an error without one is noted with its reason", () => {
  const noted = mapCiMessage('ci.koji-build.test.error', ciMessage('koji-build', 'error', { testFields: { note: 'retried twice' } }), 'm');
  assert.equal(noted.note, 'retried twice');
  assert.equal(noted.data.error_reason, 'the test machine could not be provisioned');
  const failed = mapCiMessage('ci.koji-build.test.complete', ciMessage('koji-build', 'complete', { testFields: { result: 'failed', note: '3 of 120 tests failed' } }), 'm');
  assert.equal(failed.note, '3 of 120 tests failed');
  assert.equal(failed.data.error_reason, undefined);
});

test('a test without docs has a plain testcase name; without scenario or variant those keys are left out', () => {
  const body = ciMessage('koji-build', 'complete', { test: { namespace: 'osci.brew-build', type: 'rpminspect', category: 'static-analysis', result: 'info' } });
  body.system = [{ os: 'rhel-9', provider: 'beaker', architecture: 'aarch64' }];
  const result = mapCiMessage('ci.koji-build.test.complete', body, 'm');
  assert.equal(result.testcase, 'osci.brew-build.rpminspect.static-analysis');
  assert.equal(result.data.system_architecture, 'aarch64');
  assert.ok(!('scenario' in result.data));
  assert.ok(!('system_variant' in result.data));
});

test('a container image without an nvr is known by its first full name', () => {
  const { nvr: _nvr, ...artifact } = ARTIFACTS['container-image'].artifact;
  const result = mapCiMessage('ci.container-image.test.complete', ciMessage('container-image', 'complete', { artifact }), 'm');
  assert.equal(result.data.item, 'registry.fedoraproject.org/fedora-toolbox:41');
  assert.equal(result.data.type, 'redhat-container-image');
});

test('build events without a test block are filed under <ci>.<artifact>.build; a completed build passed', () => {
  for (const state of STATES) {
    const result = mapCiMessage(ciTopic('koji-build', state, 'build'), ciMessage('koji-build', state, { test: null }), 'm');
    assert.equal(result.testcase, 'fedora-ci.koji-build.build', state);
    assert.equal(result.outcome, state === 'complete' ? 'PASSED' : OUTCOME_BY_STATE[state]);
    assert.equal(result.data.item, 'bash-5.2.26-3.fc41');
  }
  const withTest = mapCiMessage('ci.koji-build.build.complete', ciMessage('koji-build', 'complete', { testFields: { result: 'failed' } }), 'm');
  assert.equal((withTest.testcase as { name: string }).name, 'fedora-ci.koji-build.tier0.functional');
  assert.equal(withTest.outcome, 'FAILED');
});

test('generated_at without a zone is UTC, as the specification says; an offset is kept', () => {
  const naive = mapCiMessage('ci.koji-build.test.queued', { ...ciMessage('koji-build', 'queued'), generated_at: '2025-01-02T03:04:05.678901' }, 'm');
  assert.equal(naive.submit_time, '2025-01-02T03:04:05.678901Z');
  const offset = mapCiMessage('ci.koji-build.test.queued', { ...ciMessage('koji-build', 'queued'), generated_at: '2025-01-02T05:04:05+02:00' }, 'm');
  assert.equal(offset.submit_time, '2025-01-02T05:04:05+02:00');
});

test('a topic that names another artifact than the body, or is not ci.<artifact>.<event>.<state>, cannot be mapped', () => {
  assert.throws(() => mapCiMessage('ci.brew-build.test.complete', ciMessage('koji-build', 'complete'), 'm'), (err: unknown) => {
    assert.ok(err instanceof CiMessageError);
    assert.equal(err.code, 'CI_MESSAGE_UNMAPPABLE');
    assert.match(err.message, /about a brew-build but the message's artifact.type is "koji-build"/);
    return true;
  });
  assert.throws(() => mapCiMessage('ci.koji-build.test.finished', ciMessage('koji-build', 'complete'), 'm'), CiMessageError);
  assert.throws(() => mapCiMessage('ci.koji-build.complete', ciMessage('koji-build', 'complete'), 'm'), CiMessageError);
});

test('the first system of several is the one recorded', () => {
  const body = ciMessage('productmd-compose', 'complete');
  body.system = [...SYSTEM, { os: 'fedora-41', provider: 'openstack', architecture: 'ppc64le' }];
  assert.equal(mapCiMessage('ci.productmd-compose.test.complete', body, 'm').data.system_architecture, 'x86_64');
});
