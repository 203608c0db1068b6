/**
 * Greenwave's decision answer points at the subject's dashboard page (`dashboard_url`, an added
 * field), under server.publicUrl, or the server's own URL when none is configured.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceService } from '../../service/sluice-service.js';
import { policiesDir, RPMDEPLINT_STABLE } from '../support/policies-dir.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';

const ASK = {
  decision_context: 'bodhi_update_push_stable',
  product_version: 'fedora-41',
  subject_type: 'koji_build',
  subject_identifier: 'bash-5.2.26-3.fc41',
};

async function start(t: import('node:test').TestContext, publicUrl: string | null) {
  const service = await SluiceService.create({
    config: testConfig({
      gating: { policiesDir: policiesDir(RPMDEPLINT_STABLE) },
      ...(publicUrl ? { server: { publicUrl } } : {}),
    }),
    log: silentLogger(),
    registry: testRegistry(),
  });
  const base = (await service.start())!;
  t.after(() => service.stop());
  const decide = async (body: unknown) => {
    const res = await fetch(`${base}/api/v1.0/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200);
    return { text: await res.text(), base };
  };
  return decide;
}

test('the decision answer carries dashboard_url under server.publicUrl, after Greenwave’s own fields', async (t) => {
  const decide = await start(t, 'https://sluice.example.org/');
  const { text } = await decide(ASK);
  const answer = JSON.parse(text) as Record<string, unknown>;
  assert.equal(answer.dashboard_url, 'https://sluice.example.org/subjects/koji_build/bash-5.2.26-3.fc41');
  // What Bodhi reads (bodhi/server/models.py) is all there and unchanged; the added field comes last.
  assert.equal(answer.policies_satisfied, false);
  assert.equal(answer.summary, 'Of 1 required test, 1 result missing');
  assert.ok(Array.isArray(answer.satisfied_requirements));
  assert.equal((answer.unsatisfied_requirements as unknown[]).length, 1);
  assert.deepEqual(Object.keys(answer), [
    'policies_satisfied',
    'summary',
    'satisfied_requirements',
    'unsatisfied_requirements',
    'applicable_policies',
    'dashboard_url',
  ]);
  // Asked again, the answer comes from the decision cache: the field is there once, the same.
  const again = await decide(ASK);
  assert.equal(again.text, text);
  assert.equal(again.text.split('"dashboard_url"').length, 2);
  // Verbose answers and the legacy subject form get it too; an alias names the type's page.
  const verbose = JSON.parse(
    (await decide({ ...ASK, subject_type: 'brew-build', verbose: true })).text,
  ) as Record<string, unknown>;
  assert.ok(Array.isArray(verbose.results));
  assert.equal(verbose.dashboard_url, 'https://sluice.example.org/subjects/koji_build/bash-5.2.26-3.fc41');
});

test('without server.publicUrl the link is under the server’s own URL; each part of it is encoded', async (t) => {
  const decide = await start(t, null);
  const { text, base } = await decide({
    decision_context: 'bodhi_update_push_stable',
    product_version: 'fedora-41',
    subject: [
      { type: 'koji_build', item: 'odd/name?x=1#frag-1-1.fc41' },
      { type: 'koji_build', item: 'bash-5.2.26-3.fc41' },
    ],
  });
  const answer = JSON.parse(text) as { dashboard_url: string };
  // The first subject's page, when the request names several.
  assert.equal(answer.dashboard_url, `${base}/subjects/koji_build/odd%2Fname%3Fx%3D1%23frag-1-1.fc41`);
  assert.equal(new URL(answer.dashboard_url).pathname.split('/').length, 4);
});
