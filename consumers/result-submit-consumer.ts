import type { ConsumerSpec } from '../bus/bus.js';
import type { ResultSink } from '../intake/submit-result.js';
import { submitResult } from './submit-result.js';

/** `result.submit` carries a ResultsDB POST /results body: a result sent over the bus instead of HTTP. */
export function resultSubmitConsumer(results: ResultSink, stored: () => void = () => {}): ConsumerSpec {
  return {
    name: 'result-submit',
    topics: ['result.submit'],
    handle(message, ctx) {
      return submitResult(ctx, results, message.body, stored);
    },
  };
}
