import { type ConsumerSpec, type HandlerResult, topicConsumer } from '../bus/bus.js';
import { GATING_CHANGES_CONSUMER, type GatingEffects, type GatingPlan } from '../intake/gating-effects.js';
import { RESULT_NEW } from '../results/result-topics.js';
import { WAIVER_NEW } from '../waivers/waiver-topics.js';

export { GATING_CHANGES_CONSUMER } from '../intake/gating-effects.js';

/**
 * The gating effects (intake/gating-effects.ts) of results and waivers announced on the bus whose
 * effects were not worked out as they were stored: those of other ResultsDB / WaiverDB instances,
 * waivers, results whose decisions needed a gating file fetched, and every result with
 * gating.changesWhenStored false. Gating files are fetched before the effect; the decisions are
 * made, compared and published inside it, in one transaction with the message id, so a redelivery
 * has no second effect. Synchronous when nothing had to be fetched, so a prefetch window is handled
 * as one batch transaction. `published` wakes the outbox relay.
 */
export function gatingChangesConsumer(effects: GatingEffects, published: () => void): ConsumerSpec {
  return topicConsumer({
    name: GATING_CHANGES_CONSUMER,
    topics: [RESULT_NEW, WAIVER_NEW],
    // Results whose changes were worked out as they were stored (intake/submit-result.ts) are marked so.
    skipHandled: true,
    handle(message, ctx): HandlerResult | Promise<HandlerResult> {
      const event =
        message.topic === WAIVER_NEW.name
          ? effects.waiverEvent(message.body)
          : effects.resultEvent(message.body);
      const planned = effects.plan(event);
      const apply = (p: GatingPlan): HandlerResult => {
        const outcome = ctx.effect(() => effects.apply(p));
        if (outcome.applied && outcome.value > 0) published();
      };
      return planned instanceof Promise ? planned.then(apply) : apply(planned);
    },
  });
}
