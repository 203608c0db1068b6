import type { DecisionChanges, PairPlan } from '../gating/decision-change-publisher.js';
import { resultEvent, waiverEvent, type GatingEvent } from '../gating/gating-event.js';
import type { SubjectTypes } from '../gating/subject-types.js';
import type { StoredResult } from '../results/result-json.js';
import type { PreparedUpdate, UpdateGating } from '../updates/update-gating.js';
import type { WaiverJson } from '../waivers/waiver-json.js';

/** The name the decision-change work is recorded under in the message ledger (the gating-changes consumer's). */
export const GATING_CHANGES_CONSUMER = 'gating-changes';

export interface GatingEffectsParts {
  changes: DecisionChanges;
  updates: UpdateGating;
  subjectTypes: SubjectTypes;
  incompleteOutcomes: readonly string[];
}

/** A stored result's or waiver's gating effects, planned: what to recompute, with any gating file already fetched. */
export interface GatingPlan {
  event: GatingEvent;
  pairs: PairPlan[];
  updates: PreparedUpdate[];
}

/**
 * What a stored result or waiver changes for gating, whoever stored it: `greenwave.decision.update`
 * for each decision of its subject that changed, and `update.gating.status` for each update holding
 * the subject whose status changed (QUEUED/RUNNING results count there: they keep an update
 * waiting). Planned first, outside any transaction (gating files are fetched then: synchronous when
 * none had to be); applied inside the transaction that records the work, so nothing is compared
 * with a state another write is about to change.
 */
export class GatingEffects {
  constructor(private readonly parts: GatingEffectsParts) {}

  resultEvent(result: StoredResult): GatingEvent {
    return resultEvent(result, this.parts.subjectTypes, this.parts.incompleteOutcomes);
  }

  waiverEvent(waiver: WaiverJson): GatingEvent {
    return waiverEvent(waiver, this.parts.subjectTypes);
  }

  plan(event: GatingEvent): GatingPlan | Promise<GatingPlan> {
    const { changes, updates: gating } = this.parts;
    const pairs = changes.plan(event);
    const ids = [...new Set(event.subjects.flatMap((s) => gating.idsFor(s)))];
    const updates = ids.map((id) => gating.prepare(id)).filter((u) => u !== undefined);
    if (!(pairs instanceof Promise) && !updates.some((u) => u instanceof Promise))
      return { event, pairs, updates: updates as PreparedUpdate[] };
    return Promise.all([pairs, Promise.all(updates)]).then(([p, u]) => ({ event, pairs: p, updates: u }));
  }

  /** Publishes (to the outbox) what the planned event changed: decision changes, then update statuses. Returns how many messages. */
  apply(p: GatingPlan): number {
    let published = this.parts.changes.apply(p.event, p.pairs);
    for (const u of p.updates) if (this.parts.updates.refresh(u)?.changed) published++;
    return published;
  }
}
