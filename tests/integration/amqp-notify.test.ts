import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { requireBroker } from '../support/broker.js';
import { decisionUpdate, SATISFIED, UNSATISFIED } from '../support/notify-fixtures.js';
import { notifyHarness } from '../support/notify-service.js';
import { waitFor } from '../support/wait-for.js';

test('a greenwave.decision.update published on RabbitMQ becomes a mail at the SMTP server, once even when delivered twice', {
  timeout: 60_000,
}, async (t) => {
  const url = requireBroker(t);
  if (!url) return;
  const h = await notifyHarness(
    t,
    {
      maintainers: { bash: ['bash-maint@example.org'] },
      rules: [
        {
          name: 'gating',
          mail: 'decision-changed',
          recipients: ['maintainers'],
          when: { decision: 'became-unsatisfied' },
          debounceSeconds: 0,
        },
      ],
    },
    { amqpUrl: url },
  );
  const { config } = h.service.ctx;
  // Published as Greenwave would: straight to the exchange, its own message id.
  const conn = await amqp.connect(url);
  t.after(() => conn.close());
  const ch = await conn.createConfirmChannel();
  const messageId = randomUUID();
  const body = Buffer.from(JSON.stringify(decisionUpdate(SATISFIED, UNSATISFIED)));
  for (let i = 0; i < 2; i++) {
    ch.publish(config.bus.exchange, `${config.bus.topicPrefix}greenwave.decision.update`, body, {
      messageId,
      persistent: true,
      contentType: 'application/json',
    });
    await ch.waitForConfirms();
  }
  // A change this rule does not mail about.
  ch.publish(
    config.bus.exchange,
    `${config.bus.topicPrefix}greenwave.decision.update`,
    Buffer.from(JSON.stringify(decisionUpdate(UNSATISFIED, SATISFIED))),
    {
      messageId: randomUUID(),
      persistent: true,
      contentType: 'application/json',
    },
  );
  await ch.waitForConfirms();

  const [mail] = await h.smtp.waitForMails(1);
  await waitFor('every message handled', async () => (await fetch(`${h.base}/readyz`)).ok);
  await sleep(1000);
  assert.equal(h.smtp.received.length, 1);
  assert.deepEqual(mail!.to, ['bash-maint@example.org']);
  assert.equal(
    mail!.subject,
    '[sluice] gating bash-5.2.26-3.fc41 (fedora-41, bodhi_update_push_stable): satisfied → unsatisfied',
  );
  const { data } = await h.outbox();
  assert.equal(data.length, 1);
  assert.equal(data[0]!.source_message_id, messageId);
  assert.equal(data[0]!.state, 'sent');
});
