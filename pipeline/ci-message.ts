import type { CiCategory } from '../config/pipeline-types.js';
import type { NodeResult } from './node-state.js';

/**
 * The Fedora CI messages (`ci.<artifact>.<build|test>.<queued|running|complete|error>`) a
 * stage publishes about its subject, in the shape Sluice's own CI-message ingestion (and
 * ResultsDB's listeners) turn into results: the stage's testcase is namespace.type.category,
 * its item and type the job's subject.
 */
export interface CiStage {
  contact: { name: string; team: string; email: string; url: string | null };
  /** The node's API URL; its log is `<url>/log`. */
  nodeUrl: string;
  nodeId: number;
  runId: number;
  job: string;
  event: 'build' | 'test';
  ci: { namespace: string; type: string; category: CiCategory };
  subject: { type: string; item: string };
  issuer: string;
  component: string;
  architecture: string;
  builder: string | null;
}

export type CiState = 'queued' | 'running' | 'complete' | 'error';

/** ResultsDB subject types and the Fedora CI artifact type each is published as. */
const ARTIFACT_OF_TYPE: Readonly<Record<string, string>> = {
  koji_build: 'koji-build',
  compose: 'productmd-compose',
  'redhat-container-image': 'container-image',
};

export const CI_MESSAGE_VERSION = '1.1.14';

/**
 * The message for one state of a stage, or undefined when its subject is not known yet (a
 * build's NVR before it is built) or its type has no Fedora CI artifact.
 */
export function ciMessage(
  stage: CiStage,
  state: CiState,
  outcome: { result?: NodeResult | null; reason?: string | null },
  now: number,
): { topic: string; body: Record<string, unknown> } | undefined {
  const artifactType = ARTIFACT_OF_TYPE[stage.subject.type];
  if (!artifactType || !/^\S+$/.test(stage.subject.item)) return undefined;
  let artifact: Record<string, unknown>;
  if (artifactType === 'koji-build') {
    if (!/^\S+-[^-\s]+-[^-\s]+$/.test(stage.subject.item)) return undefined;
    artifact = {
      type: artifactType,
      id: stage.nodeId,
      issuer: stage.issuer,
      component: stage.component,
      nvr: stage.subject.item,
      scratch: true,
    };
  } else if (artifactType === 'productmd-compose') {
    artifact = { type: artifactType, id: stage.subject.item };
  } else {
    artifact = {
      type: artifactType,
      id: stage.subject.item,
      issuer: stage.issuer,
      component: stage.component,
      full_names: [stage.subject.item],
    };
  }
  // A build that failed is reported as build.error, as Fedora CI does: its complete means built.
  const failedBuild = stage.event === 'build' && state === 'complete' && outcome.result !== 'pass';
  const finalState: CiState =
    state === 'complete' && (outcome.result === 'incomplete' || failedBuild) ? 'error' : state;
  const body: Record<string, unknown> = {
    contact: {
      name: stage.contact.name,
      team: stage.contact.team,
      email: stage.contact.email,
      ...(stage.contact.url ? { url: stage.contact.url } : {}),
    },
    run: { url: stage.nodeUrl, log: `${stage.nodeUrl}/log`, id: stage.nodeId },
    artifact,
    pipeline: { id: `sluice-run-${stage.runId}`, name: stage.job },
    generated_at: new Date(now).toISOString(),
    version: CI_MESSAGE_VERSION,
  };
  if (stage.event === 'test') {
    body.test = {
      namespace: stage.ci.namespace,
      type: stage.ci.type,
      category: stage.ci.category,
      ...(finalState === 'complete' ? { result: testResult(outcome.result) } : {}),
      ...(outcome.reason && finalState === 'complete' ? { note: outcome.reason } : {}),
    };
  }
  // In every state, not only the final ones: gating takes the newest result per testcase ×
  // scenario × architecture, so a RUNNING result without the architecture would stand beside the
  // COMPLETE one as a second, forever incomplete, result (found by the full-run test's decision).
  body.system = [{ os: stage.builder ?? 'unknown', provider: 'sluice', architecture: stage.architecture }];
  if (finalState === 'error')
    body.error = {
      reason: outcome.reason || (failedBuild ? 'the build failed' : 'the job could not finish'),
    };
  return { topic: `ci.${artifactType}.${stage.event}.${finalState}`, body };
}

function testResult(result: NodeResult | null | undefined): string {
  if (result === 'pass') return 'passed';
  if (result === 'skip') return 'not_applicable';
  return 'failed';
}
