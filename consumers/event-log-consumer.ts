import type { EventEmitter } from 'node:events';
import type { ConsumerSpec } from '../bus/bus.js';
import type { EventLog } from '../db/event-log.js';
import { JOB_LOG } from '../pipeline/job-messages.js';

/**
 * Records messages of other publishers (topics matching `topics`) in the event log, which
 * server-sent events replay from; Sluice's own messages are logged when sent, and a repeat of
 * one here is dropped by its message id. Jobs' output (`pipeline.job.log`) is never recorded: it
 * has its own store, followed at GET /api/v1/nodes/:id/log, and would push every event out of the
 * bounded log. `feed` tells live readers in this process at once;
 * readers in other processes poll.
 */
export function eventLogConsumer(log: EventLog, feed: EventEmitter, topics: string[]): ConsumerSpec {
  return {
    name: 'event-log',
    topics,
    handle(message, ctx) {
      if (message.topic === JOB_LOG.name) return;
      const outcome = ctx.effect(() => log.append(message));
      if (outcome.applied && outcome.value > 0) feed.emit('appended', outcome.value);
    },
  };
}
