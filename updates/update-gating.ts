import { randomBytes } from 'node:crypto';
import type { UpdatesStore, StoredUpdate } from '../db/updates-store.js';
import type { Db } from '../db/open-database.js';
import { UpdateInputError } from '../errors/update-input-error.js';
import { decisionState, type DecisionState } from '../gating/decision-update-message.js';
import type { DecisionMaker, PreparedDecision } from '../gating/decision-maker.js';
import type { DecisionRequest } from '../gating/decision-request.js';
import type { Subject } from '../gating/subject.js';
import type { SubjectTypes } from '../gating/subject-types.js';
import type { GatingStatus } from '../db/updates-store.js';
import { gatingStatus, recheckAt } from './gating-status.js';
import { updateDecisionContexts } from './update-contexts.js';
import type { UpdateInput } from './update-input.js';
import { makeAlias, UPDATES_PREFIX, type UpdateJson, type UpdateStatusBody } from './update-json.js';
import { UPDATE_STATUS } from './update-json.js';
import type { BodyOf, Topic } from '../schemas/topic-contract.js';

export interface UpdateGatingParts {
  db: Db;
  store: UpdatesStore;
  decisions: DecisionMaker;
  subjectTypes: SubjectTypes;
  /** Adds a message to the outbox, inside the caller's transaction. */
  publish<T extends Topic>(topic: T, body: BodyOf<T>): void;
  /** How long missing results are waited for after an update's builds were set. */
  graceMs: number;
  /** Read when a link is made: the server's URL is known only once it listens. */
  serverUrl: () => string;
  now?: () => number;
}

/** An update's decision with its gating files fetched: what `refresh` decides on. */
export interface PreparedUpdate {
  id: string;
  prepared: PreparedDecision;
}

const NOTHING: ReadonlySet<number> = new Set();
const RECHECK_BATCH = 500;

/**
 * Updates' gating (what a release tool acts on): each update's decision over its builds and
 * itself at the decision contexts Bodhi would ask about, and the gating status derived from it.
 * The status is kept with the update and every change is published on `update.gating.status`
 * in the transaction that records it. It is recomputed when a result or waiver for one of its
 * subjects is handled (the decision-change consumer), when its grace period for missing results
 * ends (a scheduled re-check), and whenever it is read: GET answers with the status of this
 * moment, announcing it first if it changed, so nobody sees a status before its message exists.
 */
export class UpdateGating {
  private readonly now: () => number;

  constructor(private readonly parts: UpdateGatingParts) {
    this.now = parts.now ?? Date.now;
  }

  /** Files an update, decides it and announces its first status (previous: null). */
  async create(input: UpdateInput, submitter: string): Promise<UpdateJson> {
    const { store, db } = this.parts;
    const at = this.now();
    const id = input.alias ?? makeAlias(input.productVersion, at, randomBytes(5).toString('hex'));
    if (store.get(id)) throw new UpdateInputError('alias', `update ${id} exists already`, 'UPDATE_EXISTS');
    const update: StoredUpdate = {
      id,
      productVersion: input.productVersion,
      request: input.request,
      critpath: input.critpath,
      critpathGroups: input.critpathGroups,
      builds: input.builds,
      submitter,
      createdAt: at,
      modifiedAt: at,
      status: 'waiting',
      statusAt: at,
      recheckAt: null,
    };
    const prepared = await this.parts.decisions.prepare(this.requestFor(update));
    return db.transaction(() => {
      if (store.get(id)) throw new UpdateInputError('alias', `update ${id} exists already`, 'UPDATE_EXISTS');
      const decision = this.decision(prepared);
      const now = this.now();
      const status = this.statusOf(update, decision, now);
      const created = {
        ...update,
        status,
        statusAt: now,
        recheckAt: recheckAt(update.modifiedAt, now, this.parts.graceMs),
      };
      store.insert(created);
      this.announce(created, null, decision, now);
      return this.json(created, decision);
    })();
  }

  /** The update as of now (undefined when there is none); a changed status is recorded and announced first. */
  async read(id: string): Promise<UpdateJson | undefined> {
    const prepared = await this.prepare(id);
    if (!prepared) return undefined;
    return this.parts.db.transaction(() => this.refresh(prepared)?.json)();
  }

  /** The updates a subject's results or waivers count for: those holding the build, or the update itself. */
  idsFor(subject: Subject): string[] {
    if (subject.type.id === 'koji_build') return this.parts.store.idsForBuild(subject.identifier);
    if (subject.type.id === 'bodhi_update')
      return this.parts.store.get(subject.identifier) ? [subject.identifier] : [];
    return [];
  }

  /** Product versions of the updates holding a subject: decision changes are worked out for these too. */
  productVersionsFor(subject: Subject): string[] {
    if (subject.type.id === 'koji_build') return this.parts.store.productVersionsForBuild(subject.identifier);
    if (subject.type.id === 'bodhi_update') {
      const u = this.parts.store.get(subject.identifier);
      return u ? [u.productVersion] : [];
    }
    return [];
  }

  /** Fetches what an update's decision needs (gating files); undefined when there is no such update. */
  prepare(id: string): PreparedUpdate | Promise<PreparedUpdate> | undefined {
    const update = this.parts.store.get(id);
    if (!update) return undefined;
    const prepared = this.parts.decisions.prepare(this.requestFor(update));
    return prepared instanceof Promise ? prepared.then((p) => ({ id, prepared: p })) : { id, prepared };
  }

  /**
   * Decides the update on the store as it is now and, when its status changed, records and
   * announces it. Call inside a transaction (the consumer's effect, or read's). Returns the
   * update as now, and whether its status changed; undefined when it is gone.
   */
  refresh(p: PreparedUpdate): { json: UpdateJson; changed: boolean } | undefined {
    const update = this.parts.store.get(p.id);
    if (!update) return undefined;
    const decision = this.decision(p.prepared);
    const now = this.now();
    const status = this.statusOf(update, decision, now);
    const recheck = recheckAt(update.modifiedAt, now, this.parts.graceMs);
    const changed = status !== update.status;
    const current = { ...update, status, statusAt: changed ? now : update.statusAt, recheckAt: recheck };
    if (changed || recheck !== update.recheckAt)
      this.parts.store.setStatus(update.id, status, current.statusAt, recheck);
    if (changed) this.announce(current, update.status, decision, now);
    return { json: this.json(current, decision), changed };
  }

  /** The scheduled re-check: updates whose grace period has ended since they were last decided. Returns how many changed. */
  async recheckDue(): Promise<number> {
    let changed = 0;
    for (const id of this.parts.store.due(this.now(), RECHECK_BATCH)) {
      const prepared = await this.prepare(id);
      if (!prepared) continue;
      if (this.parts.db.transaction(() => this.refresh(prepared)?.changed)()) changed++;
    }
    return changed;
  }

  private requestFor(u: StoredUpdate): DecisionRequest {
    const { subjectTypes } = this.parts;
    const koji = subjectTypes.resolve('koji_build');
    return {
      productVersion: u.productVersion,
      decisionContexts: updateDecisionContexts(u.request, u.critpath, u.critpathGroups),
      onDemand: null,
      // Bodhi's greenwave_subject: every build, then the update itself.
      subjects: [
        ...u.builds.map((nvr) => ({ type: koji, identifier: nvr })),
        { type: subjectTypes.resolve('bodhi_update'), identifier: u.id },
      ],
      verbose: false,
      when: null,
      ignoreResults: NOTHING,
      ignoreWaivers: NOTHING,
    };
  }

  /**
   * A build no policy applies to adds no requirement: Greenwave would answer the whole request
   * with 404, but an update whose product version has no policies has simply nothing required.
   */
  private decision(prepared: PreparedDecision): DecisionState {
    const subjects = prepared.subjects.filter((s) => s.policies.length > 0);
    return decisionState(this.parts.decisions.decidePrepared({ ...prepared, subjects }));
  }

  private statusOf(u: StoredUpdate, d: DecisionState, now: number): GatingStatus {
    return gatingStatus({
      satisfied: d.satisfied_requirements,
      unsatisfied: d.unsatisfied_requirements,
      since: u.modifiedAt,
      now,
      graceMs: this.parts.graceMs,
    });
  }

  private announce(u: StoredUpdate, previous: GatingStatus | null, d: DecisionState, now: number): void {
    const body: UpdateStatusBody = {
      id: u.id,
      href: this.href(u.id),
      product_version: u.productVersion,
      request: u.request,
      builds: u.builds,
      decision_contexts: updateDecisionContexts(u.request, u.critpath, u.critpathGroups),
      test_gating_status: u.status,
      previous_test_gating_status: previous,
      summary: d.summary,
      policies_satisfied: d.policies_satisfied,
      unsatisfied_requirements: d.unsatisfied_requirements,
      changed_at: new Date(now).toISOString(),
    };
    this.parts.publish(UPDATE_STATUS, body);
  }

  private json(u: StoredUpdate, decision: DecisionState): UpdateJson {
    return {
      id: u.id,
      href: this.href(u.id),
      product_version: u.productVersion,
      request: u.request,
      builds: u.builds,
      critpath: u.critpath,
      critpath_groups: u.critpathGroups,
      decision_contexts: updateDecisionContexts(u.request, u.critpath, u.critpathGroups),
      submitter: u.submitter,
      created: new Date(u.createdAt).toISOString(),
      modified: new Date(u.modifiedAt).toISOString(),
      test_gating_status: u.status,
      test_gating_status_since: new Date(u.statusAt).toISOString(),
      missing_results_deadline: new Date(u.modifiedAt + this.parts.graceMs).toISOString(),
      decision,
    };
  }

  private href(id: string): string {
    return `${this.parts.serverUrl()}${UPDATES_PREFIX}/${encodeURIComponent(id)}`;
  }
}
