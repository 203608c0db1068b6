import type { ConsumerSpec, HandlerResult } from '../bus/bus.js';
import { RESULT_NEW_TOPIC } from '../db/results-store.js';
import { WAIVER_NEW_TOPIC } from '../db/waivers-store.js';
import { GATING_CHANGES_CONSUMER, type GatingEffects, type GatingPlan } from '../intake/gating-effects.js';
import type { StoredResult } from '../results/result-json.js';
import type { WaiverJson } from '../waivers/waiver-json.js';

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
  return {
    name: GATING_CHANGES_CONSUMER,
    topics: [RESULT_NEW_TOPIC, WAIVER_NEW_TOPIC],
    // Results whose changes were worked out as they were stored (intake/submit-result.ts) are marked so.
    skipHandled: true,
    handle(message, ctx): HandlerResult | Promise<HandlerResult> {
      const event =
        message.topic === WAIVER_NEW_TOPIC
          ? effects.waiverEvent(message.body as WaiverJson)
          : effects.resultEvent(message.body as StoredResult);
      const planned = effects.plan(event);
      const apply = (p: GatingPlan): HandlerResult => {
        const outcome = ctx.effect(() => effects.apply(p));
        if (outcome.applied && outcome.value > 0) published();
      };
      return planned instanceof Promise ? planned.then(apply) : apply(planned);
    },
  };
}
