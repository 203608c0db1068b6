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
});
