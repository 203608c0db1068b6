import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.js';

/**
 * Fedora CI messages in the exact shapes their producers send, from tests/fixtures/fedora-ci/.
 *
 * - koji-build, fedora-update, pull-request (topic ci.dist-git-pr.*) and redhat-module: the
 *   templates of fedora-ci/jenkins-pipeline-library (resources/<kind>.test.<state>-template.json)
 *   filled as its builders fill them (src/org/fedoraproject/jenkins/messages/RpmBuildMessageBuilder,
 *   FedoraUpdateMessageBuilder, PullRequestMessageBuilder, ModuleMessageBuilder.groovy, with
 *   version, pipeline, run from MessageBuilder.groovy). The library sends no fedora-update
 *   running message: its template is `{}`, which sendMessage.groovy skips.
 * - productmd-compose: the body of release-engineering/resultsdb-updater
 *   tests/fake_messages/compose_message_v2.json (specification 0.2.5, no pipeline, system
 *   without os). The library sends none; the other states are derived from it below.
 * - container-image: the artifact, run and system of resultsdb-updater
 *   tests/fake_messages/container_image_message.json in the 1.x layout (contact and test blocks),
 *   without its nvr so that the item is repository@digest; other states derived below.
 */

export type FixtureState = 'queued' | 'running' | 'complete' | 'error';

export interface CiFixture {
  /** e.g. `koji-build.test.complete` */
  name: string;
  /** Without any bus prefix, e.g. `ci.dist-git-pr.test.complete`. */
  topic: string;
  state: FixtureState;
  body: Record<string, unknown>;
  /** The result it must become, or null for a message Sluice acknowledges without a result. */
  expected: { item: string; type: string; testcase: string } | null;
}

const DIR = path.join(ROOT, 'tests/fixtures/fedora-ci');

function load(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as Record<string, unknown>;
}

/** What the specification has a state carry: no result before complete, an error on error, no system before it ran. */
function derive(complete: Record<string, unknown>, state: FixtureState): Record<string, unknown> {
  if (state === 'complete') return complete;
  const { system: _system, ...body } = structuredClone(complete);
  delete (body.test as Record<string, unknown>).result;
  if (state === 'error') body.error = { reason: 'Infrastructure Failure' };
  return body;
}

const STATES: FixtureState[] = ['queued', 'running', 'complete', 'error'];

function pipelineLibrary(
  kind: string,
  topicArtifact: string,
  expected: CiFixture['expected'],
  states = STATES,
): CiFixture[] {
  return states.map((state) => ({
    name: `${kind}.test.${state}`,
    topic: `ci.${topicArtifact}.test.${state}`,
    state,
    body: load(`${kind}.test.${state}.json`),
    expected,
  }));
}

function derived(kind: string, expected: CiFixture['expected']): CiFixture[] {
  const complete = load(`${kind}.test.complete.json`);
  return STATES.map((state) => ({
    name: `${kind}.test.${state}`,
    topic: `ci.${kind}.test.${state}`,
    state,
    body: derive(complete, state),
    expected,
  }));
}

export const FEDORA_CI_FIXTURES: CiFixture[] = [
  // The scenario goes out in the category ("validation/scenario=python-requests"); the testcase is without it.
  ...pipelineLibrary('koji-build', 'koji-build', {
    item: 'python-urllib3-2.2.3-1.fc42',
    type: 'koji_build',
    testcase: 'fedora-ci.koji-build.scratch-build.validation',
  }),
  ...pipelineLibrary(
    'fedora-update',
    'fedora-update',
    {
      item: 'FEDORA-2026-7c1e4a9b2d',
      type: 'bodhi_update',
      testcase: 'fedora-ci.fedora-update.installability.functional',
    },
    ['queued', 'complete', 'error'],
  ),
  ...pipelineLibrary('pull-request', 'dist-git-pr', null),
  ...pipelineLibrary('redhat-module', 'redhat-module', {
    item: 'nodejs:20:4120020240101:6a6b4b4c',
    type: 'redhat-module',
    testcase: 'fedora-ci.redhat-module.tier0.functional',
  }),
  ...derived('productmd-compose', {
    item: 'RHEL-X.0-20200512.1',
    type: 'compose',
    testcase: 'rtt.installability.validation',
  }),
  ...derived('container-image', {
    item: 'factory2/waiverdb@sha256:693377241d5bc55af239fdc5183bcc97d7c5c097bebe84097c4388063a3950cc',
    type: 'redhat-container-image',
    testcase: 'waiverdb-test.tier1.integration',
  }),
];

export function fixture(name: string): CiFixture {
  const found = FEDORA_CI_FIXTURES.find((f) => f.name === name);
  if (!found) throw new Error(`no fixture ${name}`);
  return { ...found, body: structuredClone(found.body) };
}
