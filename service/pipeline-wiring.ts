import type { Logger } from 'pino';
import type { ConsumerSpec } from '../bus/bus.js';
import type { CompiledConfig } from '../config/config-types.js';
import {
  gitReceiveConsumer,
  imagePushConsumer,
  jobLogConsumer,
  jobReportConsumer,
  nodeEventConsumer,
} from '../consumers/pipeline-consumers.js';
import { DecisionsKnownGood } from '../db/decisions-known-good.js';
import { ProcessedMessages } from '../db/processed-messages.js';
import { EnvironmentStore } from '../db/environment-store.js';
import { RetentionStore } from '../db/retention-store.js';
import { Retention } from '../dispatch/retention.js';
import { NodeStore } from '../db/node-store.js';
import type { Db } from '../db/open-database.js';
import type { ResultIntake } from '../intake/submit-result.js';
import { GitPoller } from '../dispatch/git-poller.js';
import { LogStore } from '../dispatch/log-store.js';
import { PipelineEngine } from '../dispatch/pipeline-engine.js';
import type { Outbox } from '../db/outbox.js';
import type { OutboxRelay } from '../producers/outbox-relay.js';
import { Runner } from '../builders/runner.js';
import type { TaskSpec } from '../periodic/scheduler.js';
import type { Bus } from '../bus/bus.js';
import type { PipelineParts } from '../api/app-context.js';

/**
 * `withRunner`: this process runs jobs (its roles include `runner`) and the config enables the in-process runner.
 * `serverUrl` is read at each use: with port 0 the URL is known only once the server listens.
 */
export function createPipeline(
  config: CompiledConfig,
  serverUrl: () => string,
  db: Db,
  bus: Bus,
  outbox: Outbox,
  relay: OutboxRelay,
  results: ResultIntake,
  log: Logger,
  withRunner = true,
): PipelineParts {
  const nodes = new NodeStore(db, outbox, serverUrl);
  const environments = new EnvironmentStore(db);
  const engine = new PipelineEngine(
    nodes,
    outbox,
    results,
    new DecisionsKnownGood(db),
    config,
    log.child({ part: 'pipeline' }),
    serverUrl,
    environments,
  );
  const logs = new LogStore(config.pipeline.logsDir);
  const retention = new RetentionStore(db);
  return {
    nodes,
    engine,
    environments,
    retention,
    pruning: new Retention(retention, logs, config.pipeline),
    logs,
    artifactsDir: config.pipeline.artifactsDir,
    runner:
      withRunner && config.pipeline.enabled && config.pipeline.runner.enabled
        ? new Runner(config.pipeline, bus, outbox, () => relay.kick(), log.child({ part: 'runner' }))
        : undefined,
    db,
    kick: () => relay.kick(),
    transact<T>(work: () => T): T {
      const value = db.transaction(work)();
      relay.kick();
      return value;
    },
  };
}

/** The orchestration consumers (role `consumers`) and the in-process runner's job consumer (role `runner`). */
export function pipelineConsumers(
  parts: PipelineParts,
  relay: OutboxRelay,
): { consumers: ConsumerSpec[]; runner: ConsumerSpec | undefined } {
  const kick = () => relay.kick();
  return {
    consumers: [
      gitReceiveConsumer(parts.engine, kick),
      imagePushConsumer(parts.engine, new ProcessedMessages(parts.db), kick),
      nodeEventConsumer(parts.engine, kick),
      jobReportConsumer(parts.engine, kick),
      jobLogConsumer(parts.logs),
    ],
    runner: parts.runner?.consumer(),
  };
}

/** The sweeper, pollers and periodic runs, on their cron expressions (run by the scheduler that holds the lease). */
export function pipelineTasks(parts: PipelineParts, config: CompiledConfig, log: Logger): TaskSpec[] {
  const p = config.pipeline;
  const tasks: TaskSpec[] = [
    { name: 'pipeline-sweep', cron: p.sweepCron, run: () => parts.transact(() => parts.engine.sweep()) },
  ];
  for (const repo of p.repos) {
    if (!repo.poll || !repo.url) continue;
    const poller = new GitPoller(parts.db, repo, (req) => parts.engine.startRun(req), parts.kick, log);
    tasks.push({ name: `pipeline-poll-${repo.name}`, cron: repo.poll, run: () => poller.poll() });
  }
  if (parts.pruning.enabled)
    tasks.push({
      name: 'pipeline-retention',
      cron: p.retention.cron,
      run: () => {
        const pruned = parts.pruning.prune();
        if (pruned.logs + pruned.artifacts + pruned.nodes > 0)
          log.info({ pruned }, 'pipeline retention pruned');
      },
    });
  for (const s of p.schedules) {
    tasks.push({
      name: `pipeline-schedule-${s.name}`,
      cron: s.cron,
      run: () => parts.transact(() => parts.engine.startSchedule(s)),
    });
  }
  return tasks;
}
