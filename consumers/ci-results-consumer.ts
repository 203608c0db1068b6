import type { ConsumerSpec } from '../bus/bus.js';
import { CiMessageError } from '../errors/ci-message-error.js';
import { mapCiMessage } from '../results/ci-message-mapping.js';
import { submitResult, type ResultSink } from './submit-result.js';

/**
 * Fedora CI messages (`ci.<artifact>.<event>.<state>`) become results, as ResultsDB's listener
 * makes them. The bus has validated each body against its topic's schema before this runs;
 * a message that still cannot be mapped is dead-lettered with the reason.
 */
export function ciResultsConsumer(results: ResultSink, stored: () => void = () => {}): ConsumerSpec {
  return {
    name: 'ci-results',
    topics: ['ci.#'],
    handle(message, ctx) {
      let result;
      try {
        result = mapCiMessage(message.topic, message.body, message.messageId);
      } catch (err) {
        if (err instanceof CiMessageError) return { deadLetter: err.message };
        throw err;
      }
      return submitResult(ctx, results, result, stored);
    },
  };
}
