import { CiMessageError } from '../errors/ci-message-error.js';

/**
 * Fedora CI messages (`ci.<artifact>.<event>.<state>`, https://pagure.io/fedora-ci/messages)
 * turned into ResultsDB v2.0 POST /results bodies, the way Fedora's and Red Hat's ResultsDB
 * listeners (resultsdb-updater) do, so that Greenwave policies written for them work here
 * unchanged: same testcase names, same `item`/`type` subjects, same data keys.
 */

export type CiEvent = 'test' | 'build';
export type CiState = 'queued' | 'running' | 'complete' | 'error';

export interface CiTopic {
  /** The topic's artifact word, e.g. `koji-build`; the body's artifact.type must equal it. */
  artifact: string;
  event: CiEvent;
  state: CiState;
}

/** The parts of a CI message the mapping reads; the topic's schema has already checked them. */
export interface CiMessage {
  contact: { name: string; team: string; email: string; url?: string };
  run: { url: string; log: string };
  artifact: {
    type: string;
    id?: string | number;
    nvr?: string;
    nsvc?: string;
    full_names?: string[];
  };
  pipeline: { id: string; name: string };
  test?: { namespace: string; type: string; category: string; result?: string; scenario?: string; note?: string; docs?: string };
  system?: Array<{ os: string; provider: string; architecture: string; variant?: string }>;
  error?: { reason: string; issue_url?: string };
  generated_at: string;
  version: string;
}

export type ResultDataValue = string | number | Array<string | number>;

/** A ResultsDB v2.0 POST /results body, as ResultsStore.submit takes it. */
export interface ResultSubmission {
  testcase: string | { name: string; ref_url: string };
  outcome: string;
  note?: string;
  ref_url: string;
  data: Record<string, ResultDataValue>;
  submit_time: string;
}

/** The `type` ResultsDB and Greenwave know each artifact by (Greenwave's subject types). */
export const RESULT_ITEM_TYPES: Readonly<Record<string, string>> = {
  'koji-build': 'koji_build',
  'brew-build': 'brew-build',
  'productmd-compose': 'compose',
  'container-image': 'redhat-container-image',
  'redhat-container-image': 'redhat-container-image',
  'fedora-update': 'bodhi_update',
  'redhat-module': 'redhat-module',
};

const STATES: readonly string[] = ['queued', 'running', 'complete', 'error'];
const EVENTS: readonly string[] = ['test', 'build'];

export function parseCiTopic(topic: string): CiTopic {
  const words = topic.split('.');
  if (words.length !== 4 || words[0] !== 'ci' || !EVENTS.includes(words[2]!) || !STATES.includes(words[3]!)) {
    throw new CiMessageError(`topic "${topic}" is not ci.<artifact>.<test|build>.<queued|running|complete|error>`);
  }
  return { artifact: words[1]!, event: words[2] as CiEvent, state: words[3] as CiState };
}

export function mapCiMessage(topic: string, body: unknown, messageId: string): ResultSubmission {
  const where = parseCiTopic(topic);
  const msg = body as CiMessage;
  const artifactType = msg.artifact.type;
  // The schema covers ci.*.<event>.<state> and cannot see the topic; a message whose topic and
  // body disagree about the artifact would be filed under a subject nobody asked for.
  if (artifactType !== where.artifact) {
    throw new CiMessageError(`topic "${topic}" is about a ${where.artifact} but the message's artifact.type is "${artifactType}"`);
  }
  const itemType = RESULT_ITEM_TYPES[artifactType];
  if (!itemType) throw new CiMessageError(`artifact type "${artifactType}" has no ResultsDB item type`);

  const system = msg.system?.[0];
  const data: Record<string, ResultDataValue | undefined> = {
    item: itemOf(msg.artifact),
    type: itemType,
    scenario: msg.test?.scenario,
    system_architecture: system?.architecture,
    system_variant: system?.variant,
    system_os: system?.os,
    system_provider: system?.provider,
    ci_name: msg.contact.name,
    ci_team: msg.contact.team,
    ci_email: msg.contact.email,
    ci_url: msg.contact.url,
    log: msg.run.log,
    pipeline_id: msg.pipeline.id,
    run_url: msg.run.url,
    error_reason: where.state === 'error' ? msg.error?.reason : undefined,
    msg_id: messageId,
  };

  const name = testcaseName(where, msg);
  const note = msg.test?.note ?? msg.error?.reason;
  return {
    testcase: msg.test?.docs ? { name, ref_url: msg.test.docs } : name,
    outcome: outcomeOf(where, msg),
    ...(note !== undefined ? { note } : {}),
    ref_url: msg.run.url,
    data: Object.fromEntries(Object.entries(data).filter((e): e is [string, ResultDataValue] => e[1] !== undefined && e[1] !== '')),
    submit_time: utc(msg.generated_at),
  };
}

/** The subject identifier Greenwave asks about for each artifact type. */
function itemOf(artifact: CiMessage['artifact']): string {
  switch (artifact.type) {
    case 'koji-build':
    case 'brew-build':
      return artifact.nvr!;
    case 'container-image':
    case 'redhat-container-image':
      // Builds from OSBS have an nvr, which is what gating asks about; images from elsewhere only a pull name.
      return artifact.nvr ?? artifact.full_names![0]!;
    case 'redhat-module':
      return artifact.nsvc!;
    default:
      // productmd-compose: the compose id; fedora-update: the update alias.
      return String(artifact.id);
  }
}

/**
 * namespace.type.category, as every ResultsDB listener names CI testcases. A build event
 * need not carry a test block; it is then filed as `<ci>.<artifact>.build`, where `<ci>` is the
 * contact's name as a slug ("Fedora CI" → "fedora-ci"): the same shape as a test namespace
 * (e.g. `fedora-ci.koji-build`) followed by `build`, so one system's build results share one
 * testcase per artifact type and a gating policy can name it.
 */
function testcaseName(where: CiTopic, msg: CiMessage): string {
  if (msg.test) return `${msg.test.namespace}.${msg.test.type}.${msg.test.category}`;
  const ci = msg.contact.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'ci';
  return `${ci}.${where.artifact}.build`;
}

/**
 * complete → the test's result upper-cased (NOT_APPLICABLE included); queued, running and
 * error → QUEUED, RUNNING, ERROR, which say the test has no verdict yet or never got one. A
 * completed build without a test result passed: a failed build is reported as build.error.
 */
function outcomeOf(where: CiTopic, msg: CiMessage): string {
  if (where.state !== 'complete') return where.state.toUpperCase();
  if (msg.test?.result) return msg.test.result.toUpperCase();
  if (where.event === 'build') return 'PASSED';
  // The topic schema requires test.result on test.complete; reaching this is a schema gap.
  throw new CiMessageError('a test.complete message has no test.result');
}

/** The specification says generated_at is UTC; senders using Python's isoformat() drop the "Z". */
function utc(timestamp: string): string {
  return /(Z|[+-]\d{2}:?\d{2})$/.test(timestamp) ? timestamp : `${timestamp}Z`;
}
