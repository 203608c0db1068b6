import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { BusMessage } from '../../bus/bus.js';
import { DecisionsKnownGood } from '../../db/decisions-known-good.js';
import { DecisionStatesStore } from '../../db/decision-states-store.js';
import { migrate } from '../../db/migrate.js';
import { openDatabase } from '../../db/open-database.js';
import type { DecisionState } from '../../gating/decision-update-message.js';
import type { NodeJson } from '../../pipeline/pipeline-node.js';
import { tempDir } from '../support/paths.js';
import { startPipeline } from '../support/pipeline-harness.js';
import { policiesDir } from '../support/policies-dir.js';
import { waitFor } from '../support/wait-for.js';

const decision = (passed: boolean): DecisionState => ({
  policies_satisfied: passed,
  summary: '',
  satisfied_requirements: [],
  unsatisfied_requirements: [],
  applicable_policies: ['p'],
});

test('the known-good set: per package the newest build in rpm order whose decision passed, of this release, context and product version', () => {
  const db = openDatabase(path.join(tempDir(), 'k.db'));
  migrate(db);
  const states = new DecisionStatesStore(db);
  const put = (
    nvr: string,
    passed: boolean,
    { context = 'bodhi_update_push_stable', productVersion = 'fedora-41', type = 'koji_build' } = {},
  ) =>
    states.put(
      { subjectType: type, subjectIdentifier: nvr, context, productVersion },
      { json: JSON.stringify(decision(passed)), historyId: null },
      1,
    );
  put('bash-5.2.10-1.fc41', true);
  put('bash-5.2.9-1.fc41', true); // evaluated later, but an older version
  put('bash-5.2.11-1.fc41', false); // newer, but failed gating
  put('zsh-5.9-1.fc41', true);
  put('tmux-3.4-1.fc41', false);
  put('vim-9.1-1.fc40', true, { productVersion: 'fedora-40' });
  put('vim-9.1-1.fc41', true, { context: 'bodhi_update_push_testing' }); // passed only for testing
  put('nano-8.0-1.fc41', true, { productVersion: 'fedora-42' }); // another product version's decision
  put('less-661-1.fc41', true, { type: 'koji_build_group' }); // another subject type
  put('tmux-3.5-1.FC41', true); // the dist tag is case-sensitive
  const source = new DecisionsKnownGood(db);
  const ask = (candidate: string | null, release = 'fc41') =>
    source.knownGood({
      release,
      decisionContext: 'bodhi_update_push_stable',
      productVersion: 'fedora-41',
      candidate,
    });
  assert.deepEqual(ask(null), ['bash-5.2.10-1.fc41', 'zsh-5.9-1.fc41']);
  assert.deepEqual(
    ask('tmux-3.5-1.fc41'),
    ['bash-5.2.10-1.fc41', 'tmux-3.5-1.fc41', 'zsh-5.9-1.fc41'],
    'the candidate joins whatever its decision',
  );
  assert.deepEqual(
    ask('bash-5.2.8-1.fc41'),
    ['bash-5.2.8-1.fc41', 'zsh-5.9-1.fc41'],
    "the candidate takes its package's place even when older",
  );
  assert.deepEqual(ask(null, 'f_41'), [], 'an underscore in the release matches only an underscore');
  assert.deepEqual(ask(null, 'fc4?'), [], 'nor does a question mark match any character');
  db.close();
});

test('a compose started by the pipeline gets the builds whose gating decisions passed, and a waiver makes a failed build good', {
  timeout: 90_000,
}, async (t) => {
  const policies = policiesDir(`--- !Policy
id: fedora-stable
product_versions: [fedora-*]
decision_context: bodhi_update_push_stable
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: ci.tier0}
`);
  const p = await startPipeline(
    t,
    {
      jobs: [
        {
          name: 'build',
          kind: 'build',
          on: { kind: 'checkout', state: 'available' },
          command: 'echo nvr=bash-5.2.30-1.fc41 >> "$SLUICE_DATA"',
          subject: { type: 'koji_build', item: '{{ data.nvr }}' },
        },
        {
          name: 'compose',
          kind: 'compose',
          on: { kind: 'build', name: 'build', state: 'available', result: 'pass' },
          command: 'printf "%s\\n" {{ known_good }} > packages.txt',
          artifacts: ['packages.txt'],
          subject: { type: 'compose', item: 'C-{{ run_id }}' },
          knownGood: { release: 'fc41' },
        },
      ],
    },
    { gating: { policiesDir: policies } },
  );
  const updates: BusMessage[] = [];
  const sub = await p.service.ctx.bus.subscribe(['greenwave.decision.update'], (m) => void updates.push(m));
  t.after(() => sub.close());
  const announced = (nvr: string, passed: boolean) =>
    updates.some((m) => {
      const b = m.body as { subject_identifier: string; policies_satisfied: boolean };
      return b.subject_identifier === nvr && b.policies_satisfied === passed;
    });
  const submit = async (item: string, outcome: string) => {
    const res = await p.request('POST', '/api/v2.0/results', {
      testcase: { name: 'ci.tier0' },
      outcome,
      data: { item, type: 'koji_build' },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  };
  await submit('zsh-5.10-1.fc41', 'PASSED');
  await submit('zsh-5.9-1.fc41', 'PASSED'); // newer by time, older by version
  await submit('curl-8.9-1.fc41', 'PASSED');
  await submit('curl-8.10-1.fc41', 'FAILED');
  await submit('tmux-3.4-1.fc41', 'FAILED');
  await submit('vim-9.1-1.fc40', 'PASSED'); // another release
  await submit('bash-5.2.26-1.fc41', 'PASSED'); // the candidate's package: replaced by the candidate
  await waitFor(
    'every decision announced',
    () =>
      ['zsh-5.10-1.fc41', 'zsh-5.9-1.fc41', 'curl-8.9-1.fc41', 'bash-5.2.26-1.fc41', 'vim-9.1-1.fc40'].every(
        (n) => announced(n, true),
      ) && ['curl-8.10-1.fc41', 'tmux-3.4-1.fc41'].every((n) => announced(n, false)),
  );

  const compose = async () => {
    const root = await p.startRun({ repo: 'bash', branch: 'rawhide' });
    const c = await p.finished(root.id, 'compose');
    assert.equal(c.result, 'pass', await p.log(c.id));
    return c;
  };
  const first = await compose();
  const want = ['bash-5.2.30-1.fc41', 'curl-8.9-1.fc41', 'zsh-5.10-1.fc41'];
  assert.deepEqual(first.data.known_good, want);
  assert.equal(
    await (await fetch((first as NodeJson).artifacts['packages.txt']!.url)).text(),
    want.map((n) => `${n}\n`).join(''),
    'the job got the same list',
  );

  const waived = await p.request('POST', '/api/v1.0/waivers/', {
    subject_type: 'koji_build',
    subject_identifier: 'tmux-3.4-1.fc41',
    testcase: 'ci.tier0',
    product_version: 'fedora-41',
    comment: 'flaky on the builder',
  });
  assert.equal(waived.status, 201, JSON.stringify(waived.body));
  await waitFor('the waiver announced as a passing decision', () => announced('tmux-3.4-1.fc41', true));
  const second = await compose();
  assert.deepEqual(second.data.known_good, [
    'bash-5.2.30-1.fc41',
    'curl-8.9-1.fc41',
    'tmux-3.4-1.fc41',
    'zsh-5.10-1.fc41',
  ]);
});
