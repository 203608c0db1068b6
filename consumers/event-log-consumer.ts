import { EventEmitter } from 'node:events';
import type { ConsumerSpec } from '../bus/bus.js';
import type { EventLog } from '../db/event-log.js';

/**
 * Records messages of other publishers (topics matching `topics`) in the event log, which
 * server-sent events replay from; Sluice's own messages are logged when sent, and a repeat of
 * one here is dropped by its message id. `feed` tells live readers in this process at once;
 * readers in other processes poll.
 */
export function eventLogConsumer(log: EventLog, feed: EventEmitter, topics: string[]): ConsumerSpec {
  return {
    name: 'event-log',
    topics,
    handle(message, ctx) {
      const outcome = ctx.effect(() => log.append(message));
      if (outcome.applied && outcome.value > 0) feed.emit('appended', outcome.value);
    },
  };
}
