import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { BuildInfoSource, GatingFileFetcher } from '../../gating/remote-rule.js';
import type { WaiverSource } from '../../gating/waivers.js';
import { requireBroker } from '../support/broker.js';
import { gatingHarness, type GatingHarness } from '../support/gating-harness.js';
import { RPMDEPLINT_STABLE } from '../support/policies-dir.js';
import { waitFor } from '../support/wait-for.js';

const TOPIC = 'greenwave.decision.update';
const DEPLINT = 'dist.rpmdeplint';

/** How often the gating-changes consumer ended a resultsdb.result.new delivery this way, from /metrics. */
async function consumed(h: GatingHarness, outcome: 'ack' | 'duplicate'): Promise<number> {
  const text = await (await fetch(`${h.base}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) =>
      l.startsWith(
        `sluice_messages_consumed_total{consumer="gating-changes",topic="resultsdb.result.new",outcome="${outcome}"}`,
      ),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

const about = (h: GatingHarness, nvr: string) => h.on(TOPIC).filter((m) => m.body.subject_identifier === nvr);

test('a result stored here announces its decision change from the storing transaction; its resultsdb.result.new never reaches the consumer', {
  timeout: 90_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const h = await gatingHarness(t, url, RPMDEPLINT_STABLE, { gating: { changesWhenStored: true } });
  const nvr = 'bash-5.2.26-3.fc41';
  const failed = await h.result(DEPLINT, 'FAILED', nvr);
  const [first] = await h.waitFor(TOPIC, 1);
  assert.equal(first!.body.policies_satisfied, false);
  assert.equal(first!.body.summary, 'Of 1 required test, 1 test failed');
  const announced = (await h.waitFor('resultsdb.result.new', 1)).find((m) => m.body.id === failed.id)!;
  assert.equal(
    announced.headers['sluice-handled-by'],
    `${h.config.bus.queuePrefix}gating-changes`,
    'marked as handled',
  );

  // The same result from another ResultsDB (another id, no mark): worked out, nothing new. It was
  // published after the announcement, so by the time it is handled the announcement would have been too.
  await h.publishRaw('resultsdb.result.new', failed, randomUUID());
  await waitFor('the copy under a new id handled', async () => (await consumed(h, 'ack')) >= 1);
  assert.equal(await consumed(h, 'duplicate'), 0, 'the broker kept the announcement from the consumer');
  // The announcement redelivered under its id without the mark: the ledger knows it.
  await h.publishRaw('resultsdb.result.new', failed, announced.messageId);
  await waitFor('the redelivery seen', async () => (await consumed(h, 'duplicate')) >= 1);
  assert.equal(await consumed(h, 'ack'), 1);
  assert.equal(about(h, nvr).length, 1, 'one message for one change');

  await h.result(DEPLINT, 'PASSED', nvr);
  await waitFor('the fix announced', () => about(h, nvr).length === 2);
  const fixed = about(h, nvr)[1]!;
  assert.equal(fixed.body.policies_satisfied, true);
  assert.equal(
    (fixed.body.previous as { summary: string }).summary,
    'Of 1 required test, 1 test failed',
    'chained to the message before',
  );
});

test('a result whose decision needs a gating file fetched is left to the consumer, which announces it once', {
  timeout: 90_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const fetched: string[] = [];
  const fetcher: GatingFileFetcher = {
    async fetch(u) {
      fetched.push(u);
      await new Promise((r) => setTimeout(r, 20));
      return `--- !Policy\nid: from-dist-git\nproduct_versions: [fedora-*]\ndecision_context: bodhi_update_push_stable\nrules:\n  - !PassingTestCaseRule {test_case_name: ${DEPLINT}}\n`;
    },
  };
  const buildInfo: BuildInfoSource = {
    scm: (s) => ({ namespace: 'rpms', name: s.identifier.split('-')[0]!, rev: 'c0ffee' }),
    creationTime: () => null,
  };
  const h = await gatingHarness(
    t,
    url,
    `--- !Policy
id: remote
product_versions: [fedora-*]
decision_context: bodhi_update_push_stable
subject_type: koji_build
rules:
  - !RemoteRule {}
`,
    { gating: { changesWhenStored: true } },
    { gatingFiles: fetcher, buildInfo },
  );
  const nvr = 'zsh-5.9-15.fc41';
  await h.result(DEPLINT, 'FAILED', nvr);
  await waitFor('the consumer to work it out', async () => (await consumed(h, 'ack')) >= 1);
  await waitFor('its announcement', () => about(h, nvr).length >= 1);
  assert.equal(about(h, nvr)[0]!.body.summary, 'Of 1 required test, 1 test failed');
  assert.ok(
    fetched.some((u) => u.includes('/rpms/zsh/') && u.includes('c0ffee')),
    fetched.join(', '),
  );
  assert.equal(await consumed(h, 'duplicate'), 0);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(about(h, nvr).length, 1, 'announced once');
});

test('a result whose recomputation fails when stored is stored all the same, its announcement unmarked, and the consumer announces the change once', {
  timeout: 90_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  let calls = 0;
  // The first read of waivers (inside the storing transaction's savepoint) fails; later ones find none.
  const waivers: WaiverSource = {
    forSubjects() {
      if (++calls === 1) throw new Error('waivers unreachable');
      return [];
    },
  };
  const h = await gatingHarness(
    t,
    url,
    RPMDEPLINT_STABLE,
    { gating: { changesWhenStored: true } },
    { waivers },
  );
  const nvr = 'fish-3.7.1-5.fc41';
  const stored = await h.result(DEPLINT, 'FAILED', nvr);
  const announced = (await h.waitFor('resultsdb.result.new', 1)).find((m) => m.body.id === stored.id)!;
  assert.equal(announced.headers['sluice-handled-by'], undefined, 'not marked as handled');
  await waitFor('the consumer to work it out', async () => (await consumed(h, 'ack')) >= 1);
  await waitFor('its announcement', () => about(h, nvr).length >= 1);
  assert.equal(about(h, nvr)[0]!.body.summary, 'Of 1 required test, 1 test failed');
  assert.ok(calls >= 2, 'the consumer read the waivers again');
  assert.equal(about(h, nvr).length, 1, 'announced once');
});
