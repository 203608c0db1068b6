import { DecisionInputError } from '../errors/decision-input-error.js';
import { decisionSnapshot, type DecisionHistory } from './decision-history.js';
import { decisionState, decisionUpdateBody, type DecisionState } from './decision-update-message.js';
import { sameDecision } from './same-decision.js';
import type { DecisionMaker, PreparedDecision } from './decision-maker.js';
import type { DecisionRequest } from './decision-request.js';
import type { GatingEvent } from './gating-event.js';
import { decisionPairs } from './policy-match.js';
import { subjectProductVersions } from './product-versions.js';
import type { Subject } from './subject.js';
import { DECISION_UPDATE } from './decision-update-message.js';
import type { BodyOf, Topic } from '../schemas/topic-contract.js';

export interface DecisionKey {
  subjectType: string;
  subjectIdentifier: string;
  context: string;
  productVersion: string;
}

/**
 * A decision as last evaluated: its JSON (compared as text, so an unchanged decision costs no
 * parse and no second serialising) and the history row that announced it, when one did.
 */
export interface StoredDecisionState {
  json: string;
  historyId: number | null;
}

/** The decision last evaluated per subject × context × product version (db/decision-states-store.ts). */
export interface DecisionStates {
  get(key: DecisionKey): StoredDecisionState | undefined;
  put(key: DecisionKey, state: StoredDecisionState, at: number): void;
}

export interface DecisionChangesParts {
  decisions: DecisionMaker;
  states: DecisionStates;
  /** Adds a message to the outbox, inside the caller's transaction. */
  publish<T extends Topic>(topic: T, body: BodyOf<T>): void;
  /** Product versions that updates holding this subject were filed for (a release tool said so). */
  knownProductVersions(subject: Subject): string[];
  /** Where each published change is also kept, in the same transaction (the decision history). */
  history?: DecisionHistory;
  now?: () => number;
}

/** One decision a result or waiver may have changed, with what it needs fetched already. */
export interface PairPlan {
  subject: Subject;
  context: string;
  productVersion: string;
  prepared: PreparedDecision;
}

const NOTHING: ReadonlySet<number> = new Set();

/**
 * Decision-change messages (Greenwave's resultsdb and waiverdb listeners): for a stored result or
 * waiver, the decisions of its subject for every (decision context, product version) whose
 * policies care about its testcase are recomputed, and each that differs from the one before
 * (ignoring result ids) is published on `greenwave.decision.update` with `previous`.
 *
 * "The one before" is the decision this consumer last evaluated for that subject × context ×
 * product version (kept in gating_decisions, written in the same transaction as the message),
 * not Greenwave's "as of just before this result's submit time". Greenwave's way goes wrong when
 * deliveries are late or out of order: for a failed result A and its passing re-run B, handled
 * B then A, each compares "now" (B passed) with a moment before itself, so "passed" is published
 * twice, the second time with a `previous` (A's test missing) that is not what subscribers last
 * heard. With the last evaluated decision as the reference, a change is announced once whatever
 * the order, a redelivered or re-announced result finds nothing changed, and each `previous` is
 * the decision as it stood when the event was handled (what the message before announced, unless
 * something that is no news came between: a re-run's result id, a QUEUED result). Only the first
 * event of a pair has no row; its reference is Greenwave's: the decision as of 1 ms before the
 * event. Everything compared is read inside the consumer's effect transaction, so two events
 * handled concurrently cannot both compare with the same row.
 */
export class DecisionChanges {
  private readonly now: () => number;

  constructor(private readonly parts: DecisionChangesParts) {
    this.now = parts.now ?? Date.now;
  }

  /** The decisions to recompute, with gating files fetched; nothing for a QUEUED/RUNNING result. */
  plan(event: GatingEvent): PairPlan[] | Promise<PairPlan[]> {
    if (event.incomplete) return [];
    const plans: PairPlan[] = [];
    const pending: Array<Promise<void>> = [];
    for (const subject of event.subjects) {
      for (const [context, productVersion] of this.pairs(subject, event)) {
        const request: DecisionRequest = {
          productVersion,
          decisionContexts: [context],
          onDemand: null,
          subjects: [subject],
          verbose: false,
          when: null,
          ignoreResults: NOTHING,
          ignoreWaivers: NOTHING,
        };
        const prepared = this.parts.decisions.prepare(request);
        if (prepared instanceof Promise)
          pending.push(
            prepared.then((p) => void plans.push({ subject, context, productVersion, prepared: p })),
          );
        else plans.push({ subject, context, productVersion, prepared });
      }
    }
    return pending.length ? Promise.all(pending).then(() => plans) : plans;
  }

  /**
   * Decides each planned pair on the store as it is now, compares with the last evaluated
   * decision and publishes the changes; call it inside the transaction that records the event
   * as handled. Returns how many messages were published.
   */
  apply(event: GatingEvent, plans: readonly PairPlan[]): number {
    let published = 0;
    for (const plan of plans) {
      const now = this.decision(plan.prepared);
      if (!now) continue;
      const key: DecisionKey = {
        subjectType: plan.subject.type.id,
        subjectIdentifier: plan.subject.identifier,
        context: plan.context,
        productVersion: plan.productVersion,
      };
      const json = JSON.stringify(now);
      const stored = this.parts.states.get(key);
      if (stored?.json === json) continue;
      const previous = stored
        ? (JSON.parse(stored.json) as DecisionState)
        : this.decision({ ...plan.prepared, request: { ...plan.prepared.request, when: event.at - 1 } });
      const at = this.now();
      if (previous && sameDecision(previous, now)) {
        // Kept even when only result ids moved: the next message's `previous` is then exact.
        this.parts.states.put(key, { json, historyId: null }, at);
        continue;
      }
      const historyId =
        this.parts.history?.record(
          {
            ...key,
            before: previous ? decisionSnapshot(previous) : null,
            after: decisionSnapshot(now),
            cause: {
              kind: event.kind,
              id: event.id,
              testcase: event.testcase,
              by: event.by ?? null,
              at: event.at,
            },
            at,
          },
          stored?.historyId,
        ) ?? null;
      this.parts.states.put(key, { json, historyId }, at);
      this.parts.publish(
        DECISION_UPDATE,
        decisionUpdateBody(
          plan.subject,
          plan.context,
          plan.productVersion,
          event.testcase,
          now,
          previous ?? null,
        ),
      );
      published++;
    }
    return published;
  }

  /**
   * The (context, product version) pairs to recompute, as Greenwave's listeners find them: a
   * waiver's own product version; for a result, the versions derived from the subject (dist
   * tag, the type's fixed one) and those of updates holding it, or, when there are none, the
   * policies' own versions (globs left out: a decision "for fedora-*" means nothing).
   */
  pairs(subject: Subject, event: GatingEvent): Array<[string, string]> {
    const policies = this.parts.decisions.policies;
    if (event.productVersion !== null)
      return decisionPairs(policies, subject.type, event.testcase, event.productVersion);
    const versions = [
      ...new Set([...subjectProductVersions(subject), ...this.parts.knownProductVersions(subject)]),
    ].sort();
    if (versions.length === 0)
      return decisionPairs(policies, subject.type, event.testcase).filter(([, v]) => !/[*?[]/.test(v));
    return versions.flatMap((v) => decisionPairs(policies, subject.type, event.testcase, v));
  }

  private decision(prepared: PreparedDecision): DecisionState | undefined {
    try {
      return decisionState(this.parts.decisions.decidePrepared(prepared));
    } catch (err) {
      // No applicable policy after all (a package list left the subject out): nothing to announce.
      if (err instanceof DecisionInputError) return undefined;
      throw err;
    }
  }
}
