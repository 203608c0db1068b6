import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DecisionStatesStore } from '../../db/decision-states-store.js';
import type { DecisionUpdate } from '../../gating/decision-update-message.js';
import { DecisionChanges } from '../../gating/decision-change-publisher.js';
import { resultEvent, type GatingEvent } from '../../gating/gating-event.js';
import type { StoredResult } from '../../results/result-json.js';
import { SluiceService } from '../../service/sluice-service.js';
import { policiesDir } from '../support/policies-dir.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';

const POLICY = `--- !Policy
id: stable
product_versions: [fedora-41, fedora-*]
decision_context: bodhi_update_push_stable
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: tier0}
`;

/**
 * The consumer's logic on a real store, driven by hand so that events can be handled in any
 * order and any number of times (the bus tests cannot force an order).
 */
describe('decision changes whatever the order and number of deliveries', () => {
  let service: SluiceService;
  let changes: DecisionChanges;
  const published: DecisionUpdate[] = [];
  before(async () => {
    const dir = policiesDir(POLICY);
    // Not started: nothing consumes the outbox; the test plays the consumer (and storing does not).
    service = await SluiceService.create({
      config: testConfig({ gating: { policiesDir: dir, changesWhenStored: false } }),
      log: silentLogger(),
      registry: testRegistry(),
      http: false,
    });
    const { db, gating } = service.ctx;
    changes = new DecisionChanges({
      decisions: gating.decisions,
      states: new DecisionStatesStore(db),
      publish: (_topic, body) => void published.push(body as DecisionUpdate),
      knownProductVersions: (s) => gating.updates.productVersionsFor(s),
    });
  });
  after(() => service?.stop());

  const store = (item: string, outcome: string, submitTime: string) =>
    service.ctx.resultIntake.submit({
      testcase: 'tier0',
      outcome,
      submit_time: submitTime,
      data: { item, type: 'koji_build' },
    }) as StoredResult;
  const handle = async (event: GatingEvent) => {
    const before = published.length;
    const plans = await changes.plan(event);
    service.ctx.db.transaction(() => changes.apply(event, plans))();
    return published.slice(before);
  };
  const event = (r: StoredResult) => resultEvent(r, service.ctx.gating.subjectTypes, ['QUEUED', 'RUNNING']);

  test('a failure and its passing re-run handled in order: "passed" once (the failure was overtaken before it was handled)', async () => {
    const a = store('bash-5.2.26-3.fc41', 'FAILED', '2025-01-01T00:00:00');
    const b = store('bash-5.2.26-3.fc41', 'PASSED', '2025-01-01T00:00:01');
    const first = await handle(event(a));
    assert.equal(first.length, 1);
    assert.equal(first[0]!.policies_satisfied, true);
    assert.equal(first[0]!.previous?.summary, 'Of 1 required test, 1 result missing');
    assert.deepEqual(await handle(event(b)), []);
    assert.deepEqual(await handle(event(a)), [], 'a redelivery finds nothing changed');
  });

  test('the same two handled the other way round: "passed" once too, from the failure (Greenwave would announce "passed" twice)', async () => {
    const a = store('zsh-5.9-15.fc41', 'FAILED', '2025-01-01T00:00:00');
    const b = store('zsh-5.9-15.fc41', 'PASSED', '2025-01-01T00:00:01');
    const first = await handle(event(b));
    assert.equal(first.length, 1);
    assert.equal(first[0]!.policies_satisfied, true);
    assert.equal(first[0]!.previous?.summary, 'Of 1 required test, 1 test failed');
    assert.deepEqual(await handle(event(a)), []);
    // Then a new failure: its previous is the announced "passed".
    const c = store('zsh-5.9-15.fc41', 'FAILED', '2025-01-01T00:00:02');
    const third = await handle(event(c));
    assert.equal(third.length, 1);
    assert.deepEqual(third[0]!.previous, pick(first[0]!));
  });

  test("product versions: the dist tag; without one, the policies' own versions (no globs) and those of updates holding the build", async () => {
    const types = service.ctx.gating.subjectTypes;
    const subject = (id: string) => ({ type: types.resolve('koji_build'), identifier: id });
    const ev = (id: string): GatingEvent => ({
      kind: 'result',
      id: 1,
      testcase: 'tier0',
      subjects: [subject(id)],
      productVersion: null,
      at: 0,
      incomplete: false,
    });
    assert.deepEqual(changes.pairs(subject('bash-5.2.26-3.fc40'), ev('bash-5.2.26-3.fc40')), [
      ['bodhi_update_push_stable', 'fedora-40'],
    ]);
    assert.deepEqual(changes.pairs(subject('foo-1.0-1'), ev('foo-1.0-1')), [
      ['bodhi_update_push_stable', 'fedora-41'],
    ]);
    await service.ctx.gating.updates.create(
      {
        alias: 'FEDORA-EPEL-2025-1',
        productVersion: 'fedora-39',
        builds: ['foo-1.0-1'],
        request: 'stable',
        critpath: false,
        critpathGroups: [],
      },
      'test',
    );
    assert.deepEqual(changes.pairs(subject('foo-1.0-1'), ev('foo-1.0-1')), [
      ['bodhi_update_push_stable', 'fedora-39'],
    ]);
    assert.deepEqual(
      changes.pairs(subject('bash-5.2.26-3.el9'), ev('bash-5.2.26-3.el9')),
      [],
      'rhel-9 matches no policy',
    );
  });
});

/** The decision part of a message, as `previous` carries it. */
function pick(m: DecisionUpdate) {
  const {
    policies_satisfied,
    summary,
    satisfied_requirements,
    unsatisfied_requirements,
    applicable_policies,
  } = m;
  return {
    policies_satisfied,
    summary,
    satisfied_requirements,
    unsatisfied_requirements,
    applicable_policies,
  };
}
