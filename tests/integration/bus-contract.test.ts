import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  Bus,
  BusMessage,
  ConsumerSpec,
  DeadLetter,
  HandlerContext,
  HandlerResult,
} from '../../bus/bus.js';
import { storeOf } from '../../bus/effect-transaction.js';
import { MessageValidationError } from '../../errors/message-validation-error.js';
import { busFactories } from '../support/bus-deployments.js';
import { effectCounts, effectsConsumer, effectsOf } from '../support/effects-consumer.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The bus contract, one suite run against each bus: only the factory changes (as in bullmq's
 * tests/adapter-conformance.test.ts). What differs between the buses lives in the factory
 * (tests/support/bus-deployments.ts); a test body here that needed to know which bus it runs on
 * would be a difference in the contract.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A consumer that records what it is given. */
function recorder(
  name: string,
  topics: string[],
  handle: (m: BusMessage, ctx: HandlerContext) => HandlerResult | Promise<HandlerResult> = () => undefined,
) {
  const seen: BusMessage[] = [];
  const spec: ConsumerSpec = {
    name,
    topics,
    handle: (m, ctx) => {
      seen.push(m);
      return handle(m, ctx);
    },
  };
  return { spec, seen };
}

const ns = (messages: BusMessage[]) => messages.map((m) => (m.body as { n: number }).n);

async function deadLetters(bus: Bus, n: number, what = `${n} dead letters`): Promise<DeadLetter[]> {
  return waitFor(what, async () => {
    const list = await bus.listDeadLetters();
    return list.length === n ? list : undefined;
  });
}

for (const factory of busFactories) {
  const open = factory.open.bind(factory);

  describe(`bus contract: ${factory.name}: publish and consume`, () => {
    test('a published message reaches its consumer with id, topic, body and headers', async (t) => {
      const d = open(t);
      if (!d) return;
      const c = recorder('round-trip', ['test.#']);
      const bus = await d.bus([c.spec]);

      const receipt = await bus.publish('test.item', { n: 1, label: 'hello' }, { headers: { trace: 'abc' } });
      assert.match(receipt.messageId, UUID, 'a time-ordered UUID');
      assert.equal(receipt.topic, 'test.item');
      assert.equal(receipt.routingKey, `${d.config.topicPrefix}test.item`);
      assert.equal(receipt.schemaId, 'https://sluice.dev/schemas/test/test.item.json');

      await waitFor('the delivery', () => c.seen.length === 1);
      const m = c.seen[0]!;
      assert.equal(m.messageId, receipt.messageId);
      assert.equal(m.topic, 'test.item');
      assert.deepEqual(m.body, { n: 1, label: 'hello' });
      assert.equal(m.attempt, 1);
      assert.equal(m.topicPrefix, d.config.topicPrefix);
      assert.equal(m.headers.trace, 'abc');
      assert.equal(m.headers.sluice_schema, receipt.schemaId);
      assert.ok(!Number.isNaN(Date.parse(String(m.headers['sent-at']))), 'sent-at is a timestamp');
      // fedora-messaging's headers, for taps and consumers alike.
      assert.equal(m.headers.fedora_messaging_schema, 'base.message');
      assert.equal(m.headers.fedora_messaging_severity, 20);
    });

    test('a given messageId is kept', async (t) => {
      const d = open(t);
      if (!d) return;
      const c = recorder('keeps-id', ['test.#']);
      const bus = await d.bus([c.spec]);
      const receipt = await bus.publish('test.a', { n: 2 }, { messageId: 'my-own-id' });
      assert.equal(receipt.messageId, 'my-own-id');
      await waitFor('the delivery', () => c.seen.length === 1);
      assert.equal(c.seen[0]!.messageId, 'my-own-id');
    });

    test('routes by `*` and `#` bindings as RabbitMQ does, each consumer getting only what it is bound to', async (t) => {
      const d = open(t);
      if (!d) return;
      const consumers = {
        exact: recorder('exact', ['test.a.created']),
        star: recorder('star', ['test.*.created']),
        hash: recorder('hash', ['test.#']),
        hashMid: recorder('hash-mid', ['test.#.created']),
        oneWord: recorder('one-word', ['test.*']),
        endsInC: recorder('ends-in-c', ['#.c']),
        twoBindings: recorder('two-bindings', ['test.b.c', 'test.*.z']),
        git: recorder('git', ['git.*']),
      };
      const bus = await d.bus(Object.values(consumers).map((c) => c.spec));
      const topics = [
        'test.a.created',
        'test.b.created',
        'test.a.b.created',
        'test',
        'test.a.deleted',
        'test.b.c',
        'test.c',
        'test.q.z',
        'test.x.y.z',
      ];
      for (const [n, topic] of topics.entries()) await bus.publish(topic, { n });
      // The `#` consumer gets everything, in order, on one queue: once its last message is in,
      // the others' queues have had their share too; a short wait covers their handlers.
      await waitFor('every delivery to the catch-all', () => consumers.hash.seen.length === topics.length);
      const expected: Record<keyof typeof consumers, string[]> = {
        exact: ['test.a.created'],
        star: ['test.a.created', 'test.b.created'],
        hash: [...topics],
        hashMid: ['test.a.b.created', 'test.a.created', 'test.b.created'],
        oneWord: ['test.c'],
        endsInC: ['test.b.c', 'test.c'],
        twoBindings: ['test.b.c', 'test.q.z'],
        git: [],
      };
      const total = Object.values(expected).reduce((sum, l) => sum + l.length, 0);
      await waitFor(
        'every delivery',
        () => Object.values(consumers).reduce((sum, c) => sum + c.seen.length, 0) >= total,
      );
      await sleep(200);
      for (const [name, c] of Object.entries(consumers)) {
        assert.deepEqual(
          c.seen.map((m) => m.topic).sort(),
          expected[name as keyof typeof consumers].sort(),
          name,
        );
      }
    });

    test('a consumer with skipHandled never gets what was published as handled by it; everybody else does', async (t) => {
      const d = open(t);
      if (!d) return;
      const skipping = recorder('skips', ['test.#']);
      const all = recorder('all', ['test.#']);
      const bus = await d.bus([{ ...skipping.spec, skipHandled: true }, all.spec]);
      await bus.publish('test.a', { n: 1 }, { handledBy: 'skips' });
      await bus.publish('test.a', { n: 2 }, { handledBy: 'someone-else' });
      await bus.publish('test.a', { n: 3 });
      await bus.publish('test.a', { n: 4 }, { handledBy: 'skips' });
      await bus.publish('test.a', { n: 5 });
      // One queue, consumed in order: once 5 is in, 1 and 4 would be too had they got through.
      await waitFor('every delivery', () => all.seen.length === 5 && ns(skipping.seen).includes(5));
      assert.deepEqual(ns(skipping.seen), [2, 3, 5]);
      assert.deepEqual(ns(all.seen), [1, 2, 3, 4, 5]);
      assert.equal(all.seen[0]!.headers['sluice-handled-by'], `${d.config.queuePrefix}skips`);
    });

    test('subscribe taps matching topics until closed', async (t) => {
      const d = open(t);
      if (!d) return;
      const bus = await d.bus([]);
      const oneWord: string[] = [];
      const everything: string[] = [];
      const sub = await bus.subscribe(['test.*'], (m) => oneWord.push(m.topic));
      const all = await bus.subscribe(['test.#'], (m) => everything.push(m.topic));
      t.after(() => all.close());
      await bus.publish('test.a', { n: 1 });
      await bus.publish('test.a.b', { n: 2 });
      await waitFor('both taps', () => everything.length === 2 && oneWord.length === 1);
      await sub.close();
      await bus.publish('test.c', { n: 3 });
      await waitFor('the open tap', () => everything.length === 3);
      await sleep(100);
      assert.deepEqual(oneWord, ['test.a']);
      assert.deepEqual(everything, ['test.a', 'test.a.b', 'test.c']);
    });

    test('a consumer name registered twice is refused', async (t) => {
      const d = open(t);
      if (!d) return;
      const bus = await d.bus([recorder('twice', ['#']).spec], { start: false });
      assert.throws(() => bus.consume(recorder('twice', ['test.#']).spec), { code: 'CONSUMER_DUPLICATE' });
    });
  });

  describe(`bus contract: ${factory.name}: schema validation`, () => {
    const invalid: Array<[what: string, topic: string, body: unknown, code: string, problem: string]> = [
      ['a wrong type', 'test.a', { n: 'one' }, 'MESSAGE_INVALID', 'body.n: must be integer'],
      ['a value out of range', 'test.a', { n: -1 }, 'MESSAGE_INVALID', 'body.n: must be >= 0'],
      ['a missing field', 'test.a', { label: 'x' }, 'MESSAGE_INVALID', 'body.n: is required'],
      [
        'an unknown field',
        'test.a',
        { n: 1, colour: 'red' },
        'MESSAGE_INVALID',
        'body.colour: is not an allowed property',
      ],
      ['a body that is not an object', 'test.a', 'text', 'MESSAGE_INVALID', 'body: must be object'],
      [
        'a topic without a schema',
        'nobody.knows',
        { n: 1 },
        'TOPIC_UNKNOWN',
        'topic: no schema is registered for "nobody.knows"',
      ],
      [
        'a malformed topic',
        'test..a',
        { n: 1 },
        'TOPIC_INVALID',
        'topic: must be dot-separated words of letters, digits, "-" or "_"',
      ],
    ];
    for (const [what, topic, body, code, problem] of invalid) {
      test(`publish of ${what}: rejects with ${code} naming "${problem.split(':')[0]}", and sends nothing`, async (t) => {
        const d = open(t);
        if (!d) return;
        const c = recorder('validating', ['#']);
        const tapped: string[] = [];
        const bus = await d.bus([c.spec]);
        await bus.subscribe(['#'], (m) => tapped.push(m.messageId));
        await assert.rejects(bus.publish(topic, body), (err: unknown) => {
          assert.ok(err instanceof MessageValidationError, `a MessageValidationError, not ${String(err)}`);
          assert.equal(err.code, code);
          assert.equal(err.topic, topic);
          assert.ok(
            err.problems.includes(problem),
            `problems ${JSON.stringify(err.problems)} include ${JSON.stringify(problem)}`,
          );
          assert.ok(err.message.includes(problem));
          return true;
        });
        // A valid message after it: once it arrived, the refused one would have been there first.
        const marker = await bus.publish('test.marker', { n: 0 });
        await waitFor('the marker', () => c.seen.length === 1 && tapped.length === 1);
        assert.deepEqual(
          c.seen.map((m) => m.messageId),
          [marker.messageId],
        );
        assert.deepEqual(tapped, [marker.messageId]);
      });
    }

    test('a body that skipped validation (invalid, or not JSON) is dead-lettered with the reason; the consumer keeps going', async (t) => {
      const d = open(t);
      if (!d) return;
      const bus = await d.bus([effectsConsumer('strict', ['test.#'])]);
      // publishSerialized sends what it is given, as the outbox does: a producer's mistake gets through.
      await bus.publishSerialized('test.bad', JSON.stringify({ n: -1, extra: true }), {
        messageId: 'bad-schema',
      });
      await bus.publishSerialized('test.bad', '{"n": 1,', { messageId: 'not-json' });
      await bus.publish('test.good', { n: 7 }, { messageId: 'good' });

      await waitFor('the good message', () => effectCounts(d.db, 'strict').rows === 1);
      const letters = await deadLetters(bus, 2);
      const byId = new Map(letters.map((l) => [l.messageId, l]));
      assert.match(byId.get('bad-schema')!.reason, /schema validation failed: .*body\.n: must be >= 0/);
      assert.match(byId.get('bad-schema')!.reason, /body\.extra: is not an allowed property/);
      assert.deepEqual(byId.get('bad-schema')!.body, { n: -1, extra: true });
      assert.equal(byId.get('bad-schema')!.queue, `${d.config.queuePrefix}strict`);
      assert.equal(byId.get('bad-schema')!.topic, 'test.bad');
      assert.equal(byId.get('bad-schema')!.attempts, 1, 'not retried: it can never pass');
      assert.match(byId.get('not-json')!.reason, /body is not valid JSON/);
      assert.equal(byId.get('not-json')!.body, '{"n": 1,', 'the raw text is kept for the reader');
      // Listing does not consume: they are still there.
      assert.equal((await bus.listDeadLetters()).length, 2);
      assert.deepEqual(
        effectsOf(d.db, 'strict').map((e) => e.n),
        [7],
      );
    });
  });

  describe(`bus contract: ${factory.name}: retries and dead letters`, () => {
    const failures: Array<[what: string, fail: () => HandlerResult]> = [
      [
        'throws',
        () => {
          throw new Error('boom: the disk is on fire');
        },
      ],
      ['returns {retry}', () => ({ retry: 'boom: the disk is on fire' })],
    ];
    for (const [what, fail] of failures) {
      test(`a handler that always ${what} is tried maxAttempts times with backoff, dead-lettered with the reason, and can be replayed`, async (t) => {
        const d = open(t, { bus: { retry: { maxAttempts: 3, delayMs: 100, backoffFactor: 2 } } });
        if (!d) return;
        let broken = true;
        let handled = 0;
        const times: number[] = [];
        const c = recorder('flaky', ['test.#'], () => {
          times.push(Date.now());
          if (broken) return fail();
          handled++;
          return undefined;
        });
        const bus = await d.bus([c.spec]);
        const { messageId } = await bus.publish('test.flaky', { n: 7 });

        const [letter] = await deadLetters(bus, 1, 'the dead letter');
        assert.deepEqual(
          c.seen.map((m) => m.attempt),
          [1, 2, 3],
          'the handler was called exactly maxAttempts times',
        );
        // delayMs 100 with backoffFactor 2: the retries wait about 100 ms, then about 200 ms.
        const gaps = [times[1]! - times[0]!, times[2]! - times[1]!];
        assert.ok(
          gaps[0]! >= 90 && gaps[1]! >= 190,
          `retries wait with backoff (gaps ${gaps.join(', ')} ms)`,
        );
        assert.ok(
          c.seen.every(
            (m) =>
              m.messageId === messageId && m.topic === 'test.flaky' && m.topicPrefix === d.config.topicPrefix,
          ),
          'a retry is the same message',
        );
        assert.equal(letter!.messageId, messageId);
        assert.equal(letter!.topic, 'test.flaky');
        assert.equal(letter!.queue, `${d.config.queuePrefix}flaky`);
        assert.equal(letter!.attempts, 3);
        assert.deepEqual(letter!.body, { n: 7 });
        assert.match(letter!.reason, /^handler failed 3 times; last error: boom: the disk is on fire$/);
        assert.ok(!Number.isNaN(Date.parse(letter!.deadAt)));
        assert.equal(await d.waiting('flaky'), 0, 'nothing is left on the queue');

        // No further delivery happens on its own.
        await sleep(500);
        assert.equal(c.seen.length, 3);

        broken = false;
        assert.deepEqual(await bus.replayDeadLetters(), { replayed: 1, notReplayed: [] });
        await waitFor('the replayed message to be handled', () => handled === 1);
        assert.deepEqual(await bus.listDeadLetters(), []);
        await sleep(500);
        assert.equal(handled, 1, 'handled exactly once');
        assert.equal(c.seen.length, 4);
        assert.equal(c.seen.at(-1)!.attempt, 1, 'a replayed message starts a fresh retry budget');
        assert.equal(c.seen.at(-1)!.messageId, messageId);
        assert.equal(await d.waiting('flaky'), 0);
      });
    }

    test('a handler that fails once is retried and its effect applied once', async (t) => {
      const d = open(t);
      if (!d) return;
      let calls = 0;
      const bus = await d.bus([effectsConsumer('once-flaky', ['test.#'], { failWhen: () => ++calls === 1 })]);
      const { messageId } = await bus.publish('test.retry', { n: 3 });
      await waitFor('the effect', () => effectCounts(d.db).rows === 1);
      await sleep(d.config.retry.delayMs * 4);
      assert.equal(calls, 2);
      assert.deepEqual(
        effectsOf(d.db, 'once-flaky').map((e) => [e.n, e.message_id]),
        [[3, messageId]],
      );
      assert.deepEqual(await bus.listDeadLetters(), []);
    });

    test('a handler that returns {deadLetter} dead-letters the message at once, with its reason', async (t) => {
      const d = open(t);
      if (!d) return;
      const c = recorder('refuser', ['test.#'], () => ({ deadLetter: 'not for me' }));
      const bus = await d.bus([c.spec]);
      const { messageId } = await bus.publish('test.refused', { n: 1 });
      const [letter] = await deadLetters(bus, 1, 'the dead letter');
      assert.equal(letter!.messageId, messageId);
      assert.equal(letter!.reason, 'not for me');
      assert.equal(letter!.attempts, 1);
      assert.equal(letter!.queue, `${d.config.queuePrefix}refuser`);
      await sleep(d.config.retry.delayMs * 4);
      assert.equal(c.seen.length, 1, 'no retry');
    });

    test('replay with ids brings back only the named dead letters', async (t) => {
      const d = open(t);
      if (!d) return;
      let accept = false;
      const c = recorder('picky', ['test.#'], () => (accept ? undefined : { deadLetter: 'not yet' }));
      const bus = await d.bus([c.spec]);
      const first = await bus.publish('test.one', { n: 1 });
      const second = await bus.publish('test.two', { n: 2 });
      const third = await bus.publish('test.three', { n: 3 });
      const letters = await deadLetters(bus, 3);
      accept = true;
      const byMessage = new Map(letters.map((l) => [l.messageId, l]));
      // one named by its dead-letter id, one by its message id
      assert.deepEqual(
        await bus.replayDeadLetters({ ids: [byMessage.get(first.messageId)!.id, third.messageId] }),
        { replayed: 2, notReplayed: [] },
      );
      await waitFor('two replays handled', () => c.seen.length === 5);
      assert.deepEqual(
        c.seen
          .slice(3)
          .map((m) => m.messageId)
          .sort(),
        [first.messageId, third.messageId].sort(),
      );
      assert.deepEqual(
        (await bus.listDeadLetters()).map((l) => l.messageId),
        [second.messageId],
      );
      assert.deepEqual(await bus.replayDeadLetters({ ids: ['no-such-id'] }), {
        replayed: 0,
        notReplayed: [],
      });
      assert.deepEqual(
        (await bus.listDeadLetters()).map((l) => l.messageId),
        [second.messageId],
      );
    });

    test('replay takes the letters there when it starts, each once: letters that die again stay dead until the next replay', async (t) => {
      const d = open(t);
      if (!d) return;
      const c = recorder('hopeless', ['test.#'], () => ({ deadLetter: 'never' }));
      const bus = await d.bus([c.spec]);
      const sent = [await bus.publish('test.a', { n: 1 }), await bus.publish('test.b', { n: 2 })];
      await deadLetters(bus, 2);
      assert.deepEqual(await bus.replayDeadLetters(), { replayed: 2, notReplayed: [] });
      await waitFor('both to be handled again', () => c.seen.length === 4);
      const back = await deadLetters(bus, 2, 'both letters back');
      await sleep(500);
      assert.equal(c.seen.length, 4, 'nothing was replayed after the replay ended');
      assert.deepEqual(back.map((l) => l.messageId).sort(), sent.map((s) => s.messageId).sort());
      assert.ok(back.every((l) => l.reason === 'never' && l.notReplayedReason === undefined));
    });

    test('replay of a letter whose queue is gone: it stays, once, with the reason; the others are replayed', async (t) => {
      const d = open(t);
      if (!d) return;
      let broken = true;
      const before = await d.bus([
        {
          name: 'retired',
          topics: ['test.retired.#'],
          handle: () => ({ deadLetter: 'refused by the retired consumer' }),
        },
        effectsConsumer('kept', ['test.kept.#'], { failWhen: () => broken }),
      ]);
      const retired = await before.publish('test.retired.one', { n: 2 });
      const kept = await before.publish('test.kept.one', { n: 3 });
      await deadLetters(before, 2);
      await before.stop();

      // The next version of the deployment: the retired consumer and its queue are gone.
      await d.dropQueue('retired');
      broken = false;
      const bus = await d.bus([effectsConsumer('kept', ['test.kept.#'])]);
      const retiredId = (await bus.listDeadLetters()).find((l) => l.messageId === retired.messageId)!.id;
      const outcome = await bus.replayDeadLetters();
      assert.equal(outcome.replayed, 1);
      assert.equal(outcome.notReplayed.length, 1);
      const refused = outcome.notReplayed[0]!;
      assert.deepEqual(
        { ...refused, reason: '' },
        {
          id: retiredId,
          messageId: retired.messageId,
          queue: `${d.config.queuePrefix}retired`,
          topic: 'test.retired.one',
          reason: '',
        },
      );
      assert.match(refused.reason, new RegExp(`"${d.config.queuePrefix.replace(/\./g, '\\.')}retired"`));
      assert.match(refused.reason, /does not exist|no consumer of this server reads/);
      await waitFor('the kept letter to be handled', () => effectsOf(d.db, 'kept').length === 1);
      assert.equal(effectsOf(d.db, 'kept')[0]!.message_id, kept.messageId);

      const left = await bus.listDeadLetters();
      assert.deepEqual(
        left.map((l) => l.messageId),
        [retired.messageId],
      );
      assert.equal(left[0]!.reason, 'refused by the retired consumer', 'what it died of is kept');
      assert.deepEqual(left[0]!.body, { n: 2 });
      assert.equal(left[0]!.notReplayedReason, refused.reason);
      assert.equal(left[0]!.headers['x-sluice-not-replayed'], refused.reason);

      // Again: the same answer, and still one copy.
      assert.deepEqual(await bus.replayDeadLetters(), { replayed: 0, notReplayed: [refused] });
      assert.deepEqual(
        (await bus.listDeadLetters()).map((l) => l.messageId),
        [retired.messageId],
      );
    });
  });

  describe(`bus contract: ${factory.name}: idempotency, order, graceful stop`, () => {
    test('a redelivered message (same message id) has no second effect', async (t) => {
      const d = open(t);
      if (!d) return;
      const outcomes: boolean[] = [];
      const bus = await d.bus([
        {
          name: 'once',
          topics: ['test.#'],
          handle(m, ctx) {
            const { n } = m.body as { n: number };
            const outcome = ctx.effect((tx) =>
              storeOf(tx)
                .prepare('INSERT INTO test_effects (consumer, message_id, topic, n) VALUES (?, ?, ?, ?)')
                .run('once', m.messageId, m.topic, n),
            );
            outcomes.push(outcome.applied);
          },
        },
      ]);
      await bus.publish('test.dup', { n: 1 }, { messageId: 'same-id' });
      await bus.publish('test.dup', { n: 1 }, { messageId: 'same-id' });
      await bus.publish('test.dup', { n: 2 }, { messageId: 'other-id' });
      await waitFor('both ids handled', () => effectCounts(d.db).distinct === 2);
      await sleep(300);
      assert.deepEqual(effectCounts(d.db), { rows: 2, distinct: 2 });
      assert.deepEqual(
        effectsOf(d.db, 'once').map((e) => [e.message_id, e.n]),
        [
          ['same-id', 1],
          ['other-id', 2],
        ],
      );
      // The duplicate is not handed to the handler (or its effect reports not applied) and is
      // acknowledged, not dead-lettered.
      assert.equal(outcomes.filter((applied) => applied).length, 2, JSON.stringify(outcomes));
      assert.deepEqual(await bus.listDeadLetters(), []);
      assert.equal(await d.waiting('once'), 0);
    });

    test('a consumer gets its messages in the order they were published', async (t) => {
      const d = open(t);
      if (!d) return;
      const c = recorder('ordered', ['test.#']);
      const bus = await d.bus([{ ...c.spec, prefetch: 1 }]);
      for (let n = 0; n < 20; n++) await bus.publish('test.seq', { n });
      await waitFor('all 20', () => c.seen.length === 20);
      assert.deepEqual(
        ns(c.seen),
        Array.from({ length: 20 }, (_, n) => n),
      );
    });

    test('stop() lets in-flight handlers finish and acks them; what was not taken, or published while stopped, is delivered after a restart, once', async (t) => {
      const d = open(t);
      if (!d) return;
      let started = 0;
      const slow: ConsumerSpec = {
        name: 'graceful',
        topics: ['test.#'],
        prefetch: 2,
        async handle(m, ctx) {
          started++;
          await sleep(300);
          ctx.effect((tx) =>
            storeOf(tx)
              .prepare('INSERT INTO test_effects (consumer, message_id, topic, n) VALUES (?, ?, ?, ?)')
              .run('graceful', m.messageId, m.topic, (m.body as { n: number }).n),
          );
        },
      };
      const bus = await d.bus([slow]);
      for (let n = 0; n < 6; n++) await bus.publish('test.slow', { n });
      await waitFor('handlers in flight', () => started >= 2);

      let stopped = false;
      const stopping = bus.stop().then(() => (stopped = true));
      await sleep(100);
      assert.equal(stopped, false, 'stop() does not return while a handler runs');
      assert.equal(bus.health().ok, false);
      await assert.rejects(bus.publish('test.late', { n: 99 }), { code: 'BUS_STOPPED' });
      await stopping;
      const afterStop = effectCounts(d.db).rows;
      assert.ok(
        afterStop >= 2 && afterStop < 6,
        `in-flight work finished before stop returned (${afterStop} effects)`,
      );
      assert.equal(afterStop, started, 'every handler that started also finished');
      assert.equal(
        await d.waiting('graceful'),
        6 - afterStop,
        'the finished ones were acked; only the others wait',
      );

      // Published while the consumer is stopped: nothing is lost.
      const publisher = await d.publisher([
        { ...slow, handle: () => assert.fail('the publisher does not consume') },
      ]);
      await publisher.publish('test.while-stopped', { n: 6 });
      await publisher.publish('test.while-stopped', { n: 7 });
      assert.equal(await d.waiting('graceful'), 8 - afterStop);

      // A restarted process gets exactly the rest, in order.
      const rest = recorder('graceful', ['test.#'], (m, ctx) => {
        ctx.effect((tx) =>
          storeOf(tx)
            .prepare('INSERT INTO test_effects (consumer, message_id, topic, n) VALUES (?, ?, ?, ?)')
            .run('graceful', m.messageId, m.topic, (m.body as { n: number }).n),
        );
      });
      await d.bus([{ ...rest.spec, prefetch: 1 }]);
      await waitFor('the remaining messages', () => effectCounts(d.db).rows >= 8);
      await sleep(400);
      assert.deepEqual(effectCounts(d.db), { rows: 8, distinct: 8 });
      assert.deepEqual(
        ns(rest.seen),
        Array.from({ length: 8 - afterStop }, (_, i) => afterStop + i),
      );
      assert.deepEqual(
        effectsOf(d.db, 'graceful')
          .map((e) => e.n)
          .sort((a, b) => a - b),
        [0, 1, 2, 3, 4, 5, 6, 7],
      );
      assert.equal(await d.waiting('graceful'), 0);
    });
  });
}
