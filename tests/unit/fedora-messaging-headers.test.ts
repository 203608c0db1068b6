import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fedoraMessagingHeaders, fedoraSchemaFor, fedoraSentAt } from '../../bus/fedora-messaging-headers.js';
import { publishedHeaders, publishProperties } from '../../bus/publish-properties.js';

describe('fedora-messaging headers', () => {
  test('the schema name a consumer looks the class up by: base.message for what ResultsDB, WaiverDB and Greenwave publish, ci_messages.CIMessageV1 for Fedora CI topics', () => {
    assert.deepEqual(fedoraSchemaFor('resultsdb.result.new'), { schema: 'base.message' });
    assert.deepEqual(fedoraSchemaFor('waiverdb.waiver.new'), { schema: 'base.message' });
    assert.deepEqual(fedoraSchemaFor('greenwave.decision.update'), { schema: 'base.message' });
    assert.deepEqual(fedoraSchemaFor('pipeline.job.started'), { schema: 'base.message' });
    // ci_messages picks its JSON schema by the topic's last three words: <artifact>.<event>.<state>.
    assert.deepEqual(fedoraSchemaFor('ci.koji-build.test.complete'), {
      schema: 'ci_messages.CIMessageV1',
      schemaPackage: 'ci_messages',
    });
    assert.deepEqual(fedoraSchemaFor('ci.productmd-compose.build.error'), {
      schema: 'ci_messages.CIMessageV1',
      schemaPackage: 'ci_messages',
    });
    assert.deepEqual(
      fedoraSchemaFor('ci.koji-build.test'),
      { schema: 'base.message' },
      'not <artifact>.<event>.<state>',
    );
    for (const topic of [
      'ci.koji-build.test.complete.x',
      'ci..test.complete',
      'ci.koji-build..complete',
      'ci.a.b.',
      'cix.a.b.c',
      'ci',
    ])
      assert.deepEqual(fedoraSchemaFor(topic), { schema: 'base.message' }, topic);
    assert.deepEqual(fedoraSchemaFor('ci.a.b.c'), {
      schema: 'ci_messages.CIMessageV1',
      schemaPackage: 'ci_messages',
    });
  });

  test('sent-at as fedora-messaging writes it: UTC offset, no fractions of a second (docs/api/wire-format.rst)', () => {
    assert.equal(fedoraSentAt(new Date(Date.UTC(2019, 6, 30, 19, 12, 22, 987))), '2019-07-30T19:12:22+00:00');
  });

  test('the set Message._build_properties puts on a base.message, and nothing else', () => {
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    assert.deepEqual(fedoraMessagingHeaders('waiverdb.waiver.new', at), {
      fedora_messaging_schema: 'base.message',
      fedora_messaging_severity: 20,
      priority: 0,
      'sent-at': '2026-01-02T03:04:05+00:00',
    });
  });

  test("a caller's headers travel, but cannot pass a message off as another schema", () => {
    const h = publishedHeaders(
      'resultsdb.result.new',
      'https://sluice.dev/schemas/resultsdb.result.new.json',
      {
        'x-sluice-request-id': 'req-1',
        fedora_messaging_schema: 'bodhi.update.comment',
        sluice_schema: 'forged',
      },
    );
    assert.equal(h['x-sluice-request-id'], 'req-1');
    assert.equal(h.fedora_messaging_schema, 'base.message');
    assert.equal(h.sluice_schema, 'https://sluice.dev/schemas/resultsdb.result.new.json');
  });

  test('the AMQP properties fedora-messaging sets: JSON in UTF-8, persistent, the message id', () => {
    const p = publishProperties(
      'greenwave.decision.update',
      '0190f3a2-7c1e-7d3a-9b1c-2f4e5a6b7c8d',
      'https://sluice.dev/schemas/greenwave.decision.update.json',
    );
    assert.equal(p.contentType, 'application/json');
    assert.equal(p.contentEncoding, 'utf-8');
    assert.equal(p.persistent, true);
    assert.equal(p.messageId, '0190f3a2-7c1e-7d3a-9b1c-2f4e5a6b7c8d');
    assert.equal(p.headers?.fedora_messaging_schema, 'base.message');
    assert.equal(p.headers?.fedora_messaging_severity, 20);
  });

  test('sent-at follows the clock second by second, also when the clock steps back', () => {
    const at = Date.UTC(2026, 11, 6, 4, 59, 59, 1);
    assert.equal(fedoraSentAt(at), '2026-12-06T04:59:59+00:00');
    assert.equal(fedoraSentAt(at + 998), '2026-12-06T04:59:59+00:00');
    assert.equal(fedoraSentAt(at + 999), '2026-12-06T05:00:00+00:00');
    assert.equal(fedoraSentAt(new Date(at - 2)), '2026-12-06T04:59:58+00:00');
    assert.equal(fedoraSentAt(-1), '1969-12-31T23:59:59+00:00');
  });

  test("on the wire: the caller's headers first, in their order, then fedora-messaging's, then the schema id", () => {
    const h = publishedHeaders(
      'ci.koji-build.test.complete',
      'https://sluice.dev/schemas/ci.test.complete.json',
      { 'x-sluice-request-id': 'req-1', priority: 7, 'sluice-handled-by': 'sluice.results' },
      Date.UTC(2026, 0, 2, 3, 4, 5, 600),
    );
    // AMQP field tables keep the order amqplib reads the keys in (Object.keys).
    assert.deepEqual(Object.entries(h), [
      ['x-sluice-request-id', 'req-1'],
      ['priority', 0],
      ['sluice-handled-by', 'sluice.results'],
      ['fedora_messaging_schema', 'ci_messages.CIMessageV1'],
      ['fedora_messaging_schema_package', 'ci_messages'],
      ['fedora_messaging_severity', 20],
      ['sent-at', '2026-01-02T03:04:05+00:00'],
      ['sluice_schema', 'https://sluice.dev/schemas/ci.test.complete.json'],
    ]);
  });

  test('a __proto__ header from the wire stays a header and leaves the object an ordinary one', () => {
    const h = publishedHeaders('resultsdb.result.new', 'S', JSON.parse('{"__proto__": "x", "a": 1}'));
    assert.deepEqual(Object.keys(h).slice(0, 2), ['__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(h), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(h, '__proto__')?.value, 'x');
  });
});
