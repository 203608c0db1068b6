import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DecisionState, Requirement } from '../../gating/decision-update-message.js';
import { sameDecision } from '../../gating/same-decision.js';
import { guessProductVersions, subjectProductVersions } from '../../gating/product-versions.js';
import { resultSubjects } from '../../gating/result-subjects.js';
import { SubjectTypes } from '../../gating/subject-types.js';

const types = new SubjectTypes();
const subject = (type: string, identifier: string) => ({ type: types.resolve(type), identifier });

describe("product versions of a subject (Greenwave's guess from the dist tag)", () => {
  const cases: Array<[string, string, string[]]> = [
    ['koji_build', 'bash-5.2.26-3.fc41', ['fedora-41']],
    ['brew-build', 'release-e2e-test-1.0.1685-1.el5', ['rhel-5']],
    ['koji_build', 'kernel-6.9.4-1.el9_4', ['rhel-9']],
    ['koji_build', 'foo-1.0-1.epel9', ['epel-9']],
    ['koji_build', 'foo-1.0-1.f40', ['fedora-40']],
    ['koji_build', 'foo-1.0-1', []],
    ['koji_build', 'foo-1.0-1.module_f40', []],
    ['redhat-module', 'rust-toolset-rhel8-20181010170614.b09eea91', ['rhel-8']],
    ['bodhi_update', 'FEDORA-2025-0123456789', []],
    ['compose', 'Fedora-41-20241020.n.0', []],
  ];
  for (const [type, id, expected] of cases)
    test(`${type} ${id}`, () => assert.deepEqual(subjectProductVersions(subject(type, id)), expected));
  test('targets and tags', () => {
    assert.deepEqual(guessProductVersions('rawhide', true), ['fedora-rawhide']);
    assert.deepEqual(guessProductVersions('Fedora-Rawhide-20241020.n.0', false), ['fedora-rawhide']);
    assert.deepEqual(guessProductVersions('f41-updates-candidate', true), ['fedora-41']);
    assert.deepEqual(guessProductVersions('f41', false), []);
    assert.deepEqual(guessProductVersions('rhel-9.4.0', false), ['rhel-9']);
    assert.deepEqual(guessProductVersions('fc0', true), []);
  });
});

describe('the subjects a result is about', () => {
  const ids = (data: Record<string, string[]>) =>
    resultSubjects(data, types)
      .map((s) => `${s.type.id} ${s.identifier}`)
      .sort();
  test('a Koji build by item and type, either name of the type (a redhat-container-image reads koji_build results too)', () => {
    assert.deepEqual(ids({ item: ['bash-5.2.26-3.fc41'], type: ['koji_build'] }), [
      'koji_build bash-5.2.26-3.fc41',
      'redhat-container-image bash-5.2.26-3.fc41',
    ]);
    assert.deepEqual(ids({ item: ['bash-5.2.26-3.el9'], type: ['brew-build'] }), [
      'koji_build bash-5.2.26-3.el9',
    ]);
  });
  test('original_spec_nvr whatever the type', () =>
    assert.deepEqual(ids({ original_spec_nvr: ['bash-5.2.26-3.fc41'] }), ['koji_build bash-5.2.26-3.fc41']));
  test("a container image result is only the image's", () => {
    assert.deepEqual(ids({ item: ['ubi9-9.4-1'], type: ['redhat-container-image'], nvr: ['ubi9-9.4-1'] }), [
      'redhat-container-image ubi9-9.4-1',
    ]);
  });
  test('updates and composes', () => {
    assert.deepEqual(ids({ item: ['FEDORA-2025-0123456789'], type: ['bodhi_update'] }), [
      'bodhi_update FEDORA-2025-0123456789',
    ]);
    assert.deepEqual(ids({ 'productmd.compose.id': ['Fedora-41-20241020.n.0'] }), [
      'compose Fedora-41-20241020.n.0',
    ]);
  });
  test('an unknown type with an item is a generic subject; no item, no subject', () => {
    assert.deepEqual(ids({ item: ['x'], type: ['rpm-ostree'] }), ['rpm-ostree x']);
    assert.deepEqual(ids({ type: ['koji_build'] }), []);
  });
});

describe('when a decision counts as changed', () => {
  const subj = { subject_type: 'koji_build', subject_identifier: 'bash-5.2.26-3.fc41' };
  const missing = {
    type: 'test-result-missing',
    testcase: 't0',
    ...subj,
    scenario: null,
    source: null,
    item: { type: 'koji_build', item: 'bash-5.2.26-3.fc41' },
  };
  const queued = (id: number, arch: string) => ({
    type: 'test-result-missing',
    testcase: 't0',
    ...subj,
    source: null,
    result_id: id,
    item: { type: 'koji_build', item: 'bash-5.2.26-3.fc41' },
    scenario: null,
    system_architecture: arch,
    system_variant: null,
  });
  const pass = (id: number, arch = 'x86_64') => ({
    type: 'test-result-passed',
    testcase: 't1',
    ...subj,
    source: null,
    result_id: id,
    scenario: null,
    system_architecture: arch,
    system_variant: null,
  });
  const failed = (id: number) => ({
    ...pass(id),
    type: 'test-result-failed',
    item: { type: 'koji_build', item: 'bash-5.2.26-3.fc41' },
  });
  const state = (satisfied: Requirement[], unsatisfied: Requirement[], summary = 's'): DecisionState => ({
    policies_satisfied: unsatisfied.length === 0,
    summary,
    satisfied_requirements: satisfied,
    unsatisfied_requirements: unsatisfied,
    applicable_policies: ['p'],
  });
  test('a re-run with another result id, or requirements in another order: unchanged', () => {
    assert.ok(sameDecision(state([pass(1)], [missing]), state([pass(2)], [missing])));
    assert.ok(
      sameDecision(
        state([pass(1, 'x86_64'), pass(2, 'aarch64')], []),
        state([pass(4, 'aarch64'), pass(3, 'x86_64')], []),
      ),
    );
  });
  test('missing → QUEUED/RUNNING (one per architecture, another summary): unchanged', () => {
    assert.ok(
      sameDecision(
        state([pass(1)], [missing], 'Of 2 required tests, 1 result missing'),
        state(
          [pass(1)],
          [queued(5, 'x86_64'), queued(6, 'aarch64')],
          'Of 2 required tests, 2 tests incomplete',
        ),
      ),
    );
  });
  test('passed → failed, a new applicable policy, a waiver: changed', () => {
    assert.ok(!sameDecision(state([pass(1)], []), state([], [failed(2)])));
    assert.ok(
      !sameDecision(state([pass(1)], []), { ...state([pass(1)], []), applicable_policies: ['p', 'q'] }),
    );
    assert.ok(
      !sameDecision(
        state([], [failed(2)]),
        state([{ ...failed(2), type: 'test-result-failed-waived', waiver_id: 3 }], []),
      ),
    );
  });
});
