import type { HandlerContext, HandlerResult } from '../bus/bus.js';
import type { ResultSink } from '../intake/submit-result.js';
import { ResultInputError } from '../errors/result-input-error.js';

/**
 * Stores one result as this message's effect: the result, its outbox announcement and the
 * message id commit together, so a redelivered message stores nothing the second time. A body
 * the store refuses will be refused on every delivery, so it goes to the dead-letter queue at
 * once, with the store's `field: reason`; anything else (a busy database) is retried.
 * `stored` runs after a result was added, to wake the outbox relay.
 */
export function submitResult(
  ctx: HandlerContext,
  results: ResultSink,
  body: unknown,
  stored: () => void,
): HandlerResult {
  try {
    const outcome = ctx.effect(() => results.submit(body));
    if (outcome.applied) stored();
  } catch (err) {
    if (err instanceof ResultInputError)
      return { deadLetter: `the results store refused the result: ${err.message}` };
    throw err;
  }
}
