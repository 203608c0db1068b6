import type {
  ReceivedDecisionState,
  DecisionUpdate,
  Requirement,
} from '../../gating/decision-update-message.js';
import type { NodeEvent } from '../../notify/node-event.js';
import { BUILTIN_SCHEMA_DIR, SchemaRegistry } from '../../schemas/schema-registry.js';
import { TEST_SCHEMA_DIR } from './paths.js';

/** Stand-ins for schemas other branches bring (pipeline.node.*); see the folder's schema. */

export function notifyRegistry(): SchemaRegistry {
  return new SchemaRegistry([BUILTIN_SCHEMA_DIR, TEST_SCHEMA_DIR]);
}

export const SUBJECT = { type: 'koji_build', id: 'bash-5.2.26-3.fc41' } as const;

export function failed(testcase: string, resultId = 7, scenario: string | null = null): Requirement {
  return {
    type: 'test-result-failed',
    testcase,
    subject_type: SUBJECT.type,
    subject_identifier: SUBJECT.id,
    result_id: resultId,
    scenario,
    item: { type: SUBJECT.type, item: SUBJECT.id },
  };
}

export function missing(testcase: string): Requirement {
  return {
    type: 'test-result-missing',
    testcase,
    subject_type: SUBJECT.type,
    subject_identifier: SUBJECT.id,
    scenario: null,
    item: { type: SUBJECT.type, item: SUBJECT.id },
  };
}

export function passed(testcase: string, resultId = 5): Requirement {
  return {
    type: 'test-result-passed',
    testcase,
    subject_type: SUBJECT.type,
    subject_identifier: SUBJECT.id,
    result_id: resultId,
  };
}

export const SATISFIED: ReceivedDecisionState = {
  policies_satisfied: true,
  summary: 'All required tests (2 total) have passed or been waived',
  satisfied_requirements: [passed('dist.rpmdeplint'), passed('fedora-ci.koji-build.tier0.functional', 6)],
  unsatisfied_requirements: [],
  applicable_policies: ['fedora-41-stable'],
};

export const UNSATISFIED: ReceivedDecisionState = {
  policies_satisfied: false,
  summary: 'Of 2 required tests, 1 test failed',
  satisfied_requirements: [passed('fedora-ci.koji-build.tier0.functional', 6)],
  unsatisfied_requirements: [failed('dist.rpmdeplint', 9)],
  applicable_policies: ['fedora-41-stable'],
};

/** A greenwave.decision.update body, as Greenwave publishes it, from `before` to `after`. */
export function decisionUpdate(
  before: ReceivedDecisionState | null,
  after: ReceivedDecisionState,
  subject: { type: string; id: string } = SUBJECT,
): DecisionUpdate {
  return {
    subject_type: subject.type,
    subject_identifier: subject.id,
    subject: [{ type: subject.type, item: subject.id }],
    decision_context: 'bodhi_update_push_stable',
    product_version: 'fedora-41',
    policies_satisfied: after.policies_satisfied,
    summary: after.summary,
    satisfied_requirements: after.satisfied_requirements ?? [],
    unsatisfied_requirements: after.unsatisfied_requirements,
    applicable_policies: after.applicable_policies ?? [],
    previous: before,
  };
}

export const REVISION = '4f2a9c1e0b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39';

// An hour ago, so that results stored by a test come after the run began, as they would.
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

/** A node message body (KernelCI-style), with the state and result before this change. */
export function nodeEvent(
  fields: Partial<NodeEvent> & Pick<NodeEvent, 'id' | 'name'>,
  base = 'http://127.0.0.1:1',
): NodeEvent {
  const root = fields.parent_id === undefined || fields.parent_id === null;
  return {
    run_id: 1,
    parent_id: null,
    kind: root ? 'checkout' : 'job',
    path: root ? [fields.name] : ['checkout', fields.name],
    job: root ? null : fields.name,
    state: 'done',
    result: 'pass',
    previous_state: 'running',
    previous_result: null,
    repo: 'rpms/bash',
    branch: 'rawhide',
    revision: REVISION,
    created: new Date(T0 + fields.id * 1000).toISOString(),
    updated: new Date(T0 + fields.id * 1000 + 95_000).toISOString(),
    timeout: null,
    holdoff: null,
    retry_of: null,
    artifacts: {},
    data: {},
    href: `${base}/api/v1/nodes/${fields.id}`,
    retry_count: 0,
    ...fields,
  };
}
