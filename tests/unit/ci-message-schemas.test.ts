import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageValidationError } from '../../errors/message-validation-error.js';
import { SchemaRegistry } from '../../schemas/schema-registry.js';
import { ARTIFACT_KINDS, ARTIFACTS, STATES, ciMessage, ciTopic } from '../support/ci-messages.js';
import { FEDORA_CI_FIXTURES, fixture } from '../support/fedora-ci-fixtures.js';

const registry = new SchemaRegistry();

function problems(topic: string, body: unknown): string[] {
  try {
    registry.validate(topic, body);
    return [];
  } catch (err) {
    assert.ok(err instanceof MessageValidationError, String(err));
    return err.problems;
  }
}

test('a message of every artifact type, event and state is accepted under its topic schema', () => {
  for (const kind of ARTIFACT_KINDS) {
    for (const state of STATES) {
      assert.deepEqual(problems(ciTopic(kind, state), ciMessage(kind, state)), [], `${kind} test ${state}`);
      assert.deepEqual(
        problems(ciTopic(kind, state, 'build'), ciMessage(kind, state, { test: null })),
        [],
        `${kind} build ${state}`,
      );
      assert.equal(
        registry.schemaIdFor(ciTopic(kind, state)),
        `https://sluice.dev/schemas/ci.test.${state}.json`,
      );
    }
  }
});

test('fields the specification does not know are allowed, as it allows them', () => {
  const body = ciMessage('koji-build', 'complete');
  body.contact = { ...(body.contact as object), environment: 'production' };
  body.extra = { anything: true };
  assert.deepEqual(problems('ci.koji-build.test.complete', body), []);
});

test('what each state requires is required, with the field named', () => {
  const complete = ciMessage('koji-build', 'complete');
  delete (complete.test as Record<string, unknown>).result;
  delete complete.system;
  assert.deepEqual(problems('ci.koji-build.test.complete', complete).sort(), [
    'body.system: is required',
    'body.test.result: is required',
  ]);

  const error = ciMessage('koji-build', 'error');
  delete error.error;
  assert.deepEqual(problems('ci.koji-build.test.error', error), ['body.error: is required']);

  const queued = ciMessage('koji-build', 'queued');
  delete (queued.test as Record<string, unknown>).namespace;
  delete queued.generated_at;
  assert.deepEqual(problems('ci.koji-build.test.queued', queued).sort(), [
    'body.generated_at: is required',
    'body.test.namespace: is required',
  ]);

  assert.deepEqual(problems('ci.koji-build.build.error', ciMessage('koji-build', 'queued', { test: null })), [
    'body.error: is required',
  ]);
});

test('the test result and category must be ones the specification names', () => {
  const body = ciMessage('koji-build', 'complete', { testFields: { result: 'PASS', category: 'smoke' } });
  const found = problems('ci.koji-build.test.complete', body);
  assert.ok(
    found.some((p) =>
      p.startsWith(
        'body.test.result: must be one of "passed", "failed", "info", "needs_inspection", "not_applicable"',
      ),
    ),
    found.join('\n'),
  );
  assert.ok(
    found.some((p) => p.startsWith('body.test.category: must be one of "functional"')),
    found.join('\n'),
  );
});

test('an artifact is checked against its own type only, so the errors name what that type lacks', () => {
  const { nvr: _nvr, ...noNvr } = ARTIFACTS['koji-build'].artifact;
  assert.deepEqual(
    problems('ci.koji-build.test.queued', ciMessage('koji-build', 'queued', { artifact: noNvr })),
    ['body.artifact.nvr: is required'],
  );

  const { nvr: _n, full_names: _f, ...anonymous } = ARTIFACTS['container-image'].artifact;
  const found = problems(
    'ci.container-image.test.queued',
    ciMessage('container-image', 'queued', { artifact: anonymous }),
  );
  assert.ok(
    found.includes('body.artifact.nvr: is required') &&
      found.includes('body.artifact.full_names: is required'),
    found.join('\n'),
  );

  // A type Sluice has no branch for is not refused: the results consumer acknowledges it without a
  // result and counts it (tests/integration/amqp-ci-ingestion.test.ts), rather than dead-lettering others' messages.
  assert.deepEqual(
    problems(
      'ci.copr-build.test.queued',
      ciMessage('koji-build', 'queued', { artifact: { type: 'copr-build', id: 1 } }),
    ),
    [],
  );
});

test('a testcase name part with a space, or a contact email that is not one, is refused', () => {
  const body = ciMessage('fedora-update', 'running', { testFields: { type: 'tier 1' } });
  body.contact = { name: 'CI', team: 'ci', email: 'not an email' };
  assert.deepEqual(problems('ci.fedora-update.test.running', body).sort(), [
    'body.contact.email: must match format "email"',
    'body.test.type: must match pattern "^\\S+$"',
  ]);
});

test('result.submit needs a testcase and an outcome; the rest is for the results store to judge', () => {
  assert.deepEqual(
    problems('result.submit', {
      testcase: { name: 'dist.rpmdeplint' },
      outcome: 'PASSED',
      data: { item: 'bash-5.2.26-3.fc41' },
    }),
    [],
  );
  assert.deepEqual(problems('result.submit', { testcase: 'dist.rpmdeplint', outcome: 'whatever' }), []);
  assert.deepEqual(problems('result.submit', { data: {} }).sort(), [
    'body.outcome: is required',
    'body.testcase: is required',
  ]);
});

// Bodies in the exact shapes Fedora CI's producers send (tests/support/fedora-ci-fixtures.ts names the upstream file of each).
test('every message Fedora CI sends, for every artifact and state, is accepted by its topic schema', () => {
  for (const f of FEDORA_CI_FIXTURES) assert.deepEqual(problems(f.topic, f.body), [], f.name);
});

test('the shapes the pipeline library sends that the published schemas refuse are accepted', () => {
  // test.complete with "system": [] (RpmBuildMessageBuilder.groovy: msgTemplate['system'] = []).
  const koji = fixture('koji-build.test.complete');
  assert.deepEqual(koji.body.system, []);
  assert.deepEqual(problems(koji.topic, koji.body), []);
  // The scenario appended to the category on purpose (OSCI-2612).
  assert.equal((koji.body.test as { category: string }).category, 'validation/scenario=python-requests');
  // fedora-update: release as {version, name}, id the sha256 of the nvrs, the alias apart.
  const update = fixture('fedora-update.test.complete');
  assert.deepEqual((update.body.artifact as { release: unknown }).release, { version: '41', name: 'F41' });
  assert.deepEqual(problems(update.topic, update.body), []);
  // system[].label as a list (the specification) and as a string (pull-request.test.complete-template.json).
  for (const label of [['x86_64', 'kvm'], '']) {
    const body = fixture('koji-build.test.complete').body;
    body.system = [{ os: 'fedora-41', provider: 'testing-farm', architecture: 'x86_64', label }];
    assert.deepEqual(problems('ci.koji-build.test.complete', body), [], JSON.stringify(label));
  }
});

test('what the mapping reads is still checked strictly', () => {
  const scenarioless = fixture('koji-build.test.complete');
  (scenarioless.body.test as Record<string, unknown>).category = 'validation/scenario=';
  assert.ok(
    problems(scenarioless.topic, scenarioless.body).some((p) =>
      p.startsWith('body.test.category: must match pattern'),
    ),
  );

  const noAlias = fixture('fedora-update.test.complete');
  delete (noAlias.body.artifact as Record<string, unknown>).alias;
  const found = problems(noAlias.topic, noAlias.body);
  assert.ok(found.includes('body.artifact.alias: is required'), found.join('\n'));
  assert.ok(
    found.some((p) => p.startsWith('body.artifact.id: must match pattern')),
    found.join('\n'),
  );

  const noNvr = fixture('koji-build.test.complete');
  delete (noNvr.body.artifact as Record<string, unknown>).nvr;
  assert.deepEqual(problems(noNvr.topic, noNvr.body), ['body.artifact.nvr: is required']);

  const system = fixture('koji-build.test.complete');
  system.body.system = [{ architecture: 64 }];
  assert.deepEqual(problems(system.topic, system.body), ['body.system[0].architecture: must be string']);
});

test('other messages under ci. have a schema that takes any object, so that they are acknowledged rather than refused', () => {
  assert.equal(
    registry.schemaIdFor('ci.pipeline.allpackages-build.package.running'),
    'https://sluice.dev/schemas/ci.other.json',
  );
  assert.equal(
    registry.schemaIdFor('ci.koji-build.test.complete'),
    'https://sluice.dev/schemas/ci.test.complete.json',
  );
  assert.deepEqual(problems('ci.pipeline.allpackages-build.package.running', { build_id: 1 }), []);
  assert.deepEqual(problems('ci.pipeline.allpackages-build.package.running', 'text'), [
    'body: must be object',
  ]);
});
