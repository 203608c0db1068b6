import { EventEmitter } from 'node:events';
import type { ConsumerSpec } from '../bus/bus.js';
import type { EventLog } from '../db/event-log.js';

/**
 * Records every message on the bus in the event log, which server-sent events replay from.
 * `feed` tells live readers in this process at once; readers in other processes poll.
 */
export function eventLogConsumer(log: EventLog, feed: EventEmitter): ConsumerSpec {
  return {
    name: 'event-log',
    topics: ['#'],
    handle(message, ctx) {
      const outcome = ctx.effect(() => log.append(message));
      if (outcome.applied && outcome.value > 0) feed.emit('appended', outcome.value);
    },
  };
}
