import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AppContext } from '../api/app-context.js';
import { Authenticator } from '../api/auth.js';
import { buildHttpServer, type HttpServer } from '../api/http-server.js';
import { dashboardRoutes } from '../api/routes/dashboard-routes.js';
import { SLUICE_VERSION } from '../api/sluice-version.js';
import type { Bus, BusObserver, ConsumerSpec } from '../bus/bus.js';
import { createBus } from '../bus/create-bus.js';
import type { CompiledConfig, GatingSettings } from '../config/config-types.js';
import { ciResultsConsumer } from '../consumers/ci-results-consumer.js';
import { notifyConsumer } from '../consumers/notify-consumer.js';
import { eventLogConsumer } from '../consumers/event-log-consumer.js';
import { GATING_CHANGES_CONSUMER, gatingChangesConsumer } from '../consumers/gating-changes-consumer.js';
import { resultSubmitConsumer } from '../consumers/result-submit-consumer.js';
import { EventLog } from '../db/event-log.js';
import { Lease, holderId } from '../db/lease.js';
import { MailOutbox } from '../db/mail-outbox.js';
import { migrate } from '../db/migrate.js';
import { openDatabase, type Db } from '../db/open-database.js';
import { WalCheckpointer } from '../db/wal-checkpointer.js';
import { ProcessedMessages } from '../db/processed-messages.js';
import { BuildInfoFromResults } from '../db/build-info-from-results.js';
import { DecisionHistoryStore } from '../db/decision-history-store.js';
import { DecisionStatesStore } from '../db/decision-states-store.js';
import { WebSessionsStore } from '../db/web-sessions-store.js';
import { GatingLatestStore } from '../db/gating-latest-store.js';
import { ResultsStore } from '../db/results-store.js';
import { WaiversStore } from '../db/waivers-store.js';
import { StoreGatingResults } from '../db/store-gating-results.js';
import { UpdatesStore } from '../db/updates-store.js';
import { DecisionCache } from '../gating/decision-cache.js';
import { DecisionChanges } from '../gating/decision-change-publisher.js';
import { DecisionMaker } from '../gating/decision-maker.js';
import { HttpGatingFileFetcher } from '../gating/http-gating-file-fetcher.js';
import { KojiBuildInfo } from '../gating/koji-build-info.js';
import { KojiClient } from '../gating/koji-client.js';
import { loadPolicies, parsePolicyText } from '../gating/load-policies.js';
import { DEMO_POLICY_FILE, DEMO_POLICY_YAML, usesDemoPipeline } from '../config/demo-policy.js';
import type { Policy } from '../gating/policy.js';
import type { BuildInfoSource, GatingFileFetcher } from '../gating/remote-rule.js';
import { SubjectTypes } from '../gating/subject-types.js';
import type { WaiverSource } from '../gating/waivers.js';
import { SluiceError } from '../errors/sluice-error.js';
import { HealthChecks } from '../observability/health-checks.js';
import { SluiceMetrics } from '../observability/metrics.js';
import { createMailTransport } from '../notify/create-mail-transport.js';
import { HttpJobLogSource } from '../notify/http-job-log-source.js';
import type { MailTransport } from '../notify/mail-transport.js';
import { NotificationSender } from '../notify/notification-sender.js';
import { Notifier } from '../notify/notifier.js';
import { MailChannel } from '../notify/mail-channel.js';
import { WebhookChannel } from '../notify/webhook-channel.js';
import { ChatChannel } from '../notify/chat-channel.js';
import { compileRules } from '../notify/notify-rules.js';
import { StoreRunReportSource } from '../notify/store-run-report-source.js';
import { bareAddress } from '../notify/resolve-recipients.js';
import { Outbox } from '../db/outbox.js';
import { OutboxRelay } from '../producers/outbox-relay.js';
import { Scheduler, type TaskSpec } from '../periodic/scheduler.js';
import { SchemaRegistry } from '../schemas/schema-registry.js';
import { ROLES, type Role } from '../config/roles.js';
import { createPipeline, pipelineConsumers, pipelineTasks } from './pipeline-wiring.js';
import type { FinishedEvent, Runner } from '../builders/runner.js';
import { UpdateGating } from '../updates/update-gating.js';
import { ServerUrl } from './server-url.js';
import { GatingEffects } from '../intake/gating-effects.js';
import { ChangesWhenStored } from '../intake/changes-when-stored.js';
import { ResultIntake } from '../intake/submit-result.js';
import { WaiverIntake } from '../intake/submit-waiver.js';
import type { BodyOf, Topic } from '../schemas/topic-contract.js';
import { syncDataKeyIndexes } from '../db/data-key-indexes.js';

export interface SluiceServiceOptions {
  config: CompiledConfig;
  log: Logger;
  registry?: SchemaRegistry;
  /** Consumers besides the built-in ones (tests, later features); started with the `consumers` role. */
  consumers?: Array<(ctx: AppContext) => ConsumerSpec>;
  /** The consumers that run pipeline jobs; started with the `runner` role. */
  runnerConsumers?: Array<(ctx: AppContext) => ConsumerSpec>;
  /** Scheduled tasks besides the built-in ones; they run in the one process that holds the scheduler lease. */
  tasks?: Array<(ctx: AppContext) => TaskSpec>;
  /** Start an HTTP server (default true). Without the `api` role it serves only /healthz, /readyz and /metrics. */
  http?: boolean;
  /** Default: every role. */
  roles?: Iterable<Role>;
  /** Process metrics (CPU, memory, event loop) in /metrics (default true). */
  processMetrics?: boolean;
  /** Where decisions read waivers instead of the waivers store (tests); decision answers are then not cached. */
  waivers?: WaiverSource;
  /** How gating.yaml files are fetched (default: HTTP with the configured timeout). */
  gatingFiles?: GatingFileFetcher;
  /** Where builds' SCM URLs and creation times come from (default: the builds' own results). */
  buildInfo?: BuildInfoSource;
}

/** What create() read and opened before the service is composed. */
interface OpenedParts {
  policies: Policy[];
  roles: Set<Role>;
  db: Db;
  indexedDataKeys: ReadonlySet<string>;
}

export interface RegisteredConsumer {
  spec: ConsumerSpec;
  role: 'consumers' | 'runner';
}

/** The whole service, or the parts of it this process's roles select: store, bus, consumers, outbox relay, HTTP, scheduled tasks. */
export class SluiceService {
  readonly ctx: AppContext;
  readonly http: HttpServer | undefined;
  /** Every consumer this process registered on the bus, with the role that brought it. */
  readonly consumers: RegisteredConsumer[] = [];
  private readonly mailTransport: MailTransport;
  private readonly channels: { mail: MailChannel; webhook: WebhookChannel; chat: ChatChannel };
  private readonly checkpointer: WalCheckpointer;
  private readonly serverUrl: ServerUrl;
  private stopped: Promise<void> | undefined;

  /** Start-up's I/O (policies read, the store opened and migrated), then the parts composed on what it opened. */
  static async create(options: SluiceServiceOptions): Promise<SluiceService> {
    const { config } = options;
    // Policies first: a bad policy file stops the service before it opens anything.
    const policies =
      config.gating.policiesDir === null ? embeddedPolicies(config) : loadPolicies(config.gating.policiesDir);
    const roles = new Set(options.roles ?? ROLES);
    if (config.busKind === 'embedded' && roles.size < ROLES.length) {
      // Its queues get only the messages published in the same process: roles split across
      // processes would lose them.
      throw new SluiceError(
        'ROLE_INVALID',
        'roles other than "all" need RabbitMQ (bus.url): the embedded bus lives in one process',
      );
    }
    const db: Db = openDatabase(config.db.path, { busyTimeoutMs: config.db.busyTimeoutMs });
    try {
      migrate(db);
      const indexedDataKeys = syncDataKeyIndexes(db, config.results.indexedDataKeys);
      // Results stored while gating's table was off (or by an older version) are folded in now.
      new GatingLatestStore(db, new SubjectTypes(config.gating.subjectTypes).itemKeys()).catchUp();
      return new SluiceService(options, { policies, roles, db, indexedDataKeys });
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private constructor(options: SluiceServiceOptions, { policies, roles, db, indexedDataKeys }: OpenedParts) {
    const { config, log } = options;
    this.checkpointer = new WalCheckpointer(
      db,
      config.db.path,
      config.db.checkpointIntervalMs,
      log.child({ part: 'store' }),
    );
    const registry = options.registry ?? new SchemaRegistry();
    this.serverUrl = new ServerUrl(config.serverUrl);
    const serverUrl = () => this.serverUrl.get();
    const metrics = new SluiceMetrics({ processMetrics: options.processMetrics ?? true });
    const observer: BusObserver = {
      consumed: (c, t, o, s) => metrics.consumed(c, t, o, s),
      published: (t) => metrics.published(t),
    };
    const bus: Bus = createBus(config, db, registry, log, observer);
    const eventLog = new EventLog(db, config.events.maxEvents);
    const feed = new EventEmitter();
    feed.setMaxListeners(0);
    const outbox = new Outbox(db, registry, { eventLog, onAdded: coalesced(() => feed.emit('appended')) });
    const holder = holderId();
    const leaseMs = config.scheduler.leaseSeconds * 1000;
    const relay = new OutboxRelay(
      outbox,
      bus,
      config.outbox,
      log.child({ part: 'outbox' }),
      new Lease(db, 'outbox-relay', holder, leaseMs),
    );
    const sessions = new WebSessionsStore(db, config.auth.sessionSeconds * 1000);
    const auth = new Authenticator(config, sessions);
    if (!auth.open && config.auth.tokens.length === 0 && config.auth.oidc === null)
      log.warn('no API tokens configured and the server is not on loopback: every write will be refused');
    const subjectTypes = new SubjectTypes(config.gating.subjectTypes);
    // An injected waiver source tells nobody of new waivers: answers about them cannot be kept.
    const decisionCache =
      config.gating.cacheDecisions > 0 && !options.waivers
        ? new DecisionCache(config.gating.cacheDecisions)
        : undefined;
    const latest = new GatingLatestStore(
      db,
      subjectTypes.itemKeys(),
      config.gating.cacheSubjects,
      (identifier) => (identifier === null ? decisionCache?.clear() : decisionCache?.invalidate(identifier)),
    );
    const results = new ResultsStore(db, outbox, config, indexedDataKeys, serverUrl);
    const waivers = new WaiversStore(db, outbox);
    const decisions = new DecisionMaker({
      policies,
      subjectTypes,
      settings: config.gating,
      results: new StoreGatingResults(latest, results),
      waivers: options.waivers ?? waivers,
      build:
        options.buildInfo ??
        buildInfoSource(config.gating, new BuildInfoFromResults(db, config.gating.remoteRule.sourceDataKey)),
      fetcher:
        options.gatingFiles ??
        new HttpGatingFileFetcher({
          timeoutMs: config.gating.remoteRule.fetchTimeoutMs,
          cacheTtlMs: config.gating.remoteRule.cacheTtlMs,
        }),
      ...(decisionCache ? { cache: decisionCache } : {}),
    });
    const publish = <T extends Topic>(topic: T, body: BodyOf<T>) => void outbox.add(topic, body);
    const updates = new UpdateGating({
      db,
      store: new UpdatesStore(db),
      decisions,
      subjectTypes,
      publish,
      graceMs: config.gating.updates.gracePeriodSeconds * 1000,
      serverUrl,
    });
    const history = new DecisionHistoryStore(db);
    const changes = new DecisionChanges({
      decisions,
      states: new DecisionStatesStore(db),
      history,
      publish,
      knownProductVersions: (s) => updates.productVersionsFor(s),
    });
    const effects = new GatingEffects({
      changes,
      updates,
      subjectTypes,
      incompleteOutcomes: config.gating.outcomes.incomplete,
    });
    // Without the consumers role the consumer works them out, in the process that has it.
    const changesWhenStored =
      config.gating.changesWhenStored && roles.has('consumers')
        ? new ChangesWhenStored(
            db,
            outbox,
            effects,
            () => relay.kick(),
            log.child({ consumer: GATING_CHANGES_CONSUMER }),
          )
        : undefined;
    const whenStored = changesWhenStored ? { changes: changesWhenStored } : {};
    const resultIntake = new ResultIntake({ db, results, latest, ...whenStored });
    const waiverIntake = new WaiverIntake({
      db,
      waivers,
      ...(decisionCache ? { decisionCache } : {}),
      ...whenStored,
    });
    const pipeline = createPipeline(
      config,
      serverUrl,
      db,
      bus,
      outbox,
      relay,
      resultIntake,
      log,
      roles.has('runner'),
    );
    const health = new HealthChecks();
    const scheduler = new Scheduler(
      db,
      new Lease(db, 'scheduler', holder, leaseMs),
      roles.has('scheduler'),
      metrics,
      log.child({ part: 'scheduler' }),
    );
    const mailOutbox = new MailOutbox(db, bareAddress(config.notify.from).split('@').pop()!);
    this.mailTransport = createMailTransport(config.notify);
    // With RabbitMQ, several processes may share the store: claims are then recovered by age only.
    const notifyLog = log.child({ part: 'notify' });
    const channels = {
      mail: new MailChannel(mailOutbox, this.mailTransport, config.notify, serverUrl, notifyLog),
      webhook: new WebhookChannel(mailOutbox, config.notify.httpTimeoutMs),
      chat: new ChatChannel(mailOutbox, serverUrl, config.notify.httpTimeoutMs),
    };
    this.channels = channels;
    const notifications = new NotificationSender(
      mailOutbox,
      db,
      channels,
      config.notify,
      log.child({ part: 'notify' }),
      config.busKind === 'embedded',
      (channel, outcome) => metrics.countNotification(channel, outcome),
    );
    this.ctx = {
      config,
      serverUrl,
      log,
      db,
      registry,
      bus,
      outbox,
      relay,
      eventLog,
      feed,
      auth,
      sessions,
      results,
      resultIntake,
      waivers,
      waiverIntake,
      gating: { subjectTypes, decisions, updates, history },
      metrics,
      health,
      scheduler,
      roles,
      mailOutbox,
      notifications,
      pipeline,
    };

    health.register('store', () => {
      db.prepare('SELECT 1').get();
      return { ok: true, detail: config.db.path };
    });
    health.register('bus', () => ({ kind: bus.kind, ...bus.health() }));
    // Mail waits in the outbox while the server is away: it is reported, but Sluice stays ready.
    if (config.notify.transport === 'smtp')
      health.register('smtp', () => notifications.health(), { critical: false });
    if (pipeline.runner && roles.has('runner')) watchBuilders(pipeline.runner, metrics, health);
    metrics.gauge(
      'sluice_outbox_depth',
      'Messages waiting in the outbox to be sent',
      () => outbox.depth().count,
    );
    metrics.gauge(
      'sluice_outbox_oldest_age_seconds',
      'Age of the oldest message waiting in the outbox (0 when empty)',
      () => outbox.depth().oldestAgeMs / 1000,
    );
    metrics.labelledGauge(
      'sluice_info',
      'This process: version, roles and bus kind',
      ['version', 'roles', 'bus'],
      () => [{ labels: { version: SLUICE_VERSION, roles: [...roles].join(','), bus: bus.kind }, value: 1 }],
    );

    const pipelineSpecs = config.pipeline.enabled ? pipelineConsumers(pipeline) : undefined;
    if (roles.has('consumers')) {
      if (config.events.recordTopics.length > 0)
        this.consume(eventLogConsumer(eventLog, feed, config.events.recordTopics), 'consumers');
      // Woken when a consumer stored a result, so its announcement goes out now, not at the next poll.
      this.consume(
        ciResultsConsumer(
          resultIntake,
          () => relay.kick(),
          (reason) => metrics.ciMessageSkipped(reason),
        ),
        'consumers',
      );
      this.consume(
        resultSubmitConsumer(resultIntake, () => relay.kick()),
        'consumers',
      );
      this.consume(
        gatingChangesConsumer(effects, () => relay.kick()),
        'consumers',
      );
      this.registerNotifier(mailOutbox, notifications);
      for (const spec of pipelineSpecs?.consumers ?? []) this.consume(spec, 'consumers');
      for (const make of options.consumers ?? []) this.consume(make(this.ctx), 'consumers');
    }
    if (roles.has('runner')) {
      if (pipelineSpecs?.runner) this.consume(pipelineSpecs.runner, 'runner');
      for (const make of options.runnerConsumers ?? []) this.consume(make(this.ctx), 'runner');
    }

    const ledger = new ProcessedMessages(db);
    scheduler.schedule('prune-processed-messages', config.scheduler.pruneCron, () =>
      ledger.prune(config.events.dedupRetentionHours * 3600_000),
    );
    const keepMs = config.notify.keepDays * 86_400_000;
    scheduler.schedule('prune-notifications', config.notify.pruneCron, () => mailOutbox.prune(keepMs));
    // Time alone can change an update's status (its grace period for missing results ends).
    scheduler.schedule('recheck-update-gating', config.gating.updates.recheckCron, async () => {
      if ((await updates.recheckDue()) > 0) relay.kick();
    });
    if (config.pipeline.enabled)
      for (const t of pipelineTasks(pipeline, config, log)) scheduler.schedule(t.name, t.cron, t.run);
    for (const make of options.tasks ?? []) {
      const t = make(this.ctx);
      scheduler.schedule(t.name, t.cron, t.run);
    }
    const consumers = () =>
      this.consumers.map(({ spec, role }) => ({ name: spec.name, role, topics: spec.topics }));
    this.http =
      options.http === false
        ? undefined
        : buildHttpServer(this.ctx, {
            api: roles.has('api'),
            routeGroups: [(scope, ctx) => dashboardRoutes(scope, ctx, { consumers })],
          });
  }

  private consume(spec: ConsumerSpec, role: RegisteredConsumer['role']): void {
    this.ctx.bus.consume(spec);
    this.consumers.push({ spec, role });
  }

  /** The notification rules' consumer, when there are rules. */
  private registerNotifier(mailOutbox: MailOutbox, notifications: NotificationSender): void {
    const { config, log, results, pipeline, serverUrl } = this.ctx;
    const { rules } = compileRules(config.notify);
    if (rules.length === 0) return;
    const notifier = new Notifier({
      rules,
      channels: this.channels,
      outbox: mailOutbox,
      reports: new StoreRunReportSource(pipeline.nodes, results, serverUrl),
      log: log.child({ part: 'notify' }),
    });
    this.consume(
      notifyConsumer({
        notifier,
        ruleTopics: rules.flatMap((r) => r.topics),
        logs: new HttpJobLogSource(config.notify, () => [serverUrl(), ...config.notify.logUrlPrefixes]),
        added: () => notifications.kick(),
      }),
      'consumers',
    );
  }

  /** Returns the address the HTTP server listens on, when it has one. */
  async start(): Promise<string | undefined> {
    const { bus, relay, config, log, scheduler, roles } = this.ctx;
    await this.checkpointer.start();
    await bus.start();
    await this.ctx.pipeline.runner?.start();
    relay.start();
    scheduler.start(config.scheduler.leaseSeconds * 1000);
    this.ctx.notifications.start();
    // One sender per deployment keeps a commit's statuses in order: the consumers' process sends them.
    if (roles.has('consumers')) this.ctx.pipeline.forgeSender?.start();
    if (!this.http) return undefined;
    const address = await this.http.app.listen({ host: config.server.host, port: config.server.port });
    // Asked for any free port: links (hrefs, page links) must carry the one we got.
    if (config.server.port === 0 && config.server.publicUrl === null) {
      const bound = this.http.app.server.address();
      if (bound && typeof bound === 'object') this.serverUrl.listening(bound.port);
    }
    log.info(
      { address, roles: [...roles], bus: bus.kind, db: config.db.path, config: config.source },
      'sluice is serving',
    );
    return address;
  }

  /** Graceful: stop taking requests and messages, let in-flight work finish, flush, close. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const { bus, relay, db, log, scheduler } = this.ctx;
      this.http?.endStreams();
      await this.http?.app.close();
      await scheduler.stop();
      // Running jobs are killed and report incomplete, so the bus need not wait for them.
      await this.ctx.pipeline.runner?.stop();
      await relay.stop();
      await bus.stop();
      await this.ctx.pipeline.runner?.close();
      await this.ctx.notifications.stop();
      await this.ctx.pipeline.forgeSender?.stop();
      await this.mailTransport.close();
      await this.checkpointer.stop();
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

/**
 * The in-process runner's builders in /readyz (one check each, not critical: jobs wait or go to
 * another builder) and in /metrics (jobs finished per builder, builder health after each job).
 */
function watchBuilders(runner: Runner, metrics: SluiceMetrics, health: HealthChecks): void {
  const byName = () => new Map(runner.pool.status().map((b) => [b.name, b]));
  const update = () => {
    for (const b of runner.pool.status()) metrics.setBuilderHealth(b.name, b.healthy, b.active);
  };
  for (const { name } of runner.pool.status()) {
    health.register(
      `builder:${name}`,
      () => {
        const b = byName().get(name)!;
        return {
          ok: b.healthy,
          detail: `${b.active}/${b.jobLimit} jobs${b.lastError ? `; last error: ${b.lastError}` : ''}`,
        };
      },
      { critical: false },
    );
  }
  update();
  runner.events.on('dispatched', update);
  runner.events.on('finished', (e: FinishedEvent) => {
    metrics.observeJob(e.builder ?? 'none', e.status, e.seconds);
    update();
  });
}

/** Without a policies folder: the demo's policy when the demo pipeline runs (so its builds get decisions), else none. */
function embeddedPolicies(config: CompiledConfig): Policy[] {
  if (!usesDemoPipeline(config.pipeline)) return [];
  return parsePolicyText(DEMO_POLICY_YAML, DEMO_POLICY_FILE).policies;
}

/** Builds' sources and creation times: from Koji when one is configured (as Greenwave), else from their results. */
function buildInfoSource(gating: GatingSettings, fromResults: BuildInfoSource): BuildInfoSource {
  const { url, timeoutMs, cacheSize, cacheTtlMs } = gating.koji;
  return url === null
    ? fromResults
    : new KojiBuildInfo(new KojiClient({ url, timeoutMs, cacheSize, cacheTtlMs }), fromResults);
}
