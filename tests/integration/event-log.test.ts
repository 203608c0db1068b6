import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceService } from '../../service/sluice-service.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';
import { waitFor } from '../support/wait-for.js';

test('the event log holds what Sluice publishes, and messages of other publishers only on the topics it is told to record', async (t) => {
  const service = await SluiceService.create({
    config: testConfig({ events: { recordTopics: ['test.recorded.#', 'resultsdb.#'] } }),
    log: silentLogger(),
    registry: testRegistry(),
    http: false,
  });
  t.after(() => service.stop());
  await service.start();
  const { bus, eventLog, resultIntake, relay } = service.ctx;

  // Straight onto the bus, as an external publisher would.
  const recorded = await bus.publish('test.recorded.one', { n: 1 });
  const ignored = await bus.publish('test.ignored', { n: 2 });
  // Through the outbox, as every message Sluice itself sends: logged in the storing transaction.
  const stored = resultIntake.submit({ testcase: 'a.b', outcome: 'PASSED', data: { item: 'x' } });
  relay.kick();

  const events = await waitFor('the recorded message in the event log', () => {
    const all = eventLog.after(0, []).events;
    return all.some((e) => e.messageId === recorded.messageId) ? all : undefined;
  });
  const resultEvent = events.find((e) => e.topic === 'resultsdb.result.new');
  assert.deepEqual(resultEvent?.body, stored);
  assert.equal(
    events.some((e) => e.messageId === ignored.messageId),
    false,
  );
  // Its delivery on a recorded topic comes back to the event log's consumer, which drops the repeat by message id.
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(eventLog.after(0, ['resultsdb.result.new']).events.length, 1);
});
