import type { Logger } from 'pino';
import type { ConsumerSpec, HandlerResult } from '../bus/bus.js';
import { errorText } from '../errors/error-text.js';
import type { Db } from '../db/open-database.js';
import { ProcessedMessages } from '../db/processed-messages.js';
import { RESULT_NEW_TOPIC } from '../db/results-store.js';
import { WAIVER_NEW_TOPIC } from '../db/waivers-store.js';
import type { DecisionChanges, PairPlan } from '../gating/decision-change-publisher.js';
import { resultEvent, waiverEvent, type GatingEvent } from '../gating/gating-event.js';
import type { SubjectTypes } from '../gating/subject-types.js';
import type { Outbox } from '../db/outbox.js';
import type { StoredResult } from '../results/result-json.js';
import type { PreparedUpdate, UpdateGating } from '../updates/update-gating.js';
import type { WaiverJson } from '../waivers/waiver-json.js';

export interface GatingChangesParts {
  changes: DecisionChanges;
  updates: UpdateGating;
  subjectTypes: SubjectTypes;
  incompleteOutcomes: readonly string[];
  /** Wakes the outbox relay after something was published. */
  published: () => void;
}

export const GATING_CHANGES_CONSUMER = 'gating-changes';

interface Plan {
  event: GatingEvent;
  pairs: PairPlan[];
  updates: PreparedUpdate[];
}

/**
 * What a stored result or waiver changes for gating, whoever stored it (this service or another
 * ResultsDB / WaiverDB publishing on the bus): `greenwave.decision.update` for each decision of
 * its subject that changed, and `update.gating.status` for each update holding the subject whose
 * status changed (QUEUED/RUNNING results count there: they keep an update waiting). Gating files
 * are fetched before the effect; the decisions are made, compared and published inside it, in
 * one transaction with the message id, so a redelivery has no second effect and nothing is
 * compared with a state another message is about to change. Synchronous when nothing had to be
 * fetched, so a prefetch window is handled as one batch transaction.
 */
export function gatingChangesConsumer(parts: GatingChangesParts): ConsumerSpec {
  return {
    name: GATING_CHANGES_CONSUMER,
    topics: [RESULT_NEW_TOPIC, WAIVER_NEW_TOPIC],
    // Results whose changes were worked out as they were stored (gatingChangesOnStore) are marked so.
    skipHandled: true,
    handle(message, ctx): HandlerResult | Promise<HandlerResult> {
      const event =
        message.topic === WAIVER_NEW_TOPIC
          ? waiverEvent(message.body as WaiverJson, parts.subjectTypes)
          : resultEvent(message.body as StoredResult, parts.subjectTypes, parts.incompleteOutcomes);
      const planned = plan(parts, event);
      const apply = (p: Plan): HandlerResult => {
        const outcome = ctx.effect(() => publishChanges(parts, p));
        if (outcome.applied && outcome.value > 0) parts.published();
      };
      return planned instanceof Promise ? planned.then(apply) : apply(planned);
    },
  };
}

/**
 * The same work for a result stored by this process, done inside the transaction that stores it
 * (a ResultsStore `afterInsert` hook) instead of when its `resultsdb.result.new` comes back from
 * the broker: the decision-change message goes out one broker round trip and one consumer batch
 * sooner. The message's id is recorded as handled by the consumer in the same transaction, and
 * the message is marked in the outbox as handled by it, so the bus does not deliver it there
 * (were it delivered, the ledger would drop it). A result whose decisions need a gating
 * file fetched first is left to the consumer, as is one whose recomputation fails (its savepoint
 * rolls back, the result stays stored, its message unmarked).
 */
export function gatingChangesOnStore(parts: GatingChangesParts, db: Db, outbox: Outbox, log: Logger): (stored: StoredResult, messageId: string) => void {
  const ledger = new ProcessedMessages(db);
  const inline = db.transaction((p: Plan, messageId: string): number => {
    outbox.markHandled(messageId, GATING_CHANGES_CONSUMER);
    return ledger.record(GATING_CHANGES_CONSUMER, messageId) ? publishChanges(parts, p) : 0;
  });
  return (stored, messageId) => {
    let published: number;
    try {
      const planned = plan(parts, resultEvent(stored, parts.subjectTypes, parts.incompleteOutcomes));
      if (planned instanceof Promise) {
        // The consumer does it when the message arrives (the HTTP fetcher keeps the file for it meanwhile); a failure is its to report.
        planned.catch(() => undefined);
        return;
      }
      published = inline(planned, messageId);
    } catch (err) {
      log.warn({ err: errorText(err), resultId: stored.id }, 'decision changes not worked out with the result; the gating-changes consumer will');
      return;
    }
    if (published > 0) parts.published();
  };
}

/** Publishes what the planned event changed: decision changes, then update statuses. Returns how many messages. */
function publishChanges(parts: GatingChangesParts, p: Plan): number {
  let published = parts.changes.apply(p.event, p.pairs);
  for (const u of p.updates) if (parts.updates.refresh(u)?.changed) published++;
  return published;
}

function plan(parts: GatingChangesParts, event: GatingEvent): Plan | Promise<Plan> {
  const pairs = parts.changes.plan(event);
  const ids = [...new Set(event.subjects.flatMap((s) => parts.updates.idsFor(s)))];
  const updates = ids.map((id) => parts.updates.prepare(id)).filter((u) => u !== undefined);
  if (!(pairs instanceof Promise) && !updates.some((u) => u instanceof Promise)) return { event, pairs, updates: updates as PreparedUpdate[] };
  return Promise.all([pairs, Promise.all(updates)]).then(([p, u]) => ({ event, pairs: p, updates: u }));
}
