import { EventEmitter } from 'node:events';
import type { ConsumerSpec } from '../bus/bus.js';
import type { EventLog } from '../db/event-log.js';
import { JOB_LOG_TOPIC } from '../runner/log-shipper.js';

/**
 * Records every message on the bus in the event log, which server-sent events replay from,
 * except jobs' output (`pipeline.job.log`): it has its own store and is followed at
 * GET /api/v1/nodes/:id/log, and kept here it would push every event out of the bounded log.
 * `feed` tells live readers in this process at once; readers in other processes poll.
 */
export function eventLogConsumer(log: EventLog, feed: EventEmitter): ConsumerSpec {
  return {
    name: 'event-log',
    topics: ['#'],
    handle(message, ctx) {
      if (message.topic === JOB_LOG_TOPIC) return;
      const outcome = ctx.effect(() => log.append(message));
      if (outcome.applied && outcome.value > 0) feed.emit('appended', outcome.value);
    },
  };
}
