import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { migrate } from '../../db/migrate.js';
import { openDatabase } from '../../db/open-database.js';
import { ResultsStore } from '../../db/results-store.js';
import { DecisionCache } from '../../gating/decision-cache.js';
import { Outbox } from '../../db/outbox.js';
import { SluiceService } from '../../service/sluice-service.js';
import { policiesDir, RPMDEPLINT_STABLE } from '../support/policies-dir.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';

describe('DecisionCache', () => {
  test('drops an answer when one of its subjects changes, everything on clear, the oldest beyond max, and at its time to live', () => {
    let now = 0;
    const cache = new DecisionCache(2, () => now);
    cache.set('a', ['x', 'y'], '"A"');
    cache.set('b', ['y'], '"B"');
    assert.equal(cache.get('a'), '"A"');
    cache.invalidate('x');
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.get('b'), '"B"');
    cache.set('c', ['z'], '"C"', 100);
    cache.set('d', ['w'], '"D"');
    assert.equal(cache.get('b'), undefined, 'the oldest went when a third was kept');
    now = 99;
    assert.equal(cache.get('c'), '"C"');
    now = 100;
    assert.equal(cache.get('c'), undefined, 'expired');
    cache.clear();
    assert.equal(cache.size, 0);
    cache.set('e', ['v'], '"E"', 0);
    assert.equal(cache.get('e'), undefined, 'a time to live of 0 keeps nothing');
  });
});

describe('cached decision answers are never stale', () => {
  let service: SluiceService;
  let base: string;
  before(async () => {
    const dir = policiesDir(RPMDEPLINT_STABLE);
    service = await SluiceService.create({
      config: testConfig({ gating: { policiesDir: dir } }),
      log: silentLogger(),
      registry: testRegistry(),
    });
    base = (await service.start())!;
  });
  after(() => service?.stop());

  const post = async (p: string, body: unknown) => {
    const res = await fetch(base + p, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      body: (await res.json()) as Record<string, unknown>,
    };
  };
  const decide = (nvr: string) =>
    post('/api/v1.0/decision', {
      product_version: 'fedora-41',
      decision_context: 'bodhi_update_push_stable',
      subject_type: 'koji_build',
      subject_identifier: nvr,
    });

  test('a result or a waiver of the subject, through the API, changes the next answer at once', async () => {
    const nvr = 'bash-5.2.26-3.fc41';
    const first = await decide(nvr);
    assert.equal(first.status, 200);
    assert.equal(first.type, 'application/json; charset=utf-8');
    assert.equal(first.body.summary, 'Of 1 required test, 1 result missing');
    assert.deepEqual(await decide(nvr), first, 'asked again: the same answer');

    assert.equal(
      (
        await post('/api/v2.0/results', {
          testcase: 'dist.rpmdeplint',
          outcome: 'FAILED',
          data: { item: nvr, type: 'koji_build' },
        })
      ).status,
      201,
    );
    assert.equal((await decide(nvr)).body.summary, 'Of 1 required test, 1 test failed');

    assert.equal(
      (
        await post('/api/v1.0/waivers/', {
          subject_type: 'koji_build',
          subject_identifier: nvr,
          testcase: 'dist.rpmdeplint',
          product_version: 'fedora-41',
          comment: 'known',
        })
      ).status,
      201,
    );
    const waived = await decide(nvr);
    assert.equal(waived.body.policies_satisfied, true);
    assert.equal(
      (waived.body.satisfied_requirements as Array<{ type: string }>)[0]!.type,
      'test-result-failed-waived',
    );
  });

  test('a result stored by another process (another connection to the database) changes the next answer too', async () => {
    const nvr = 'zsh-5.9-15.fc41';
    assert.equal((await decide(nvr)).body.summary, 'Of 1 required test, 1 result missing');
    const config = service.ctx.config;
    const other = openDatabase(config.db.path);
    migrate(other);
    ResultsStore.open(other, new Outbox(other, testRegistry()), config).submit({
      testcase: 'dist.rpmdeplint',
      outcome: 'PASSED',
      data: { item: nvr, type: 'koji_build' },
    });
    other.close();
    const now = await decide(nvr);
    assert.equal(now.body.policies_satisfied, true);
    assert.equal(now.body.summary, 'All required tests (1 total) have passed or been waived');
  });
});
