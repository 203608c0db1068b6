import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsumeMessage } from 'amqplib';
import type { WaiverJson } from '../../waivers/waiver-json.js';
import { serviceWithSubscriber } from '../support/amqp-harness.js';
import { requireBroker } from '../support/broker.js';
import { testConfig } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

test('a POSTed waiver reaches RabbitMQ as waiverdb.waiver.new: routing key, JSON body as the API answered it, persistent, schema header', {
  timeout: 60_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const config = testConfig({}, { amqpUrl: url });
  const {
    base,
    channel: ch,
    queue,
  } = await serviceWithSubscriber(t, config, [`${config.bus.topicPrefix}waiverdb.#`]);
  const received: ConsumeMessage[] = [];
  await ch.consume(queue, (m) => void (m && received.push(m)), { noAck: true });

  const res = await fetch(`${base}/api/v1.0/waivers/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([
      {
        subject_type: 'brew-build',
        subject_identifier: 'bash-5.2.26-3.el10',
        testcase: 'baseos-ci.brew-build.tier1.functional',
        scenario: 'x86_64',
        product_version: 'rhel-10',
        comment: 'infrastructure outage',
      },
      {
        subject_type: 'koji_build',
        subject_identifier: 'bash-5.2.26-3.fc42',
        testcase: 'dist.rpmdeplint',
        product_version: 'fedora-42',
        comment: 'revoked',
        waived: false,
      },
    ]),
  });
  assert.equal(res.status, 201);
  const answered = (await res.json()) as WaiverJson[];

  await waitFor('both waivers on the broker', () => received.length >= 2);
  assert.equal(received.length, 2);
  assert.deepEqual(
    received.map((m) => m.fields.routingKey),
    [`${config.bus.topicPrefix}waiverdb.waiver.new`, `${config.bus.topicPrefix}waiverdb.waiver.new`],
  );
  assert.deepEqual(
    received.map((m) => JSON.parse(m.content.toString('utf8')) as WaiverJson),
    answered,
  );
  for (const m of received) {
    assert.equal(m.properties.contentType, 'application/json');
    assert.equal(m.properties.deliveryMode, 2, 'persistent');
    assert.match(String(m.properties.messageId), /^[0-9a-f-]{36}$/);
    assert.equal(m.properties.headers?.sluice_schema, 'https://sluice.dev/schemas/waiverdb.waiver.new.json');
  }
  assert.notEqual(received[0]!.properties.messageId, received[1]!.properties.messageId);
  const [first] = answered;
  assert.equal(first!.subject_type, 'koji_build', 'brew-build stored and published as koji_build');
  assert.equal(answered[1]!.waived, false);
});
