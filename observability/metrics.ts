import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds: from a fast SQLite handler (sub-millisecond) to a slow request or handler (a minute). */
const FAST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds: a build, compose or test job, from seconds to hours. */
const JOB_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];

export type ConsumeOutcome = 'ack' | 'duplicate' | 'retry' | 'dead-letter';

/**
 * Every Prometheus metric Sluice exports, on a registry of its own per service (never prom-client's
 * global one), so that several services can live in one process (tests) without clashing.
 * Parts that arrive later call the methods below; their metrics are declared here already so
 * that names, labels and buckets stay one consistent set.
 */
export class SluiceMetrics {
  readonly registry = new Registry();

  // The bus.
  readonly messagesConsumed = new Counter({
    name: 'sluice_messages_consumed_total',
    help: 'Deliveries handled by a consumer, by what became of them (ack, duplicate, retry, dead-letter)',
    labelNames: ['consumer', 'topic', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly messagesPublished = new Counter({
    name: 'sluice_messages_published_total',
    help: 'Messages this process published and the bus confirmed',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly messagesDeadLettered = new Counter({
    name: 'sluice_messages_dead_lettered_total',
    help: 'Deliveries sent to the dead-letter queue',
    labelNames: ['consumer', 'topic'] as const,
    registers: [this.registry],
  });
  readonly ciMessagesSkipped = new Counter({
    name: 'sluice_ci_messages_skipped_total',
    help: 'CI messages acknowledged without making a result: another kind of ci. topic (other-topic), or an artifact with no ResultsDB item type (no-mapping)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly handlerDuration = new Histogram({
    name: 'sluice_message_handler_duration_seconds',
    help: 'Time from a delivery reaching a consumer to its disposition (parse, validate, handler, effect)',
    labelNames: ['consumer', 'topic'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });

  // HTTP.
  readonly httpDuration = new Histogram({
    name: 'sluice_http_request_duration_seconds',
    help: 'HTTP requests by route pattern, method and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });

  readonly eventStreams = new Gauge({
    name: 'sluice_event_streams',
    help: 'Open server-sent event streams (SSE clients)',
    registers: [this.registry],
  });

  // Gating (issue 4): call observeDecision.
  readonly decisionDuration = new Histogram({
    name: 'sluice_decision_duration_seconds',
    help: 'Time to compute one gating decision',
    labelNames: ['decision_context', 'satisfied'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });

  // Pipeline jobs and builders (issue 5): call observeJob and setBuilderHealth.
  readonly jobDuration = new Histogram({
    name: 'sluice_job_duration_seconds',
    help: 'Duration of pipeline jobs by builder and outcome',
    labelNames: ['builder', 'outcome'] as const,
    buckets: JOB_BUCKETS,
    registers: [this.registry],
  });
  readonly jobsFinished = new Counter({
    name: 'sluice_jobs_finished_total',
    help: 'Pipeline jobs finished, by builder and outcome (pass, fail, skip, incomplete, ...)',
    labelNames: ['builder', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly builderUp = new Gauge({
    name: 'sluice_builder_up',
    help: '1 when the builder answered its last check, 0 when it did not',
    labelNames: ['builder'] as const,
    registers: [this.registry],
  });
  readonly builderRunningJobs = new Gauge({
    name: 'sluice_builder_running_jobs',
    help: 'Jobs running on the builder now',
    labelNames: ['builder'] as const,
    registers: [this.registry],
  });

  // Notifications (issue 6): call countNotification.
  readonly notifications = new Counter({
    name: 'sluice_notifications_total',
    help: 'Notifications by channel (mail, ...) and outcome (sent, deferred, failed)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });

  // Scheduled tasks.
  readonly taskRuns = new Counter({
    name: 'sluice_scheduled_task_runs_total',
    help: 'Runs of scheduled tasks in this process, by outcome (ok, failed)',
    labelNames: ['task', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly taskDuration = new Histogram({
    name: 'sluice_scheduled_task_duration_seconds',
    help: 'Duration of scheduled task runs',
    labelNames: ['task'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });
  readonly schedulerLeader = new Gauge({
    name: 'sluice_scheduler_leader',
    help: '1 while this process holds the scheduler lease (its scheduled tasks run here)',
    registers: [this.registry],
  });

  constructor({ processMetrics = true }: { processMetrics?: boolean } = {}) {
    // CPU, memory, event loop lag, GC: the process's own health, on this registry only.
    if (processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'sluice_process_' });
  }

  /**
   * A gauge whose value is read when Prometheus scrapes (queue depths, open streams): the
   * reading stays cheap because it happens once per scrape, not once per change.
   */
  gauge(name: string, help: string, read: () => number | Promise<number>): Gauge {
    return new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await read());
      },
    });
  }

  /** The same, with labels: `read` returns one value per label set. */
  labelledGauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: () =>
      | Array<{ labels: Record<L, string>; value: number }>
      | Promise<Array<{ labels: Record<L, string>; value: number }>>,
  ): Gauge<L> {
    return new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { labels, value } of await read()) this.set(labels as Partial<Record<L, string>>, value);
      },
    });
  }

  consumed(consumer: string, topic: string, outcome: ConsumeOutcome, seconds: number): void {
    this.messagesConsumed.inc({ consumer, topic, outcome });
    this.handlerDuration.observe({ consumer, topic }, seconds);
    if (outcome === 'dead-letter') this.messagesDeadLettered.inc({ consumer, topic });
  }

  /** A CI message the results consumer acknowledged without making a result of it. */
  ciMessageSkipped(reason: 'other-topic' | 'no-mapping'): void {
    this.ciMessagesSkipped.inc({ reason });
  }

  published(topic: string, count = 1): void {
    this.messagesPublished.inc({ topic }, count);
  }

  /** Gating: one decision computed, how long it took, and whether the policies were satisfied. */
  observeDecision(decisionContext: string, seconds: number, satisfied: boolean): void {
    this.decisionDuration.observe(
      { decision_context: decisionContext, satisfied: String(satisfied) },
      seconds,
    );
  }

  /** Pipeline: a job finished on `builder` with `outcome` after `seconds`. */
  observeJob(builder: string, outcome: string, seconds: number): void {
    this.jobDuration.observe({ builder, outcome }, seconds);
    this.jobsFinished.inc({ builder, outcome });
  }

  /** Pipeline: what the last check of a builder found. */
  setBuilderHealth(builder: string, up: boolean, runningJobs?: number): void {
    this.builderUp.set({ builder }, up ? 1 : 0);
    if (runningJobs !== undefined) this.builderRunningJobs.set({ builder }, runningJobs);
  }

  /** Notifications: one mail (or other notice) sent, deferred for a retry, or given up on. */
  countNotification(channel: string, outcome: 'sent' | 'deferred' | 'failed'): void {
    this.notifications.inc({ channel, outcome });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
