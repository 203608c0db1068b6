import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AppContext } from '../api/app-context.js';
import { Authenticator } from '../api/auth.js';
import { buildHttpServer, type HttpServer } from '../api/http-server.js';
import type { Bus, ConsumerSpec } from '../bus/bus.js';
import { createBus } from '../bus/create-bus.js';
import type { CompiledConfig } from '../config/config-types.js';
import { ciResultsConsumer } from '../consumers/ci-results-consumer.js';
import { eventLogConsumer } from '../consumers/event-log-consumer.js';
import { gatingChangesConsumer } from '../consumers/gating-changes-consumer.js';
import { resultSubmitConsumer } from '../consumers/result-submit-consumer.js';
import { EventLog } from '../db/event-log.js';
import { migrate } from '../db/migrate.js';
import { openDatabase, type Db } from '../db/open-database.js';
import { ProcessedMessages } from '../db/processed-messages.js';
import { BuildInfoFromResults } from '../db/build-info-from-results.js';
import { DecisionStatesStore } from '../db/decision-states-store.js';
import { GatingLatestStore } from '../db/gating-latest-store.js';
import { ResultsStore } from '../db/results-store.js';
import { WaiversStore } from '../db/waivers-store.js';
import { StoreGatingResults } from '../db/store-gating-results.js';
import { UpdatesStore } from '../db/updates-store.js';
import { DecisionCache } from '../gating/decision-cache.js';
import { DecisionChanges } from '../gating/decision-changes.js';
import { DecisionMaker } from '../gating/decision-maker.js';
import { HttpGatingFileFetcher } from '../gating/http-gating-file-fetcher.js';
import { loadPolicies } from '../gating/load-policies.js';
import type { BuildInfoSource, GatingFileFetcher } from '../gating/remote-rule.js';
import { SubjectTypes } from '../gating/subject-types.js';
import type { WaiverSource } from '../gating/waivers.js';
import { Outbox } from '../producers/outbox.js';
import { OutboxRelay } from '../producers/outbox-relay.js';
import { scheduleTask, type ScheduledTask } from '../scheduler/scheduled-task.js';
import { SchemaRegistry } from '../schemas/schema-registry.js';
import { UpdateGating } from '../updates/update-gating.js';

export interface SluiceServiceOptions {
  config: CompiledConfig;
  log: Logger;
  registry?: SchemaRegistry;
  /** Consumers besides the built-in ones (tests, later features). */
  consumers?: Array<(ctx: AppContext) => ConsumerSpec>;
  /** Start the HTTP server (default true). */
  http?: boolean;
  /** Where decisions read waivers instead of the waivers store (tests); decision answers are then not cached. */
  waivers?: WaiverSource;
  /** How gating.yaml files are fetched (default: HTTP with the configured timeout). */
  gatingFiles?: GatingFileFetcher;
  /** Where builds' SCM URLs and creation times come from (default: the builds' own results). */
  buildInfo?: BuildInfoSource;
}

/** No waivers: what decisions see when the service has no waiver store. */

/** The whole service in one process: store, bus, consumers, outbox relay, HTTP, housekeeping. */
export class SluiceService {
  readonly ctx: AppContext;
  readonly http: HttpServer | undefined;
  private readonly tasks: ScheduledTask[] = [];
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: SluiceServiceOptions) {
    const { config, log } = options;
    // Policies first: a bad policy file stops the service before it opens anything.
    const policies = config.gating.policiesDir === null ? [] : loadPolicies(config.gating.policiesDir);
    const db: Db = openDatabase(config.db.path, { busyTimeoutMs: config.db.busyTimeoutMs });
    migrate(db);
    const registry = options.registry ?? new SchemaRegistry();
    const bus: Bus = createBus(config, db, registry, log);
    const eventLog = new EventLog(db, config.events.maxEvents);
    const feed = new EventEmitter();
    feed.setMaxListeners(0);
    const outbox = new Outbox(db, registry, { eventLog, onAdded: coalesced(() => feed.emit('appended')) });
    const relay = new OutboxRelay(outbox, bus, config.outbox, log.child({ part: 'outbox' }));
    const auth = new Authenticator(config);
    if (!auth.open && config.auth.tokens.length === 0) log.warn('no API tokens configured and the server is not on loopback: every write will be refused');
    const subjectTypes = new SubjectTypes(config.gating.subjectTypes);
    const latest = new GatingLatestStore(db, subjectTypes.itemKeys(), config.gating.cacheSubjects);
    const results = new ResultsStore(db, outbox, config, [latest.afterInsert]);
    latest.catchUp();
    // An injected waiver source tells nobody of new waivers: answers about them cannot be kept.
    const decisionCache = config.gating.cacheDecisions > 0 && !options.waivers ? new DecisionCache(config.gating.cacheDecisions) : undefined;
    if (decisionCache) latest.onChange((identifier) => (identifier === null ? decisionCache.clear() : decisionCache.invalidate(identifier)));
    const waivers = new WaiversStore(db, outbox, undefined, decisionCache ? [(w) => decisionCache.invalidate(w.subject_identifier)] : []);
    const decisions = new DecisionMaker({
      policies,
      subjectTypes,
      settings: config.gating,
      results: new StoreGatingResults(latest, results),
      waivers: options.waivers ?? waivers,
      build: options.buildInfo ?? new BuildInfoFromResults(db, config.gating.remoteRule.sourceDataKey),
      fetcher: options.gatingFiles ?? new HttpGatingFileFetcher({ timeoutMs: config.gating.remoteRule.fetchTimeoutMs, cacheTtlMs: config.gating.remoteRule.cacheTtlMs }),
      ...(decisionCache ? { cache: decisionCache } : {}),
    });
    const publish = (topic: string, body: unknown) => void outbox.add(topic, body);
    const updates = new UpdateGating({
      db,
      store: new UpdatesStore(db),
      decisions,
      subjectTypes,
      publish,
      graceMs: config.gating.updates.gracePeriodSeconds * 1000,
      serverUrl: () => config.serverUrl,
    });
    const changes = new DecisionChanges({ decisions, states: new DecisionStatesStore(db), publish, knownProductVersions: (s) => updates.productVersionsFor(s) });
    this.ctx = { config, log, db, registry, bus, outbox, relay, eventLog, feed, auth, results, waivers, gating: { subjectTypes, decisions, updates } };
    if (config.events.recordTopics.length > 0) bus.consume(eventLogConsumer(eventLog, feed, config.events.recordTopics));
    // Woken when a consumer stored a result, so its announcement goes out now, not at the next poll.
    bus.consume(ciResultsConsumer(results, () => relay.kick()));
    bus.consume(resultSubmitConsumer(results, () => relay.kick()));
    bus.consume(gatingChangesConsumer({ changes, updates, subjectTypes, incompleteOutcomes: config.gating.outcomes.incomplete, published: () => relay.kick() }));
    for (const make of options.consumers ?? []) bus.consume(make(this.ctx));
    this.http = options.http === false ? undefined : buildHttpServer(this.ctx);
  }

  /** Returns the address the HTTP server listens on, when it has one. */
  async start(): Promise<string | undefined> {
    const { bus, relay, config, log, db } = this.ctx;
    await bus.start();
    relay.start();
    const ledger = new ProcessedMessages(db);
    this.tasks.push(scheduleTask('prune-processed-messages', '17 * * * *', () => ledger.prune(config.events.dedupRetentionHours * 3600_000), log));
    // Time alone can change an update's status (its grace period for missing results ends).
    this.tasks.push(
      scheduleTask(
        'recheck-update-gating',
        config.gating.updates.recheckCron,
        async () => {
          if ((await this.ctx.gating.updates.recheckDue()) > 0) relay.kick();
        },
        log,
      ),
    );
    if (!this.http) return undefined;
    const address = await this.http.app.listen({ host: config.server.host, port: config.server.port });
    // Asked for any free port: links (hrefs, page links) must carry the one we got.
    if (config.server.port === 0 && config.server.publicUrl === null) {
      const bound = this.http.app.server.address();
      if (bound && typeof bound === 'object') config.serverUrl = config.serverUrl.replace(/:0$/, `:${bound.port}`);
    }
    log.info({ address, bus: bus.kind, db: config.db.path, config: config.source }, 'sluice is serving');
    return address;
  }

  /** Graceful: stop taking requests and messages, let in-flight work finish, flush, close. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const { bus, relay, db, log } = this.ctx;
      this.http?.endStreams();
      await this.http?.app.close();
      for (const t of this.tasks) await t.cancel();
      await relay.stop();
      await bus.stop();
      db.close();
      log.info('sluice stopped');
    })();
    return this.stopped;
  }
}

/**
 * Runs `fn` once on the next turn of the event loop however often it is asked for before then:
 * by then the transaction that asked has committed, so readers woken by it see the change.
 */
function coalesced(fn: () => void): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      fn();
    });
  };
}
