import type { Logger } from 'pino';
import type { ConsumerSpec } from '../bus/bus.js';
import type { CompiledConfig } from '../config/config-types.js';
import { gitReceiveConsumer, jobLogConsumer, jobReportConsumer, nodeEventConsumer } from '../consumers/pipeline-consumers.js';
import { NodeStore } from '../db/node-store.js';
import type { Db } from '../db/open-database.js';
import type { ResultsStore } from '../db/results-store.js';
import { GitPoller } from '../engine/git-poller.js';
import { LogStore } from '../engine/log-store.js';
import { PipelineEngine } from '../engine/pipeline-engine.js';
import { ResultsKnownGood } from '../engine/results-known-good.js';
import type { Outbox } from '../producers/outbox.js';
import type { OutboxRelay } from '../producers/outbox-relay.js';
import { Runner } from '../runner/runner.js';
import { scheduleTask, type ScheduledTask } from '../scheduler/scheduled-task.js';
import type { Bus } from '../bus/bus.js';

/** The pipeline's parts as routes and consumers reach them. */
export interface PipelineParts {
  nodes: NodeStore;
  engine: PipelineEngine;
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

export function createPipeline(config: CompiledConfig, db: Db, bus: Bus, outbox: Outbox, relay: OutboxRelay, results: ResultsStore, log: Logger): PipelineParts {
  const nodes = new NodeStore(db, outbox, () => config.serverUrl);
  const engine = new PipelineEngine(nodes, outbox, results, new ResultsKnownGood(results), config, log.child({ part: 'pipeline' }));
  return {
    nodes,
    engine,
    logs: new LogStore(config.pipeline.logsDir),
    artifactsDir: config.pipeline.artifactsDir,
    runner: config.pipeline.enabled && config.pipeline.runner.enabled ? new Runner(config.pipeline, bus, outbox, () => relay.kick(), log.child({ part: 'runner' })) : undefined,
    db,
    kick: () => relay.kick(),
    transact<T>(work: () => T): T {
      const value = db.transaction(work).immediate();
      relay.kick();
      return value;
    },
  };
}

export function pipelineConsumers(parts: PipelineParts, relay: OutboxRelay): ConsumerSpec[] {
  const kick = () => relay.kick();
  const specs = [gitReceiveConsumer(parts.engine, kick), nodeEventConsumer(parts.engine, kick), jobReportConsumer(parts.engine, kick), jobLogConsumer(parts.logs)];
  return parts.runner ? [...specs, parts.runner.consumer()] : specs;
}

/** The sweeper, pollers and periodic runs, on their cron expressions. */
export function pipelineTasks(parts: PipelineParts, config: CompiledConfig, log: Logger): ScheduledTask[] {
  const p = config.pipeline;
  const tasks = [scheduleTask('pipeline-sweep', p.sweepCron, () => parts.transact(() => parts.engine.sweep()), log)];
  for (const repo of p.repos) {
    if (!repo.poll || !repo.url) continue;
    const poller = new GitPoller(parts.db, repo, (req) => parts.engine.startRun(req), parts.kick, log);
    tasks.push(scheduleTask(`pipeline-poll-${repo.name}`, repo.poll, () => poller.poll(), log));
  }
  for (const s of p.schedules) {
    tasks.push(scheduleTask(`pipeline-schedule-${s.name}`, s.cron, () => parts.transact(() => parts.engine.startSchedule(s)), log));
  }
  return tasks;
}

