import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import {
  type Bus,
  bodyOn,
  type ConsumerSpec,
  type HandlerContext,
  type Subscription,
  topicConsumer,
} from '../bus/bus.js';
import { errorText } from '../errors/error-text.js';
import type { PipelineSettings } from '../config/pipeline-types.js';
import { BuilderError } from '../errors/builder-error.js';
import type { Outbox } from '../db/outbox.js';
import type { Builder } from './builder.js';
import { BuilderPool, type Lease } from './builder-pool.js';
import { jobRequest, type JobRequest } from './job-request.js';
import { LocalBuilder } from './local-builder.js';
import { LogShipper } from './log-shipper.js';
import { runJob, type JobOutcome } from './run-job.js';
import { SshBuilder } from './ssh-builder.js';
import { JOB_CANCEL, JOB_FINISHED, JOB_QUEUED, JOB_STARTED } from '../pipeline/job-messages.js';

/** Emitted as 'dispatched' when a job's command has started: for measuring dispatch overhead. */
export interface DispatchEvent {
  nodeId: number;
  builder: string;
  /** performance.now() when the runner got the job message, and when the command started. */
  receivedAt: number;
  startedAt: number;
}

/** What `events` emits as 'finished' when a job's report is written. */
export interface FinishedEvent {
  nodeId: number;
  /** Null when no builder took the job (cancelled, past its deadline, none reachable). */
  builder: string | null;
  status: JobOutcome['status'];
  seconds: number;
}

export function createBuilders(settings: PipelineSettings): Builder[] {
  return settings.builders.map((b) =>
    b.type === 'local' ? new LocalBuilder(b.name, b.labels, b.jobLimit, b.workRoot) : new SshBuilder(b),
  );
}

/**
 * The runner: a consumer of `pipeline.job.queued` that talks to the rest only through the bus
 * (started, log pieces, finished; cancels arrive on `pipeline.job.cancel`), so several runner
 * processes can share the builders. A job message is held (unacked) while its job runs, so a
 * runner that dies hands its jobs back to the queue; the finished report is the message's
 * effect, so a redelivery after it reports nothing twice.
 */
export class Runner {
  readonly events = new EventEmitter();
  readonly pool: BuilderPool;
  private readonly active = new Map<number, AbortController>();
  /** Cancels for jobs not (yet) here: a job that arrives after its cancel is not started. */
  private readonly cancelled = new Map<number, string>();
  private subscription: Subscription | undefined;
  private stopping = false;
  private readonly handling = new Set<Promise<void>>();

  constructor(
    private readonly settings: PipelineSettings,
    private readonly bus: Bus,
    private readonly outbox: Outbox,
    private readonly kick: () => void,
    private readonly log: Logger,
    builders: Builder[] = createBuilders(settings),
  ) {
    this.pool = new BuilderPool(builders, settings.runner.connectAttempts, log);
  }

  consumer(): ConsumerSpec {
    return topicConsumer({
      name: 'pipeline-runner',
      topics: [JOB_QUEUED],
      prefetch: this.settings.runner.concurrency,
      handle: (message, ctx) => {
        const work = this.handle(jobRequest(message.body), ctx);
        this.handling.add(work);
        void work.finally(() => this.handling.delete(work)).catch(() => undefined);
        return work;
      },
    });
  }

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe([JOB_CANCEL.name], (m) => {
      const { node_id, reason } = bodyOn(JOB_CANCEL, m);
      const running = this.active.get(node_id);
      if (running) running.abort(`cancelled: ${reason}`);
      else {
        this.cancelled.set(node_id, reason);
        if (this.cancelled.size > 10000) this.cancelled.delete(this.cancelled.keys().next().value!);
      }
    });
  }

  /**
   * Kills the running jobs and waits (up to `waitMs`) until each has sent its log and reported
   * itself incomplete, while the bus still takes messages.
   */
  async stop(waitMs = 30_000): Promise<void> {
    this.stopping = true;
    for (const ac of this.active.values()) ac.abort('the runner stopped');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.handling]),
      new Promise((r) => (timer = setTimeout(r, waitMs))),
    ]);
    clearTimeout(timer);
    await this.subscription?.close();
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async handle(req: JobRequest, ctx: HandlerContext): Promise<void> {
    const receivedAt = performance.now();
    const began = Date.now();
    const report = (
      outcome: Partial<JobOutcome> & { status: JobOutcome['status']; reason: string | null },
      builder: string | null,
      logBytes: number,
    ) => {
      const body = {
        node_id: req.nodeId,
        builder,
        status: outcome.status,
        exit_code: outcome.exitCode ?? null,
        reason: outcome.reason,
        duration_ms: Date.now() - began,
        log_bytes: logBytes,
        artifacts: outcome.artifacts ?? [],
        data: outcome.data ?? {},
        tests: (outcome.tests ?? []).slice(0, 20000),
      };
      if (ctx.effect(() => this.outbox.add(JOB_FINISHED, body)).applied) {
        this.kick();
        this.events.emit('finished', {
          nodeId: req.nodeId,
          builder,
          status: outcome.status,
          seconds: body.duration_ms / 1000,
        } satisfies FinishedEvent);
      }
    };
    const cancelReason = this.cancelled.get(req.nodeId);
    if (cancelReason !== undefined || this.stopping)
      return report(
        {
          status: 'incomplete',
          reason: `cancelled before it started: ${cancelReason ?? 'the runner stopped'}`,
        },
        null,
        0,
      );
    if (Date.now() > req.deadline)
      return report({ status: 'incomplete', reason: 'not started before its deadline' }, null, 0);

    const ac = new AbortController();
    this.active.set(req.nodeId, ac);
    const shipper = new LogShipper(
      req.nodeId,
      (topic, body) => this.bus.publish(topic, body),
      this.settings.runner,
      this.log,
    );
    let lease: Lease | undefined;
    try {
      try {
        lease = await this.pool.acquire(req.runsOn, ac.signal);
      } catch (err) {
        if (err instanceof BuilderError)
          return report({ status: 'incomplete', reason: err.message }, null, 0);
        if (ac.signal.aborted)
          return report({ status: 'incomplete', reason: String(ac.signal.reason) }, null, 0);
        throw err;
      }
      const name = lease.builder.name;
      const outcome = await runJob(
        lease.connection,
        lease.builder,
        req,
        {
          signal: ac.signal,
          onOutput: (c) => shipper.push(c),
          onStarted: ({ pgid, workdir }) => {
            this.events.emit('dispatched', {
              nodeId: req.nodeId,
              builder: name,
              receivedAt,
              startedAt: performance.now(),
            } satisfies DispatchEvent);
            this.outbox.add(JOB_STARTED, {
              node_id: req.nodeId,
              builder: name,
              started_at: new Date().toISOString(),
              pgid,
              workdir,
            });
            this.kick();
          },
        },
        this.settings.runner,
        this.settings.artifactsDir,
      );
      if (outcome.lost) lease.failed(outcome.lost);
      await shipper.close();
      report(outcome, name, shipper.bytes);
    } catch (err) {
      this.log.error({ nodeId: req.nodeId, err: errorText(err) }, 'job failed in the runner');
      await shipper.close();
      report(
        { status: 'incomplete', reason: `the runner failed: ${errorText(err)}` },
        lease?.builder.name ?? null,
        shipper.bytes,
      );
    } finally {
      lease?.release();
      this.active.delete(req.nodeId);
    }
  }
}
