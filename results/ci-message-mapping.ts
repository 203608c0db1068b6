import { CiMessageError } from '../errors/ci-message-error.js';

/**
 * Fedora CI messages (`ci.<artifact>.<event>.<state>`, https://pagure.io/fedora-ci/messages)
 * turned into ResultsDB v2.0 POST /results bodies, the way Fedora's and Red Hat's ResultsDB
 * listeners (ci-resultsdb-listener, resultsdb-updater) do, so that Greenwave policies written for
 * them work here unchanged: same testcase names, same `item`/`type` subjects, same data keys.
 */

export type CiEvent = 'test' | 'build';
export type CiState = 'queued' | 'running' | 'complete' | 'error';

export interface CiTopic {
  /** The topic's artifact word, e.g. `koji-build`; the body's artifact.type must equal it. */
  artifact: string;
  event: CiEvent;
  state: CiState;
}

/** The parts of a CI message the mapping reads; the topic's schema has already checked their types. */
export interface CiMessage {
  contact: { name: string; team: string; email: string; url?: string; irc?: string };
  run: { url: string; log: string; rebuild?: string };
  artifact: {
    type: string;
    id?: string | number;
    alias?: string;
    nvr?: string;
    nsvc?: string;
    full_names?: string[];
    repository?: string;
    digest?: string;
    component?: string;
    issuer?: string | null;
    source?: string;
  };
  pipeline?: { id: string; name: string };
  test?: {
    namespace: string;
    type: string;
    category: string;
    result?: string;
    scenario?: string;
    note?: string | null;
    docs?: string;
  };
  system?: Array<{ os?: string; provider?: string; architecture?: string; variant?: string }>;
  error?: { reason: string; issue_url?: string };
  notification?: { recipients?: unknown };
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
    throw new CiMessageError(
      `topic "${topic}" is not ci.<artifact>.<test|build>.<queued|running|complete|error>`,
    );
  }
  return { artifact: words[1]!, event: words[2] as CiEvent, state: words[3] as CiState };
}

/**
 * Why Sluice makes no result of a message under `ci.`, or undefined when it makes one. Such
 * messages are not wrong, only not Sluice's: other pipelines' topics, and artifact kinds with no
 * ResultsDB item type (a dist-git pull request, `ci.dist-git-pr.*`, is one).
 */
export function ciMessageSkipReason(topic: string): 'other-topic' | 'no-mapping' | undefined {
  let where: CiTopic;
  try {
    where = parseCiTopic(topic);
  } catch {
    return 'other-topic';
  }
  return RESULT_ITEM_TYPES[where.artifact] ? undefined : 'no-mapping';
}

/**
 * `topicPrefix` is the prefix the message came under (e.g. `org.centos.prod.`); the result's
 * `msg_topic` is the whole topic, so that one can tell which bus a result came from.
 */
export function mapCiMessage(
  topic: string,
  body: unknown,
  messageId: string,
  topicPrefix = '',
): ResultSubmission {
  const where = parseCiTopic(topic);
  const msg = body as CiMessage;
  // The pipeline library's fedora-update error template never fills artifact.type
  // (jenkins-pipeline-library resources/fedora-update.test.error-template.json): the topic says it.
  const artifactType = msg.artifact.type === '' ? where.artifact : msg.artifact.type;
  // The schema covers ci.*.<event>.<state> and cannot see the topic; a message whose topic and
  // body disagree about the artifact would be filed under a subject nobody asked for.
  if (artifactType !== where.artifact) {
    throw new CiMessageError(
      `topic "${topic}" is about a ${where.artifact} but the message's artifact.type is "${artifactType}"`,
    );
  }
  const itemType = RESULT_ITEM_TYPES[artifactType];
  if (!itemType) throw new CiMessageError(`artifact type "${artifactType}" has no ResultsDB item type`);

  const test = msg.test ? splitScenario(msg.test) : undefined;
  const system = msg.system?.[0];
  const artifact = msg.artifact;
  const recipients = msg.notification?.recipients;
  const data: Record<string, ResultDataValue | undefined> = {
    item: itemOf(artifactType, artifact),
    type: itemType,
    scenario: test?.scenario,
    category: test?.category,
    system_architecture: system?.architecture,
    system_variant: system?.variant,
    system_os: system?.os,
    system_provider: system?.provider,
    ci_name: msg.contact.name,
    ci_team: msg.contact.team,
    ci_email: msg.contact.email,
    ci_url: msg.contact.url,
    ci_irc: msg.contact.irc,
    // Greenwave's RemoteRule reads the gating file from the commit a build's source names.
    source: artifact.source,
    component: artifact.component,
    issuer: artifact.issuer ?? undefined,
    log: msg.run.log,
    rebuild: msg.run.rebuild,
    pipeline_id: msg.pipeline?.id,
    run_url: msg.run.url,
    error_reason: where.state === 'error' ? msg.error?.reason : undefined,
    issue_url: where.state === 'error' ? msg.error?.issue_url : undefined,
    recipients:
      Array.isArray(recipients) && recipients.length > 0 && recipients.every((r) => typeof r === 'string')
        ? (recipients as string[])
        : undefined,
    msg_id: messageId,
    msg_topic: topicPrefix + topic,
  };

  const name = testcaseName(where, msg.contact.name, test);
  const note = nonEmpty(test?.note) ?? nonEmpty(msg.error?.reason);
  return {
    testcase: test?.docs ? { name, ref_url: test.docs } : name,
    outcome: outcomeOf(where, test),
    ...(note !== undefined ? { note } : {}),
    ref_url: msg.run.url,
    data: Object.fromEntries(
      Object.entries(data).filter((e): e is [string, ResultDataValue] => e[1] !== undefined && e[1] !== ''),
    ),
    submit_time: utc(msg.generated_at),
  };
}

type CiTest = NonNullable<CiMessage['test']>;

/**
 * Fedora CI's pipeline library appends the scenario to the category on purpose
 * ("functional/scenario=dependent-package1", OSCI-2612 in jenkins-pipeline-library
 * src/org/fedoraproject/jenkins/messages/RpmBuildMessageBuilder.groovy): the testcase is named
 * after the category alone, and the scenario is the result's, which gating rules can name.
 */
function splitScenario(test: CiTest): CiTest {
  const at = test.category.indexOf('/scenario=');
  if (at < 0) return test;
  return {
    ...test,
    category: test.category.slice(0, at),
    scenario: test.category.slice(at + '/scenario='.length),
  };
}

/** The subject identifier Greenwave asks about for each artifact type. */
function itemOf(type: string, artifact: CiMessage['artifact']): string {
  switch (type) {
    case 'koji-build':
    case 'brew-build':
      return required(artifact.nvr, 'artifact.nvr');
    case 'container-image':
    case 'redhat-container-image':
      // Builds from OSBS have an nvr, which is what gating asks about; images from elsewhere only
      // a pull name, or (the specification's container-image) a repository and a digest.
      if (artifact.nvr) return artifact.nvr;
      if (artifact.full_names?.[0]) return artifact.full_names[0];
      return `${required(artifact.repository, 'artifact.repository')}@${required(artifact.digest, 'artifact.digest')}`;
    case 'redhat-module':
      return required(artifact.nsvc, 'artifact.nsvc');
    case 'fedora-update': {
      // Bodhi and Greenwave know an update by its alias. The pipeline library sends it as alias,
      // with id the sha256 of the update's nvrs, which names no update; others send the alias as id.
      if (artifact.alias) return artifact.alias;
      const id = typeof artifact.id === 'string' ? artifact.id : '';
      if (id && !id.startsWith('sha256:')) return id;
      throw new CiMessageError(
        "a fedora-update message needs artifact.alias, or an artifact.id that is the update's alias",
      );
    }
    default:
      // productmd-compose: the compose id.
      return required(artifact.id === undefined ? undefined : String(artifact.id), 'artifact.id');
  }
}

function required(value: string | undefined, field: string): string {
  if (typeof value !== 'string' || !/^\S+$/.test(value))
    throw new CiMessageError(`${field} must be a non-empty string without spaces, naming the result's item`);
  return value;
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}

/**
 * namespace.type.category, as every ResultsDB listener names CI testcases. A build event
 * need not carry a test block; it is then filed as `<ci>.<artifact>.build`, where `<ci>` is the
 * contact's name as a slug ("Fedora CI" → "fedora-ci"): the same shape as a test namespace
 * (e.g. `fedora-ci.koji-build`) followed by `build`, so one system's build results share one
 * testcase per artifact type and a gating policy can name it.
 */
function testcaseName(where: CiTopic, contactName: string, test: CiTest | undefined): string {
  if (test) return `${test.namespace}.${test.type}.${test.category}`;
  const ci =
    contactName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'ci';
  return `${ci}.${where.artifact}.build`;
}

/**
 * complete → the test's result upper-cased (NOT_APPLICABLE included); queued, running and
 * error → QUEUED, RUNNING, ERROR, which say the test has no verdict yet or never got one. A
 * completed build without a test result passed: a failed build is reported as build.error.
 */
function outcomeOf(where: CiTopic, test: CiTest | undefined): string {
  if (where.state !== 'complete') return where.state.toUpperCase();
  if (test?.result) return test.result.toUpperCase();
  if (where.event === 'build') return 'PASSED';
  // The topic schema requires test.result on test.complete; reaching this is a schema gap.
  throw new CiMessageError('a test.complete message has no test.result');
}

/** The specification says generated_at is UTC; senders using Python's isoformat() drop the "Z". */
function utc(timestamp: string): string {
  return /(Z|[+-]\d{2}:?\d{2})$/.test(timestamp) ? timestamp : `${timestamp}Z`;
}
