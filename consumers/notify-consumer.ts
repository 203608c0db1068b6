import type { ConsumerSpec } from '../bus/bus.js';
import type { RecordedRunNodes } from '../db/recorded-run-nodes.js';
import type { JobLogSource } from '../notify/job-log-source.js';
import { logUrl, NODE_TOPICS, type NodeEvent } from '../notify/node-event.js';
import type { Notifier } from '../notify/notifier.js';

const nodeTopics: ReadonlySet<string> = new Set(NODE_TOPICS);

export interface NotifyConsumerParts {
  notifier: Notifier;
  ruleTopics: string[];
  /** Record every pipeline node message (run reports and job mails need the run's nodes). */
  recordNodes: boolean;
  runNodes: RecordedRunNodes;
  logs: JobLogSource;
  added: () => void;
}

/**
 * Mails and webhook calls for the configured rules, written to the notification outbox as this
 * message's effect: a redelivered message notifies nobody twice. `added` wakes the sender after
 * the commit.
 */
export function notifyConsumer(parts: NotifyConsumerParts): ConsumerSpec {
  const { notifier, runNodes, logs, added, recordNodes } = parts;
  return {
    name: 'notify',
    topics: [...new Set([...parts.ruleTopics, ...(recordNodes ? NODE_TOPICS : [])])],
    async handle(message, ctx) {
      const isNode = recordNodes && nodeTopics.has(message.topic);
      const rules = notifier.matching(message.topic, message.body);
      if (rules.length === 0 && !isNode) return;
      // Fetched before the transaction: no network wait may hold the store's write lock.
      const logTail = rules.some((r) => r.mail === 'job-failed') ? await logs.tail(logUrl(message.body as NodeEvent)) : null;
      const outcome = ctx.effect(() => {
        if (isNode) runNodes.record(message.body as NodeEvent);
        return notifier.notify(message, rules, logTail);
      });
      if (outcome.applied && outcome.value > 0) added();
    },
  };
}
