import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { channelFactories } from '../support/notification-channels.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The notification-channel contract, one suite run against mail, webhooks and chat: only the
 * factory changes (tests/support/notification-channels.ts, as tests/integration/bus-contract.test.ts
 * does for the buses). Each channel writes the outbox in its caller's transaction and is sent by
 * the one sender, so retries, refusals and outages must look the same whatever the channel.
 */
for (const factory of channelFactories) {
  describe(`notification channel contract: ${factory.name}`, () => {
    test('a notice written in a committed transaction is delivered once; one rolled back never is', {
      timeout: 20_000,
    }, async (t) => {
      const d = await factory.open(t);
      d.enqueueAndRollBack(1);
      const id = d.enqueue(2);
      assert.ok(id !== null);
      d.sender.start();
      d.sender.kick();
      await waitFor('the notice sent', () => d.outbox.get(id)?.state === 'sent');
      assert.deepEqual(
        d.received().map((r) => r.n),
        [2],
      );
      assert.equal(d.outbox.get(id)?.attempts, 1);
      assert.deepEqual(d.outbox.counts(), { pending: 0, sending: 0, sent: 1, failed: 0, cancelled: 0 });
    });

    test('a refusal for now is retried after a backoff, as the same notification', {
      timeout: 20_000,
    }, async (t) => {
      const d = await factory.open(t);
      d.mood = 'later';
      const id = d.enqueue(3)!;
      d.sender.start();
      await waitFor('a refused attempt', () => d.attempts().length >= 1);
      d.mood = 'accept';
      await waitFor('the notice sent', () => d.outbox.get(id)?.state === 'sent');
      const attempts = d.attempts();
      assert.ok(attempts.length >= 2);
      assert.equal(
        new Set(attempts.map((a) => a.identity)).size,
        1,
        'every attempt is the same notification',
      );
      assert.deepEqual(
        d.received().map((r) => r.n),
        [3],
      );
      assert.equal(d.outbox.get(id)?.attempts, attempts.length);
    });

    test("a refusal for good is marked failed with the other side's reason, after one attempt", {
      timeout: 20_000,
    }, async (t) => {
      const d = await factory.open(t);
      d.mood = 'never';
      const id = d.enqueue(4)!;
      d.sender.start();
      await waitFor('the notice failed', () => d.outbox.get(id)?.state === 'failed');
      const entry = d.outbox.get(id)!;
      assert.equal(entry.attempts, 1);
      assert.match(entry.last_error ?? '', d.refusal);
      assert.equal(d.received().length, 0);
    });

    test('an outage of the far side is waited out, then the notice goes', { timeout: 20_000 }, async (t) => {
      const d = await factory.open(t);
      await d.stop();
      const id = d.enqueue(5)!;
      d.sender.start();
      await waitFor('two attempts in the outage', () => {
        const e = d.outbox.get(id)!;
        return e.attempts >= 2 && e.state === 'pending' ? e : undefined;
      });
      assert.ok(d.outbox.get(id)!.last_error, 'the outage is on record');
      await d.start();
      await waitFor('the notice sent', () => d.outbox.get(id)?.state === 'sent', 15_000);
      assert.deepEqual(
        d.received().map((r) => r.n),
        [5],
      );
    });

    test('a dedup key admits one notification, ever', { timeout: 20_000 }, async (t) => {
      const d = await factory.open(t);
      assert.ok(d.enqueue(6, 'run-report:contract:17') !== null);
      assert.equal(d.enqueue(7, 'run-report:contract:17'), null);
      assert.equal(d.outbox.counts().pending, 1);
    });
  });
}
