import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { requireBroker } from '../support/broker.js';
import { gatingHarness, type GatingHarness, type Received } from '../support/gating-harness.js';

const POLICIES = `--- !Policy
id: stable
product_versions: [fedora-*]
decision_context: bodhi_update_push_stable
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: dist.rpmdeplint}
  - !PassingTestCaseRule {test_case_name: fedora-ci.koji-build.tier0.functional}
--- !Policy
id: testing
product_versions: [fedora-*]
decision_context: bodhi_update_push_testing
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: fedora-ci.koji-build.tier0.functional}
`;
const DEPLINT = 'dist.rpmdeplint';
const TIER0 = 'fedora-ci.koji-build.tier0.functional';
const TOPIC = 'greenwave.decision.update';

/** The decision messages about one build, in arrival order. */
const about = (h: GatingHarness, nvr: string): Received[] =>
  h.on(TOPIC).filter((m) => m.body.subject_identifier === nvr);
/** A message's decision without its subject fields: what `previous` of the next one must be. */
const decisionOf = (m: Received) => {
  const {
    policies_satisfied,
    summary,
    satisfied_requirements,
    unsatisfied_requirements,
    applicable_policies,
  } = m.body;
  return {
    policies_satisfied,
    summary,
    satisfied_requirements,
    unsatisfied_requirements,
    applicable_policies,
  };
};
const types = (reqs: unknown) =>
  (reqs as Array<{ type: string; testcase: string }>).map((r) => `${r.type} ${r.testcase}`).sort();

test('a failing result publishes one greenwave.decision.update per affected context with the right previous; a later fix publishes again, chained', {
  timeout: 90_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const h = await gatingHarness(t, url, POLICIES);
  const nvr = 'bash-5.2.26-3.fc41';

  const failed = await h.result(DEPLINT, 'FAILED', nvr);
  const [first] = await h.waitFor(TOPIC, 1);
  await h.barrier();
  // dist.rpmdeplint is required only in the stable context, so one message, not two.
  assert.equal(about(h, nvr).length, 1);
  assert.equal(first!.topic, TOPIC);
  assert.deepEqual(
    { ...first!.body, satisfied_requirements: undefined, unsatisfied_requirements: undefined },
    {
      subject_type: 'koji_build',
      subject_identifier: nvr,
      subject: [{ type: 'koji_build', item: nvr }],
      decision_context: 'bodhi_update_push_stable',
      product_version: 'fedora-41',
      testcase: DEPLINT,
      policies_satisfied: false,
      summary: 'Of 2 required tests, 1 result missing, 1 test failed',
      satisfied_requirements: undefined,
      unsatisfied_requirements: undefined,
      applicable_policies: ['stable'],
      previous: {
        policies_satisfied: false,
        summary: 'Of 2 required tests, 2 results missing',
        satisfied_requirements: [],
        unsatisfied_requirements: [
          {
            type: 'test-result-missing',
            testcase: DEPLINT,
            subject_type: 'koji_build',
            subject_identifier: nvr,
            scenario: null,
            source: null,
            item: { type: 'koji_build', item: nvr },
          },
          {
            type: 'test-result-missing',
            testcase: TIER0,
            subject_type: 'koji_build',
            subject_identifier: nvr,
            scenario: null,
            source: null,
            item: { type: 'koji_build', item: nvr },
          },
        ],
        applicable_policies: ['stable'],
      },
    },
  );
  const failedReq = (first!.body.unsatisfied_requirements as Array<Record<string, unknown>>).find(
    (r) => r.testcase === DEPLINT,
  );
  assert.equal(failedReq?.type, 'test-result-failed');
  assert.equal(failedReq?.result_id, failed.id);

  // The fix: a passing re-run. Its `previous` is exactly what the first message announced.
  await h.result(DEPLINT, 'PASSED', nvr);
  await h.barrier();
  const [, second] = about(h, nvr);
  assert.ok(second, 'a second message');
  assert.equal(about(h, nvr).length, 2);
  assert.equal(second.body.summary, 'Of 2 required tests, 1 result missing');
  assert.deepEqual(types(second.body.satisfied_requirements), [`test-result-passed ${DEPLINT}`]);
  assert.deepEqual(second.body.previous, decisionOf(first!));

  // Both contexts require tier0: its passing result changes both decisions, each message once.
  await h.result(TIER0, 'PASSED', nvr);
  await h.barrier();
  const tier0 = about(h, nvr).slice(2);
  assert.deepEqual(tier0.map((m) => m.body.decision_context).sort(), [
    'bodhi_update_push_stable',
    'bodhi_update_push_testing',
  ]);
  const stable = tier0.find((m) => m.body.decision_context === 'bodhi_update_push_stable')!;
  const testing = tier0.find((m) => m.body.decision_context === 'bodhi_update_push_testing')!;
  assert.equal(stable.body.policies_satisfied, true);
  assert.equal(stable.body.summary, 'All required tests (2 total) have passed or been waived');
  assert.deepEqual(stable.body.previous, decisionOf(second));
  assert.equal(testing.body.policies_satisfied, true);
  assert.deepEqual(
    (testing.body.previous as { summary: string }).summary,
    'Of 1 required test, 1 result missing',
  );
  // Every message carries a distinct id (the outbox's), so subscribers can drop repeats too.
  assert.equal(new Set(about(h, nvr).map((m) => m.messageId)).size, 4);
});

test('no change publishes nothing: a passing re-run, QUEUED and RUNNING results, a result no policy names', {
  timeout: 90_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const h = await gatingHarness(t, url, POLICIES);
  const nvr = 'curl-8.9.1-2.fc41';
  await h.result(DEPLINT, 'PASSED', nvr);
  await h.barrier();
  assert.equal(about(h, nvr).length, 1, 'the first passing result changes the decision');

  await h.result(DEPLINT, 'PASSED', nvr); // a re-run: only the result id differs
  await h.result(TIER0, 'QUEUED', nvr);
  await h.result(TIER0, 'RUNNING', nvr);
  await h.result('fedora-ci.koji-build.tier9.unrelated', 'FAILED', nvr);
  await h.barrier();
  assert.equal(
    about(h, nvr).length,
    1,
    JSON.stringify(
      about(h, nvr)
        .slice(1)
        .map((m) => m.body.summary),
    ),
  );

  // The RUNNING test then fails: one message per context. Its `previous` is the decision just
  // before: tier0 missing, or incomplete if the re-run was handled after the QUEUED result was stored.
  await h.result(TIER0, 'FAILED', nvr);
  await h.barrier();
  const after = about(h, nvr).slice(1);
  assert.equal(after.length, 2);
  const stable = after.find((m) => m.body.decision_context === 'bodhi_update_push_stable')!;
  const previous = stable.body.previous as Record<string, unknown>;
  assert.equal(previous.policies_satisfied, false);
  assert.deepEqual(types(previous.unsatisfied_requirements), [`test-result-missing ${TIER0}`]);
  assert.deepEqual(types(previous.satisfied_requirements), [`test-result-passed ${DEPLINT}`]);
  assert.equal(stable.body.summary, 'Of 2 required tests, 1 test failed');
});

test('a redelivered result publishes nothing twice; the same result announced again under another id publishes nothing either', {
  timeout: 90_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const h = await gatingHarness(t, url, POLICIES);
  const nvr = 'zlib-1.3.1-1.fc41';
  const stored = await h.result(DEPLINT, 'FAILED', nvr);
  await h.barrier();
  assert.equal(about(h, nvr).length, 1);

  // The announcement as the bus carried it, sent again as RabbitMQ redelivers it: same id, same body.
  const announced = await h.waitFor('resultsdb.result.new', 1);
  const original = announced.find((m) => m.body.id === stored.id)!;
  assert.deepEqual(original.body, stored as unknown as Record<string, unknown>);
  const resultMessageId = original.messageId;
  await h.publishRaw('resultsdb.result.new', stored, resultMessageId);
  await h.publishRaw('resultsdb.result.new', stored, resultMessageId);
  // Another ResultsDB (or a replay) announcing the same result with a message id of its own.
  await h.publishRaw('resultsdb.result.new', stored, randomUUID());
  await h.barrier();
  assert.equal(about(h, nvr).length, 1, 'nothing published again for the same result');
});

test('a waiver flips a decision and publishes; revoking it publishes the way back', {
  timeout: 90_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const h = await gatingHarness(t, url, POLICIES);
  const nvr = 'openssl-3.2.2-5.fc41';
  await h.result(DEPLINT, 'PASSED', nvr);
  const failed = await h.result(TIER0, 'FAILED', nvr);
  await h.barrier();
  const before = about(h, nvr);
  const stableBefore = before.filter((m) => m.body.decision_context === 'bodhi_update_push_stable').at(-1)!;
  assert.equal(stableBefore.body.policies_satisfied, false);

  const waiver = await h.waive({ subject_identifier: nvr, testcase: TIER0, product_version: 'fedora-41' });
  await h.barrier();
  const waived = about(h, nvr).slice(before.length);
  assert.deepEqual(waived.map((m) => m.body.decision_context).sort(), [
    'bodhi_update_push_stable',
    'bodhi_update_push_testing',
  ]);
  const stable = waived.find((m) => m.body.decision_context === 'bodhi_update_push_stable')!;
  assert.equal(stable.body.policies_satisfied, true);
  assert.equal(stable.body.testcase, TIER0);
  assert.equal(stable.body.product_version, 'fedora-41');
  assert.deepEqual(stable.body.previous, decisionOf(stableBefore));
  const waivedReq = (stable.body.satisfied_requirements as Array<Record<string, unknown>>).find(
    (r) => r.testcase === TIER0,
  );
  assert.equal(waivedReq?.type, 'test-result-failed-waived');
  assert.equal(waivedReq?.waiver_id, waiver.id);
  assert.equal(waivedReq?.result_id, failed.id);

  // A waiver for another product version changes nothing here.
  await h.waive({ subject_identifier: nvr, testcase: DEPLINT, product_version: 'fedora-40' });
  await h.barrier();
  assert.equal(about(h, nvr).length, before.length + 2);

  await h.waive({
    subject_identifier: nvr,
    testcase: TIER0,
    product_version: 'fedora-41',
    waived: false,
    comment: 'the failure is real',
  });
  await h.barrier();
  const revoked = about(h, nvr).slice(before.length + 2);
  assert.equal(revoked.length, 2);
  for (const m of revoked) assert.equal(m.body.policies_satisfied, false);
  assert.deepEqual(
    revoked.find((m) => m.body.decision_context === 'bodhi_update_push_stable')!.body.previous,
    decisionOf(stable),
  );
});
