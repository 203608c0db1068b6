import type { ConsumerSpec } from '../bus/bus.js';
import type { JobLogSource } from '../notify/job-log-source.js';
import { logUrl, type NodeEvent } from '../notify/node-event.js';
import type { Notifier } from '../notify/notifier.js';

export interface NotifyConsumerParts {
  notifier: Notifier;
  ruleTopics: string[];
  logs: JobLogSource;
  added: () => void;
}

/**
 * Mails and webhook calls for the configured rules, written to the notification outbox as this
 * message's effect: a redelivered message notifies nobody twice. `added` wakes the sender after
 * the commit.
 */
export function notifyConsumer(parts: NotifyConsumerParts): ConsumerSpec {
  const { notifier, logs, added } = parts;
  return {
    name: 'notify',
    topics: [...new Set(parts.ruleTopics)],
    async handle(message, ctx) {
      const rules = notifier.matching(message.topic, message.body);
      if (rules.length === 0) return;
      // Fetched before the transaction: no network wait may hold the store's write lock.
      const logTail = rules.some((r) => (r.mail ?? r.chat?.about) === 'job-failed')
        ? await logs.tail(logUrl(message.body as NodeEvent))
        : null;
      const outcome = ctx.effect(() => notifier.notify(message, rules, logTail));
      if (outcome.applied && outcome.value > 0) added();
    },
  };
}
