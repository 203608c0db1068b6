import { bodyOn, type ConsumerSpec, topicConsumer } from '../bus/bus.js';
import type { LogStore } from '../dispatch/log-store.js';
import type { PipelineEngine } from '../dispatch/pipeline-engine.js';
import { GIT_RECEIVE, parseGitReceive } from '../pipeline/git-receive.js';
import { JOB_FINISHED, JOB_LOG, JOB_STARTED } from '../pipeline/job-messages.js';
import { NODE_CREATED, NODE_UPDATED } from '../pipeline/node-message.js';
import { pushesInRegistryEnvelope, pushInCiMessage, REGISTRY_NOTIFICATION } from '../pipeline/image-push.js';
import { startImageRuns } from '../dispatch/image-runs.js';
import type { ProcessedMessages } from '../db/processed-messages.js';

/**
 * The control plane's consumers. Each does its work as the message's effect, so the nodes,
 * results and outgoing messages it makes commit with the message id: a redelivery does nothing.
 * `changed` wakes the outbox relay after a commit that added messages.
 */
export function gitReceiveConsumer(engine: PipelineEngine, changed: () => void): ConsumerSpec {
  return topicConsumer({
    name: 'pipeline-git-receive',
    topics: [GIT_RECEIVE],
    handle(message, ctx) {
      const request = parseGitReceive(message.body);
      if (ctx.effect(() => engine.startRun(request)).applied) changed();
    },
  });
}

/**
 * Image runs: a registry's notification (each manifest push, once per event id however often the
 * registry sends it again, and whether it came here or by the HTTP hook) or a Fedora CI message
 * that a container image was built.
 */
export const IMAGE_TOPICS = [
  REGISTRY_NOTIFICATION.name,
  'ci.container-image.build.complete',
  'ci.redhat-container-image.build.complete',
] as const;

export function imagePushConsumer(
  engine: PipelineEngine,
  ledger: ProcessedMessages,
  changed: () => void,
): ConsumerSpec {
  return {
    name: 'pipeline-image-push',
    topics: [...IMAGE_TOPICS],
    handle(message, ctx) {
      const outcome = ctx.effect(() =>
        message.topic === REGISTRY_NOTIFICATION.name
          ? startImageRuns(engine, ledger, pushesInRegistryEnvelope(bodyOn(REGISTRY_NOTIFICATION, message)))
          : startImageRuns(
              engine,
              ledger,
              [pushInCiMessage(message.body)].filter((p) => p !== null),
            ),
      );
      if (outcome.applied && outcome.value.length) changed();
    },
  };
}

/** Jobs fire on node transitions: the event says the state before and after. */
export function nodeEventConsumer(engine: PipelineEngine, changed: () => void): ConsumerSpec {
  return topicConsumer({
    name: 'pipeline-node-events',
    topics: [NODE_CREATED, NODE_UPDATED],
    handle(message, ctx) {
      const outcome = ctx.effect(() => engine.onNodeEvent(message.body));
      if (outcome.applied && outcome.value.length) changed();
    },
  });
}

export function jobReportConsumer(engine: PipelineEngine, changed: () => void): ConsumerSpec {
  return topicConsumer({
    name: 'pipeline-job-reports',
    topics: [JOB_STARTED, JOB_FINISHED],
    handle(message, ctx) {
      const outcome =
        message.topic === JOB_STARTED.name
          ? ctx.effect(() => engine.jobStarted(message.body))
          : ctx.effect(() => engine.jobFinished(message.body));
      if (outcome.applied) changed();
    },
  });
}

/** Log pieces into the node's log file; a piece ahead of the file waits (retry) for the ones before it. */
export function jobLogConsumer(logs: LogStore): ConsumerSpec {
  return topicConsumer({
    name: 'pipeline-job-logs',
    topics: [JOB_LOG],
    // Pieces are up to 64 KiB; a small window keeps each synchronous batch (parse, validate,
    // write) short, so that a flood of output does not stall the event loop.
    prefetch: 16,
    handle(message) {
      const { node_id, offset, data } = message.body;
      if (logs.append(node_id, offset, data) === 'gap')
        return { retry: `log piece at ${offset} of node ${node_id} arrived before the bytes ahead of it` };
    },
  });
}
