import type { ConsumerSpec } from '../bus/bus.js';
import { CiMessageError } from '../errors/ci-message-error.js';
import { ciMessageSkipReason, mapCiMessage } from '../results/ci-message-mapping.js';
import type { ResultSink } from '../intake/submit-result.js';
import { submitResult } from './submit-result.js';

export type CiSkipReason = NonNullable<ReturnType<typeof ciMessageSkipReason>>;

/**
 * Fedora CI messages (`ci.<artifact>.<event>.<state>`) become results, as ResultsDB's listener
 * makes them. The bus has validated each body against its topic's schema before this runs.
 * A message Sluice makes no result of (another kind of ci. topic, an artifact with no item type)
 * is acknowledged and reported to `skipped`: it is not wrong, and the dead-letter queue is for
 * what is. One that still cannot be mapped is dead-lettered with the reason.
 */
export function ciResultsConsumer(
  results: ResultSink,
  stored: () => void = () => {},
  skipped: (reason: CiSkipReason) => void = () => {},
): ConsumerSpec {
  return {
    name: 'ci-results',
    topics: ['ci.#'],
    handle(message, ctx) {
      const skip = ciMessageSkipReason(message.topic);
      if (skip) {
        skipped(skip);
        return 'ack';
      }
      let result: ReturnType<typeof mapCiMessage>;
      try {
        result = mapCiMessage(message.topic, message.body, message.messageId, message.topicPrefix ?? '');
      } catch (err) {
        if (err instanceof CiMessageError) return { deadLetter: err.message };
        throw err;
      }
      return submitResult(ctx, results, result, stored);
    },
  };
}
