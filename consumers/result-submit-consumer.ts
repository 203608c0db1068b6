import { type ConsumerSpec, topicConsumer } from '../bus/bus.js';
import type { ResultSink } from '../intake/submit-result.js';
import { RESULT_SUBMIT } from '../results/result-topics.js';
import { submitResult } from './submit-result.js';

/** `result.submit` carries a ResultsDB POST /results body: a result sent over the bus instead of HTTP. */
export function resultSubmitConsumer(results: ResultSink, stored: () => void = () => {}): ConsumerSpec {
  return topicConsumer({
    name: 'result-submit',
    topics: [RESULT_SUBMIT],
    handle(message, ctx) {
      return submitResult(ctx, results, message.body, stored);
    },
  });
}
