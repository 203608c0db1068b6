import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AppContext } from '../api/app-context.js';
import { Authenticator } from '../api/auth.js';
import { buildHttpServer, type HttpServer } from '../api/http-server.js';
import type { Bus, ConsumerSpec } from '../bus/bus.js';
import { createBus } from '../bus/create-bus.js';
import type { CompiledConfig } from '../config/config-types.js';
import { ciResultsConsumer } from '../consumers/ci-results-consumer.js';
import { notifyConsumer } from '../consumers/notify-consumer.js';
import { eventLogConsumer } from '../consumers/event-log-consumer.js';
import { resultSubmitConsumer } from '../consumers/result-submit-consumer.js';
import { EventLog } from '../db/event-log.js';
import { MailOutbox } from '../db/mail-outbox.js';
import { RecordedRunNodes } from '../db/recorded-run-nodes.js';
import { migrate } from '../db/migrate.js';
import { openDatabase, type Db } from '../db/open-database.js';
import { ProcessedMessages } from '../db/processed-messages.js';
import { ResultsStore } from '../db/results-store.js';
import { WaiversStore } from '../db/waivers-store.js';
import { createMailTransport } from '../notify/create-mail-transport.js';
import { HttpJobLogSource } from '../notify/http-job-log-source.js';
import type { MailTransport } from '../notify/mail-transport.js';
import { NotificationSender } from '../notify/notification-sender.js';
import { Notifier } from '../notify/notifier.js';
import { compileRules } from '../notify/notify-rules.js';
import { RecordedRunReportSource } from '../notify/recorded-run-report-source.js';
import { bareAddress } from '../notify/resolve-recipients.js';
import { Outbox } from '../producers/outbox.js';
import { OutboxRelay } from '../producers/outbox-relay.js';
import { scheduleTask, type ScheduledTask } from '../scheduler/scheduled-task.js';
import { SchemaRegistry } from '../schemas/schema-registry.js';

export interface SluiceServiceOptions {
  config: CompiledConfig;
  log: Logger;
  registry?: SchemaRegistry;
  /** Consumers besides the built-in ones (tests, later features). */
  consumers?: Array<(ctx: AppContext) => ConsumerSpec>;
  /** Start the HTTP server (default true). */
  http?: boolean;
}

/** The whole service in one process: store, bus, consumers, outbox relay, HTTP, housekeeping. */
export class SluiceService {
  readonly ctx: AppContext;
  readonly http: HttpServer | undefined;
  private readonly tasks: ScheduledTask[] = [];
  private readonly mailTransport: MailTransport;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: SluiceServiceOptions) {
    const { config, log } = options;
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
    const results = new ResultsStore(db, outbox, config);
    const waivers = new WaiversStore(db, outbox);
    const mailOutbox = new MailOutbox(db, bareAddress(config.notify.from).split('@').pop()!);
    this.mailTransport = createMailTransport(config.notify);
    // With RabbitMQ, several processes may share the store: claims are then recovered by age only.
    const notifications = new NotificationSender(mailOutbox, db, this.mailTransport, config.notify, log.child({ part: 'notify' }), config.busKind === 'embedded');
    this.ctx = { config, log, db, registry, bus, outbox, relay, eventLog, feed, auth, results, waivers, mailOutbox, notifications };
    if (config.events.recordTopics.length > 0) bus.consume(eventLogConsumer(eventLog, feed, config.events.recordTopics));
    // Woken when a consumer stored a result, so its announcement goes out now, not at the next poll.
    bus.consume(ciResultsConsumer(results, () => relay.kick()));
    bus.consume(resultSubmitConsumer(results, () => relay.kick()));
    this.registerNotifier(mailOutbox, notifications);
    for (const make of options.consumers ?? []) bus.consume(make(this.ctx));
    this.http = options.http === false ? undefined : buildHttpServer(this.ctx);
  }

  /** The notification rules' consumer, when there are rules. */
  private registerNotifier(mailOutbox: MailOutbox, notifications: NotificationSender): void {
    const { config, log, db, bus, results } = this.ctx;
    const { rules } = compileRules(config.notify);
    if (rules.length === 0) return;
    const runNodes = new RecordedRunNodes(db);
    const notifier = new Notifier({
      rules,
      settings: config.notify,
      // Read when a mail is made, not now: with port 0 the URL is known only once listening.
      get serverUrl() {
        return config.serverUrl;
      },
      outbox: mailOutbox,
      runNodes,
      reports: new RecordedRunReportSource(runNodes, results),
      log: log.child({ part: 'notify' }),
    });
    bus.consume(
      notifyConsumer({
        notifier,
        ruleTopics: rules.flatMap((r) => r.topics),
        recordNodes: rules.some((r) => r.mail === 'run-report' || r.mail === 'job-failed'),
        runNodes,
        logs: new HttpJobLogSource(config.notify, () => [config.serverUrl, ...config.notify.logUrlPrefixes]),
        added: () => notifications.kick(),
      }),
    );
  }

  /** Returns the address the HTTP server listens on, when it has one. */
  async start(): Promise<string | undefined> {
    const { bus, relay, config, log, db } = this.ctx;
    await bus.start();
    relay.start();
    this.ctx.notifications.start();
    const ledger = new ProcessedMessages(db);
    this.tasks.push(scheduleTask('prune-processed-messages', '17 * * * *', () => ledger.prune(config.events.dedupRetentionHours * 3600_000), log));
    const runNodes = new RecordedRunNodes(db);
    const keepMs = config.notify.keepDays * 86_400_000;
    this.tasks.push(scheduleTask('prune-notifications', '41 3 * * *', () => this.ctx.mailOutbox.prune(keepMs) + runNodes.prune(keepMs), log));
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
      await this.ctx.notifications.stop();
      await this.mailTransport.close();
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
