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
import { resultSubmitConsumer } from '../consumers/result-submit-consumer.js';
import { EventLog } from '../db/event-log.js';
import { migrate } from '../db/migrate.js';
import { openDatabase, type Db } from '../db/open-database.js';
import { ProcessedMessages } from '../db/processed-messages.js';
import { ResultsStore } from '../db/results-store.js';
import { Outbox } from '../producers/outbox.js';
import { OutboxRelay } from '../producers/outbox-relay.js';
import { scheduleTask, type ScheduledTask } from '../scheduler/scheduled-task.js';
import { SchemaRegistry } from '../schemas/schema-registry.js';
import { createPipeline, pipelineConsumers, pipelineTasks } from './pipeline-wiring.js';

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
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: SluiceServiceOptions) {
    const { config, log } = options;
    const db: Db = openDatabase(config.db.path, { busyTimeoutMs: config.db.busyTimeoutMs });
    migrate(db);
    const registry = options.registry ?? new SchemaRegistry();
    const bus: Bus = createBus(config, db, registry, log);
    const outbox = new Outbox(db, registry);
    const relay = new OutboxRelay(outbox, bus, config.outbox, log.child({ part: 'outbox' }));
    const eventLog = new EventLog(db, config.events.maxEvents);
    const feed = new EventEmitter();
    feed.setMaxListeners(0);
    const auth = new Authenticator(config);
    if (!auth.open && config.auth.tokens.length === 0) log.warn('no API tokens configured and the server is not on loopback: every write will be refused');
    const results = new ResultsStore(db, outbox, config);
    const pipeline = createPipeline(config, db, bus, outbox, relay, results, log);
    this.ctx = { config, log, db, registry, bus, outbox, relay, eventLog, feed, auth, results, pipeline };
    bus.consume(eventLogConsumer(eventLog, feed));
    // Woken when a consumer stored a result, so its announcement goes out now, not at the next poll.
    bus.consume(ciResultsConsumer(results, () => relay.kick()));
    bus.consume(resultSubmitConsumer(results, () => relay.kick()));
    if (config.pipeline.enabled) for (const spec of pipelineConsumers(pipeline, relay)) bus.consume(spec);
    for (const make of options.consumers ?? []) bus.consume(make(this.ctx));
    this.http = options.http === false ? undefined : buildHttpServer(this.ctx);
  }

  /** Returns the address the HTTP server listens on, when it has one. */
  async start(): Promise<string | undefined> {
    const { bus, relay, config, log, db } = this.ctx;
    await bus.start();
    await this.ctx.pipeline.runner?.start();
    relay.start();
    const ledger = new ProcessedMessages(db);
    this.tasks.push(scheduleTask('prune-processed-messages', '17 * * * *', () => ledger.prune(config.events.dedupRetentionHours * 3600_000), log));
    if (config.pipeline.enabled) this.tasks.push(...pipelineTasks(this.ctx.pipeline, config, log));
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
      // Running jobs are killed and report incomplete, so the bus need not wait for them.
      await this.ctx.pipeline.runner?.stop();
      await relay.stop();
      await bus.stop();
      await this.ctx.pipeline.runner?.close();
      db.close();
      log.info('sluice stopped');
    })();
    return this.stopped;
  }
}
