import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Authenticator } from './auth.js';
import type { Bus } from '../bus/bus.js';
import type { CompiledConfig } from '../config/config-types.js';
import type { EventLog } from '../db/event-log.js';
import type { MailOutbox } from '../db/mail-outbox.js';
import type { Db } from '../db/open-database.js';
import type { ResultsStore } from '../db/results-store.js';
import type { ResultIntake } from '../intake/submit-result.js';
import type { WaiverIntake } from '../intake/submit-waiver.js';
import type { WaiversStore } from '../db/waivers-store.js';
import type { DecisionHistoryStore } from '../db/decision-history-store.js';
import type { WebSessionsStore } from '../db/web-sessions-store.js';
import type { DecisionMaker } from '../gating/decision-maker.js';
import type { SubjectTypes } from '../gating/subject-types.js';
import type { HealthChecks } from '../observability/health-checks.js';
import type { SluiceMetrics } from '../observability/metrics.js';
import type { NotificationSender } from '../notify/notification-sender.js';
import type { Outbox } from '../db/outbox.js';
import type { UpdateGating } from '../updates/update-gating.js';
import type { OutboxRelay } from '../producers/outbox-relay.js';
import type { Scheduler } from '../periodic/scheduler.js';
import type { SchemaRegistry } from '../schemas/schema-registry.js';
import type { Role } from '../config/roles.js';
import type { NodeStore } from '../db/node-store.js';
import type { LogStore } from '../dispatch/log-store.js';
import type { PipelineEngine } from '../dispatch/pipeline-engine.js';
import type { EnvironmentStore } from '../db/environment-store.js';
import type { RetentionStore } from '../db/retention-store.js';
import type { Retention } from '../dispatch/retention.js';
import type { Runner } from '../builders/runner.js';

/** The pipeline's parts as routes and consumers reach them. */
export interface PipelineParts {
  nodes: NodeStore;
  engine: PipelineEngine;
  /** Who holds and who waits for each deployment environment; what each run deployed. */
  environments: EnvironmentStore;
  /** What pipeline.retention pruned (for 410 answers), and the task that prunes. */
  retention: RetentionStore;
  pruning: Retention;
  logs: LogStore;
  artifactsDir: string;
  /** The in-process runner, unless runners run elsewhere (pipeline.runner.enabled: false). */
  runner: Runner | undefined;
  /** Runs `work` (engine calls) in one store transaction, then wakes the outbox relay. */
  transact<T>(work: () => T): T;
  db: Db;
  /** Wakes the outbox relay after a commit that added messages. */
  kick(): void;
}

/** What routes and consumers are given: the service's parts, no globals. */
export interface AppContext {
  config: CompiledConfig;
  /** The URL clients reach this server at, for links: read at each use (with port 0 it is known only once listening). */
  serverUrl: () => string;
  log: Logger;
  db: Db;
  registry: SchemaRegistry;
  bus: Bus;
  outbox: Outbox;
  relay: OutboxRelay;
  eventLog: EventLog;
  /** Emits 'appended' (event id) when this process adds to the event log. */
  feed: EventEmitter;
  auth: Authenticator;
  /** The dashboard's sign-ins (api/web-session.ts reads them; api/login-routes.ts makes them). */
  sessions: WebSessionsStore;
  results: ResultsStore;
  /** How a result enters: stored with what it changes for gating (every route that stores one goes through it). */
  resultIntake: ResultIntake;
  waivers: WaiversStore;
  /** How waivers enter: stored with what they change for gating. */
  waiverIntake: WaiverIntake;
  /** Greenwave's side: the loaded policies (through `decisions`) and subject types; updates' gating; every decision change. */
  gating: {
    subjectTypes: SubjectTypes;
    decisions: DecisionMaker;
    updates: UpdateGating;
    history: DecisionHistoryStore;
  };
  /** This service's Prometheus metrics (its own registry); later parts call its methods. */
  metrics: SluiceMetrics;
  /** What /readyz reports; later parts register their dependencies (SMTP, builders). */
  health: HealthChecks;
  /** Scheduled tasks: they run only in the scheduler process that holds the lease. */
  scheduler: Scheduler;
  /** The roles this process has (`sluice serve --role`). */
  roles: ReadonlySet<Role>;
  /** Mails and webhook calls waiting to go out, and what sends them. */
  mailOutbox: MailOutbox;
  notifications: NotificationSender;
  pipeline: PipelineParts;
}
