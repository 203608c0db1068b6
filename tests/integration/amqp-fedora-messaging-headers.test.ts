import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsumeMessage } from 'amqplib';
import { serviceWithSubscriber } from '../support/amqp-harness.js';
import { requireBroker } from '../support/broker.js';
import { ciMessage, ciTopic } from '../support/ci-messages.js';
import { policiesDir, RPMDEPLINT_STABLE } from '../support/policies-dir.js';
import { testConfig } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

/**
 * What fedora-messaging's consumer side does with a delivery, step by step
 * (fedora_messaging/message.py, get_message and Message.validate), as the problems it would log
 * or raise: every "A publisher is misbehaving!" error, a missing content encoding, a body that is
 * not UTF-8 JSON, and headers failing Message.headers_schema. Debian has no
 * python3-fedora-messaging to run the real thing, so this follows that file's checks.
 */
function fedoraMessagingProblems(m: ConsumeMessage): string[] {
  const problems: string[] = [];
  const headers = m.properties.headers as Record<string, unknown> | undefined;
  if (headers === undefined || headers === null)
    return ['arrived without headers. A publisher is misbehaving!'];
  if (!('fedora_messaging_schema' in headers))
    problems.push('arrived without a schema header. A publisher is misbehaving!');
  if (!('fedora_messaging_severity' in headers))
    problems.push('arrived without a severity. A publisher is misbehaving! Defaulting to INFO.');
  if (m.properties.contentEncoding == null) problems.push('Message arrived without a content encoding');
  let body: unknown;
  try {
    body = JSON.parse(
      new TextDecoder(String(m.properties.contentEncoding ?? 'utf-8'), { fatal: true }).decode(m.content),
    );
  } catch (err) {
    problems.push(`body: ${String(err)}`);
  }
  // Message.headers_schema and body_schema (base.message; ci_messages.CIMessageV1 keeps the headers schema).
  if (![10, 20, 30, 40].includes(headers.fedora_messaging_severity as number))
    problems.push('headers.fedora_messaging_severity: not one of 10, 20, 30, 40');
  for (const key of ['fedora_messaging_schema', 'fedora_messaging_schema_package', 'sent-at']) {
    if (key in headers && typeof headers[key] !== 'string') problems.push(`headers.${key}: not a string`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    problems.push('body: not a JSON object');
  return problems;
}

test("resultsdb.result.new, waiverdb.waiver.new, greenwave.decision.update and CI messages on RabbitMQ carry fedora-messaging's properties and headers", {
  timeout: 60_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const config = testConfig({ gating: { policiesDir: policiesDir(RPMDEPLINT_STABLE) } }, { amqpUrl: url });
  const topics = ['resultsdb.result.new', 'waiverdb.waiver.new', 'greenwave.decision.update', 'ci.#'];
  const {
    base,
    channel: ch,
    queue,
  } = await serviceWithSubscriber(
    t,
    config,
    topics.map((topic) => config.bus.topicPrefix + topic),
  );
  const received = new Map<string, ConsumeMessage>();
  await ch.consume(
    queue,
    (m) => void (m && received.set(m.fields.routingKey.slice(config.bus.topicPrefix.length), m)),
    { noAck: true },
  );
  const post = async (p: string, body: unknown) => {
    const res = await fetch(base + p, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.ok(res.status < 300, `${p}: ${res.status} ${await res.text()}`);
  };

  const nvr = 'bash-5.2.26-3.fc41';
  // As resultsdb_api's create_result sends it; the failure changes the stable decision.
  await post('/api/v2.0/results', {
    testcase: { name: 'dist.rpmdeplint' },
    outcome: 'FAILED',
    data: { item: nvr, type: 'koji_build' },
  });
  // As waiverdb-cli sends a waiver.
  await post('/api/v1.0/waivers/', {
    subject_type: 'koji_build',
    subject_identifier: nvr,
    testcase: 'dist.rpmdeplint',
    product_version: 'fedora-41',
    waived: true,
    comment: 'known rpmdeplint flake',
  });
  const ci = ciTopic('koji-build', 'complete');
  await post('/api/v1/messages', { topic: ci, body: ciMessage('koji-build', 'complete') });

  const expected: Record<string, string> = {
    'resultsdb.result.new': 'base.message',
    'waiverdb.waiver.new': 'base.message',
    'greenwave.decision.update': 'base.message',
    [ci]: 'ci_messages.CIMessageV1',
  };
  await waitFor('a message on each topic', () => Object.keys(expected).every((k) => received.has(k)));
  const sentAfter = Date.now() - 60_000;
  for (const [topic, schema] of Object.entries(expected)) {
    const m = received.get(topic)!;
    assert.deepEqual(fedoraMessagingProblems(m), [], topic);
    // The AMQP properties of fedora_messaging.message.Message._build_properties.
    assert.equal(m.properties.contentType, 'application/json', topic);
    assert.equal(m.properties.contentEncoding, 'utf-8', topic);
    assert.equal(m.properties.deliveryMode, 2, topic);
    assert.match(
      String(m.properties.messageId),
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      topic,
    );
    const h = m.properties.headers!;
    assert.equal(h.fedora_messaging_schema, schema, topic);
    assert.equal(h.fedora_messaging_severity, 20, `${topic}: INFO, as Message publishes by default`);
    assert.equal(h.priority, 0, `${topic}: the priority header fedora-messaging mirrors, 0 by default`);
    // wire-format.rst: ISO 8601 with the UTC offset, no fractions of a second.
    assert.match(String(h['sent-at']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/, topic);
    assert.ok(Date.parse(String(h['sent-at'])) > sentAfter, topic);
    // No filter headers: the upstream services' base.message has no usernames or packages.
    assert.deepEqual(
      Object.keys(h).filter((k) => /^fedora_messaging_(user|group|rpm|container|module|flatpak)_/.test(k)),
      [],
      topic,
    );
  }
  assert.equal(received.get(ci)!.properties.headers!.fedora_messaging_schema_package, 'ci_messages');
  assert.equal(
    received.get('resultsdb.result.new')!.properties.headers!.fedora_messaging_schema_package,
    undefined,
  );
  // Sluice's own JSON Schema id stays beside them.
  assert.equal(
    received.get('waiverdb.waiver.new')!.properties.headers!.sluice_schema,
    'https://sluice.dev/schemas/waiverdb.waiver.new.json',
  );
});
