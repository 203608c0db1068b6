import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { requireBroker } from '../support/broker.js';
import { gatingHarness, type GatingHarness } from '../support/gating-harness.js';
import { waitFor } from '../support/wait-for.js';

const POLICIES = `--- !Policy
id: kojibuild_stable
product_versions: [fedora-*]
decision_contexts: [bodhi_update_push_stable, bodhi_update_push_stable_critpath]
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: dist.rpmdeplint}
--- !Policy
id: kojibuild_critpath
product_versions: [fedora-*]
decision_context: bodhi_update_push_stable_critpath
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: fedora-ci.koji-build.tier0.functional}
--- !Policy
id: update_stable
product_versions: [fedora-*]
decision_context: bodhi_update_push_stable
subject_type: bodhi_update
rules:
  - !PassingTestCaseRule {test_case_name: update.install}
--- !Policy
id: kojibuild_testing_nothing
product_versions: [fedora-*]
decision_context: bodhi_update_push_testing
subject_type: koji_build
rules: []
`;
const DEPLINT = 'dist.rpmdeplint';
const TIER0 = 'fedora-ci.koji-build.tier0.functional';
const INSTALL = 'update.install';
const STATUS = 'update.gating.status';

/** The status messages of one update, in arrival order, as [previous, new]. */
const transitions = (h: GatingHarness, id: string) =>
  h
    .on(STATUS)
    .filter((m) => m.body.id === id)
    .map((m) => [m.body.previous_test_gating_status, m.body.test_gating_status]);

async function file(
  h: GatingHarness,
  body: Record<string, unknown>,
): Promise<Record<string, unknown> & { id: string }> {
  const res = await h.fileUpdate({ product_version: 'fedora-41', request: 'stable', ...body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as Record<string, unknown> & { id: string };
}

test("waiting → passed: the update waits for its builds' and its own results, then passes; each change is one update.gating.status message", {
  timeout: 90_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const h = await gatingHarness(t, url, POLICIES);
  const builds = ['bash-5.2.26-3.fc41', 'bash-completion-2.13-1.fc41'];
  const created = await file(h, { builds });
  assert.match(created.id, /^FEDORA-\d{4}-[0-9a-f]{10}$/);
  assert.equal(created.test_gating_status, 'waiting');
  assert.deepEqual(created.decision_contexts, ['bodhi_update_push_stable']);
  assert.deepEqual(created.builds, builds);
  assert.equal((created.decision as { summary: string }).summary, 'Of 3 required tests, 3 results missing');
  const [filed] = await h.waitFor(STATUS, 1);
  assert.deepEqual(filed!.body, {
    id: created.id,
    href: created.href,
    product_version: 'fedora-41',
    request: 'stable',
    builds,
    decision_contexts: ['bodhi_update_push_stable'],
    test_gating_status: 'waiting',
    previous_test_gating_status: null,
    summary: 'Of 3 required tests, 3 results missing',
    policies_satisfied: false,
    unsatisfied_requirements: (created.decision as { unsatisfied_requirements: unknown })
      .unsatisfied_requirements,
    changed_at: filed!.body.changed_at,
  });

  await h.result(DEPLINT, 'PASSED', builds[0]!);
  await h.result(DEPLINT, 'PASSED', builds[1]!);
  await h.barrier();
  assert.deepEqual(
    transitions(h, created.id),
    [[null, 'waiting']],
    "still waiting for the update's own test",
  );
  assert.equal((await h.update(created.id)).body.test_gating_status, 'waiting');

  await h.result(INSTALL, 'PASSED', created.id, { type: 'bodhi_update' });
  await waitFor('the update to pass', () => transitions(h, created.id).length === 2);
  await h.barrier();
  assert.deepEqual(transitions(h, created.id), [
    [null, 'waiting'],
    ['waiting', 'passed'],
  ]);
  const passed = h.on(STATUS).filter((m) => m.body.id === created.id)[1]!;
  assert.equal(passed.body.summary, 'All required tests (3 total) have passed or been waived');
  assert.equal(passed.body.policies_satisfied, true);
  const now = await h.update(created.id);
  assert.equal(now.status, 200);
  assert.equal(now.body.test_gating_status, 'passed');
  assert.equal(now.body.test_gating_status_since, passed.body.changed_at);
  assert.deepEqual((now.body.decision as { applicable_policies: string[] }).applicable_policies, [
    'kojibuild_stable',
    'kojibuild_stable',
    'update_stable',
  ]);
});

test('waiting → failed once the grace period is over with a result missing and nothing queued; a QUEUED result keeps another update waiting', {
  timeout: 90_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const h = await gatingHarness(t, url, POLICIES, {
    gating: { updates: { gracePeriodSeconds: 3, recheckCron: '* * * * * *' } },
  });
  const idle = await file(h, { builds: ['nano-8.1-1.fc41'] });
  const queued = await file(h, { builds: ['vim-9.1.0-1.fc41'] });
  await h.result(DEPLINT, 'QUEUED', 'vim-9.1.0-1.fc41');
  await h.result(INSTALL, 'RUNNING', queued.id, { type: 'bodhi_update' });
  await h.barrier();
  assert.equal((await h.update(idle.id)).body.test_gating_status, 'waiting');

  // No request and no result: the scheduled re-check alone notices the deadline.
  const deadline = Date.parse(String(idle.missing_results_deadline));
  await waitFor('the idle update to fail', () => transitions(h, idle.id).length === 2, 15_000);
  const change = h.on(STATUS).filter((m) => m.body.id === idle.id)[1]!;
  assert.ok(
    Date.parse(String(change.body.changed_at)) >= deadline,
    `failed at ${String(change.body.changed_at)}, not before the grace period ended at ${String(idle.missing_results_deadline)}`,
  );
  assert.deepEqual(transitions(h, idle.id), [
    [null, 'waiting'],
    ['waiting', 'failed'],
  ]);
  const failed = await h.update(idle.id);
  assert.equal(failed.body.test_gating_status, 'failed');
  assert.equal(
    (failed.body.decision as { summary: string }).summary,
    'Of 2 required tests, 2 results missing',
  );

  // Past its deadline too, but everything missing is queued or running: still waiting, nothing published.
  await sleep(Math.max(0, Date.parse(String(queued.missing_results_deadline)) + 1500 - Date.now()));
  assert.equal((await h.update(queued.id)).body.test_gating_status, 'waiting');
  assert.deepEqual(transitions(h, queued.id), [[null, 'waiting']]);
  // Its queued test then fails: failed at once, whatever the time.
  await h.result(DEPLINT, 'FAILED', 'vim-9.1.0-1.fc41');
  await waitFor('the queued update to fail', () => transitions(h, queued.id).length === 2);
  assert.deepEqual(transitions(h, queued.id)[1], ['waiting', 'failed']);
});

test("failed → passed after a waiver, on a critical-path update (Bodhi's critpath contexts)", {
  timeout: 90_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const h = await gatingHarness(t, url, POLICIES);
  const nvr = 'systemd-256.7-1.fc41';
  const created = await file(h, { builds: [nvr], critpath: true });
  assert.deepEqual(created.decision_contexts, [
    'bodhi_update_push_stable_critpath',
    'bodhi_update_push_stable',
  ]);
  assert.equal((created.decision as { summary: string }).summary, 'Of 3 required tests, 3 results missing');

  await h.result(DEPLINT, 'FAILED', nvr);
  await waitFor('the update to fail', () => transitions(h, created.id).length === 2);
  await h.result(TIER0, 'PASSED', nvr);
  await h.result(INSTALL, 'PASSED', created.id, { type: 'bodhi_update' });
  await h.barrier();
  assert.deepEqual(transitions(h, created.id), [
    [null, 'waiting'],
    ['waiting', 'failed'],
  ]);
  assert.equal((await h.update(created.id)).body.test_gating_status, 'failed');

  await h.waive({ subject_identifier: nvr, testcase: DEPLINT, product_version: 'fedora-41' });
  await waitFor('the waiver to pass the update', () => transitions(h, created.id).length === 3);
  assert.deepEqual(transitions(h, created.id)[2], ['failed', 'passed']);
  const now = (await h.update(created.id)).body;
  assert.equal(now.test_gating_status, 'passed');
  assert.ok(
    (now.decision as { satisfied_requirements: Array<{ type: string }> }).satisfied_requirements.some(
      (r) => r.type === 'test-result-failed-waived',
    ),
    'the failed test shows as waived',
  );
});

test("ignored when nothing is required at the update's contexts", { timeout: 60_000 }, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const h = await gatingHarness(t, url, POLICIES);
  const created = await file(h, {
    builds: ['less-668-1.fc41'],
    request: 'testing',
    alias: 'FEDORA-2025-0000000001',
  });
  assert.equal(created.id, 'FEDORA-2025-0000000001');
  assert.deepEqual(created.decision_contexts, ['bodhi_update_push_testing']);
  assert.equal(created.test_gating_status, 'ignored');
  assert.equal((created.decision as { summary: string }).summary, 'No tests are required');
  await h.waitFor(STATUS, 1);
  assert.deepEqual(transitions(h, created.id), [[null, 'ignored']]);
  // Results of its build change nothing for it.
  await h.result(DEPLINT, 'FAILED', 'less-668-1.fc41');
  await h.barrier();
  assert.deepEqual(transitions(h, created.id), [[null, 'ignored']]);
  assert.equal((await h.update(created.id)).body.test_gating_status, 'ignored');
});
