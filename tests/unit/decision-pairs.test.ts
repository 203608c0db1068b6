import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePolicyText } from '../../gating/load-policies.js';
import { decisionPairs } from '../../gating/policy-match.js';
import { SubjectTypes } from '../../gating/subject-types.js';

const { policies, problems } = parsePolicyText(
  `--- !Policy
id: testing
product_versions: [fedora-*]
decision_context: bodhi_update_push_testing
subject_type: koji_build
rules: [!PassingTestCaseRule {test_case_name: dist.rpmdeplint}]
--- !Policy
id: stable
product_versions: [fedora-40, fedora-41]
decision_contexts: [bodhi_update_push_stable, bodhi_update_push_stable_critpath]
subject_type: brew-build
rules: [!PassingTestCaseRule {test_case_name: dist.abicheck}]
--- !Policy
id: remote
product_versions: [fedora-41]
decision_context: remote
subject_type: koji_build
rules: [!RemoteRule {}]
--- !Policy
id: updates
product_versions: [fedora-41]
decision_context: bodhi_update_push_testing
subject_type: bodhi_update
rules: [!PassingTestCaseRule {test_case_name: dist.rpmdeplint}]
`,
  'pairs.yaml',
);
const koji = new SubjectTypes().resolve('koji_build');

describe('which decisions a new result may change (for decision-change messages)', () => {
  test('the policies parse', () => assert.deepEqual(problems, []));

  test('policies naming the testcase, or with a RemoteRule, for the subject type (aliases too), with their product version globs', () => {
    assert.deepEqual(decisionPairs(policies, koji, 'dist.abicheck'), [
      ['bodhi_update_push_stable', 'fedora-40'],
      ['bodhi_update_push_stable', 'fedora-41'],
      ['bodhi_update_push_stable_critpath', 'fedora-40'],
      ['bodhi_update_push_stable_critpath', 'fedora-41'],
      ['remote', 'fedora-41'],
    ]);
  });

  test('with a product version: only policies matching it, paired with it', () => {
    assert.deepEqual(decisionPairs(policies, koji, 'dist.rpmdeplint', 'fedora-42'), [
      ['bodhi_update_push_testing', 'fedora-42'],
    ]);
    assert.deepEqual(decisionPairs(policies, koji, 'unknown.test', 'fedora-40'), []);
  });
});
