/**
 * Fedora CI messages as CI systems send them (shapes from the fedora-ci/messages examples),
 * one artifact of each type, for the mapping, schema and ingestion tests.
 */

export type CiArtifactKind =
  | 'koji-build'
  | 'brew-build'
  | 'productmd-compose'
  | 'container-image'
  | 'fedora-update'
  | 'redhat-module';
export type CiStateName = 'queued' | 'running' | 'complete' | 'error';

export const ARTIFACT_KINDS: CiArtifactKind[] = [
  'koji-build',
  'brew-build',
  'productmd-compose',
  'container-image',
  'fedora-update',
  'redhat-module',
];
export const STATES: CiStateName[] = ['queued', 'running', 'complete', 'error'];

/** Each artifact with the item and type a result about it must carry. */
export const ARTIFACTS: Record<
  CiArtifactKind,
  { artifact: Record<string, unknown>; item: string; type: string }
> = {
  'koji-build': {
    artifact: {
      type: 'koji-build',
      id: 125417382,
      issuer: 'jdoe',
      component: 'bash',
      nvr: 'bash-5.2.26-3.fc41',
      scratch: false,
      source: 'git+https://src.fedoraproject.org/rpms/bash.git#4f2a9c1',
    },
    item: 'bash-5.2.26-3.fc41',
    type: 'koji_build',
  },
  'brew-build': {
    artifact: {
      type: 'brew-build',
      id: 61234567,
      issuer: 'jdoe',
      component: 'bash',
      nvr: 'bash-5.1.8-9.el9',
      scratch: false,
      baseline: 'bash-5.1.8-6.el9',
    },
    item: 'bash-5.1.8-9.el9',
    type: 'brew-build',
  },
  'productmd-compose': {
    artifact: { type: 'productmd-compose', id: 'Fedora-Rawhide-20250101.n.0', compose_type: 'nightly' },
    item: 'Fedora-Rawhide-20250101.n.0',
    type: 'compose',
  },
  'container-image': {
    artifact: {
      type: 'container-image',
      id: 'sha256:3f1c0d5e9a7b',
      issuer: 'osbs',
      component: 'fedora-toolbox',
      nvr: 'fedora-toolbox-41-5',
      full_names: ['registry.fedoraproject.org/fedora-toolbox:41'],
      digest: 'sha256:3f1c0d5e9a7b',
    },
    item: 'fedora-toolbox-41-5',
    type: 'redhat-container-image',
  },
  'fedora-update': {
    artifact: {
      type: 'fedora-update',
      id: 'FEDORA-2025-1a2b3c4d5e',
      builds: [{ nvr: 'bash-5.2.26-3.fc41' }, { nvr: 'bash-completion-2.16-1.fc41' }],
      release: 'F41',
    },
    item: 'FEDORA-2025-1a2b3c4d5e',
    type: 'bodhi_update',
  },
  'redhat-module': {
    artifact: {
      type: 'redhat-module',
      id: 21873,
      issuer: 'jdoe',
      nsvc: 'nodejs:20:9050020240101:6a6b4b4c',
      name: 'nodejs',
      stream: '20',
    },
    item: 'nodejs:20:9050020240101:6a6b4b4c',
    type: 'redhat-module',
  },
};

export const CONTACT = {
  name: 'Fedora CI',
  team: 'Fedora CI team',
  email: 'ci@lists.fedoraproject.org',
  url: 'https://jenkins-fedora-ci.apps.ci.centos.org',
  irc: '#fedora-ci',
};
export const RUN = {
  url: 'https://ci.example.org/job/tier0/42/',
  log: 'https://ci.example.org/job/tier0/42/console',
};
export const SYSTEM = [{ os: 'fedora-41', provider: 'openstack', architecture: 'x86_64', variant: 'Server' }];
export const GENERATED_AT = '2025-01-02T03:04:05.678Z';

export interface CiMessageOptions {
  /** Replaces the test block; `null` leaves it out. */
  test?: Record<string, unknown> | null;
  /** Fields merged into the test block. */
  testFields?: Record<string, unknown>;
  artifact?: Record<string, unknown>;
}

/** A spec-valid body for `ci.<kind>.<event>.<state>`, with the fields that state requires. */
export function ciMessage(
  kind: CiArtifactKind,
  state: CiStateName,
  options: CiMessageOptions = {},
): Record<string, unknown> {
  const test =
    options.test === null
      ? undefined
      : {
          ...(options.test ?? {
            namespace: `fedora-ci.${kind}`,
            type: 'tier0',
            category: 'functional',
            docs: 'https://docs.fedoraproject.org/en-US/ci/tests/',
            scenario: 'fedora-41-x86_64',
            ...(state === 'complete' ? { result: 'passed' } : {}),
          }),
          ...options.testFields,
        };
  return {
    contact: CONTACT,
    run: RUN,
    artifact: options.artifact ?? ARTIFACTS[kind].artifact,
    pipeline: { id: `pipeline-${kind}-${state}`, name: 'Fedora CI tier0' },
    ...(test ? { test } : {}),
    ...(state === 'complete' ? { system: SYSTEM } : {}),
    ...(state === 'error'
      ? {
          error: {
            reason: 'the test machine could not be provisioned',
            issue_url: 'https://pagure.io/fedora-ci/general/issue/1',
          },
        }
      : {}),
    generated_at: GENERATED_AT,
    version: '1.1.14',
  };
}

export function ciTopic(kind: CiArtifactKind, state: CiStateName, event: 'test' | 'build' = 'test'): string {
  return `ci.${kind}.${event}.${state}`;
}
