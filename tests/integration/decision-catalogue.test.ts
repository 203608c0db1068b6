/**
 * The decision catalogue: every rule of Greenwave-compatible decisions, one case each, run end
 * to end: results stored through ResultsStore.submit (so the latest-result table behind the fast
 * path is what answers), waivers from an in-memory waiver source, gating.yaml files served over
 * real HTTP on loopback, and the question asked with POST /api/v1.0/decision.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { DecisionResponse } from '../../gating/decide.js';
import type { WaiverJson } from '../../gating/waivers.js';
import { SluiceService } from '../../service/sluice-service.js';
import { GatingFileServer, type Served } from '../support/gating-file-server.js';
import { MemoryWaivers } from '../support/memory-waivers.js';
import { policiesDir } from '../support/policies-dir.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';

const POLICIES = `
# Server policies for the catalogue, in Greenwave's own format.
--- !Policy
id: kojibuild_testing
product_versions: [fedora-*]
decision_context: bodhi_update_push_testing
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: dist.rpmdeplint}

--- !Policy
id: kojibuild_stable
product_versions: [fedora-40, fedora-41]
decision_contexts: [bodhi_update_push_stable, bodhi_update_push_stable_critpath]
subject_type: koji_build
excluded_packages: [kernel*]
rules:
  - !PassingTestCaseRule {test_case_name: dist.rpmdeplint}
  - !PassingTestCaseRule {test_case_name: dist.abicheck}

--- !Policy
id: kojibuild_critpath_python
product_versions: [fedora-*]
decision_context: bodhi_update_push_stable_critpath
subject_type: koji_build
packages: [python3*]
rules:
  - !PassingTestCaseRule {test_case_name: fedora-ci.koji-build.tier0.functional}

--- !Policy
id: compose_sync
product_versions: [fedora-rawhide]
decision_context: rawhide_compose_sync_to_mirrors
subject_type: compose
rules:
  - !PassingTestCaseRule {test_case_name: compose.install_default, scenario: "fedora.Everything-boot-iso.x86_64.64bit"}
  - !PassingTestCaseRule {test_case_name: compose.install_default, scenario: "fedora.Everything-boot-iso.x86_64.uefi"}

--- !Policy
id: arch_matrix
product_versions: [fedora-*]
decision_context: arch_matrix
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: ci.functional}

--- !Policy
id: kojibuild_remoterule
product_versions: [fedora-*]
decision_context: remote_optional
subject_type: koji_build
rules:
  - !RemoteRule {}

--- !Policy
id: kojibuild_remoterule_required
product_versions: [fedora-*]
decision_context: remote_required
subject_type: koji_build
rules:
  - !RemoteRule {required: true}

--- !Policy
id: validity_window
product_versions: [fedora-*]
decision_context: validity_window
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: new.test, valid_since: "2000-01-01T00:00:00"}
  - !PassingTestCaseRule {test_case_name: retired.test, valid_until: "2001-01-01T00:00:00"}

--- !Policy
id: bodhiupdate_openqa
product_versions: [fedora-40]
decision_context: bodhi_update_push_stable_critpath
subject_type: bodhi_update
rules:
  - !PassingTestCaseRule {test_case_name: update.base_selinux, scenario: "fedora.updates-kde.x86_64.64bit"}

--- !Policy
id: brew_alias
product_versions: [rhel-*]
decision_context: errata_qe
subject_type: brew-build
rules:
  - !PassingTestCaseRule {test_case_name: rhel.tier1}
`;

const BASE = Date.UTC(2030, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 23);

interface Given {
  /** The case's own Koji build NVR (package `pkg`). */
  nvr: string;
  /** A compose id and a Bodhi update alias of the case's own. */
  compose: string;
  update: string;
  /** Stores a result for the case's NVR (or `item`), `at` ms after BASE (default: after every earlier one). */
  result(
    testcase: string,
    outcome: string,
    opts?: {
      at?: number;
      item?: string;
      itemKey?: string;
      type?: string | null;
      data?: Record<string, string>;
    },
  ): number;
  waive(w: Partial<WaiverJson> & { testcase: string }, atMs?: number): WaiverJson;
  /** Makes the build's sources known (a build result with its SCM URL) and serves `file` as its gating.yaml. */
  gatingYaml(file: string | Served | null): void;
}

interface Expectation {
  status?: number;
  satisfied?: boolean;
  summary?: string;
  /** Requirements as "type testcase [scenario|arch|variant]" in response order. */
  unsatisfied?: string[];
  satisfiedReqs?: string[];
  applicable?: string[];
  message?: string;
  check?: (body: Decision, g: Given) => void;
}

interface Case {
  name: string;
  pkg?: string;
  given?: (g: Given) => void;
  ask: (g: Given) => unknown;
  expect: Expectation;
}

type Decision = Omit<DecisionResponse, 'results'> & { results?: Array<{ id: number }>; message?: string };

const koji = (g: Given, context: string | string[], extra: Record<string, unknown> = {}) => ({
  product_version: 'fedora-40',
  decision_context: context,
  subject_type: 'koji_build',
  subject_identifier: g.nvr,
  ...extra,
});

function describeRequirement(r: Record<string, unknown>): string {
  if (r.type === 'excluded') return `excluded ${String(r.policy)}`;
  const where = [r.scenario, r.system_architecture, r.system_variant].filter((v) => typeof v === 'string');
  return [r.type, r.testcase, ...where].join(' ');
}

const CASES: Case[] = [
  // ── outcome classes ──────────────────────────────────────────────────────────────
  {
    name: 'PASSED satisfies the rule (test-result-passed with the result id)',
    given: (g) => void g.result('dist.rpmdeplint', 'PASSED'),
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: {
      satisfied: true,
      summary: 'All required tests (1 total) have passed or been waived',
      satisfiedReqs: ['test-result-passed dist.rpmdeplint'],
      unsatisfied: [],
      applicable: ['kojibuild_testing'],
      check: (body) => assert.equal(typeof body.satisfied_requirements[0]!.result_id, 'number'),
    },
  },
  {
    name: 'INFO satisfies the rule like PASSED',
    given: (g) => void g.result('dist.rpmdeplint', 'INFO'),
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: { satisfied: true, satisfiedReqs: ['test-result-passed dist.rpmdeplint'] },
  },
  {
    name: 'FAILED is test-result-failed, with the result id and the subject as item',
    given: (g) => void g.result('dist.rpmdeplint', 'FAILED'),
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: {
      satisfied: false,
      summary: 'Of 1 required test, 1 test failed',
      unsatisfied: ['test-result-failed dist.rpmdeplint'],
      check: (body, g) => {
        const r = body.unsatisfied_requirements[0]!;
        assert.deepEqual(r.item, { type: 'koji_build', item: g.nvr });
        assert.equal(r.subject_identifier, g.nvr);
        assert.equal(r.subject_type, 'koji_build');
        assert.equal(typeof r.result_id, 'number');
      },
    },
  },
  {
    name: 'NEEDS_INSPECTION counts as failed',
    given: (g) => void g.result('dist.rpmdeplint', 'NEEDS_INSPECTION'),
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: { satisfied: false, unsatisfied: ['test-result-failed dist.rpmdeplint'] },
  },
  {
    name: 'any other outcome (NOT_APPLICABLE) counts as failed',
    given: (g) => void g.result('dist.rpmdeplint', 'NOT_APPLICABLE'),
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: {
      satisfied: false,
      summary: 'Of 1 required test, 1 test failed',
      unsatisfied: ['test-result-failed dist.rpmdeplint'],
    },
  },
  {
    name: 'QUEUED is incomplete: test-result-missing that carries the result id',
    given: (g) => void g.result('dist.rpmdeplint', 'QUEUED'),
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: {
      satisfied: false,
      summary: 'Of 1 required test, 1 test incomplete',
      unsatisfied: ['test-result-missing dist.rpmdeplint'],
      check: (body) => assert.equal(typeof body.unsatisfied_requirements[0]!.result_id, 'number'),
    },
  },
  {
    name: 'RUNNING is incomplete too',
    given: (g) => void g.result('dist.rpmdeplint', 'RUNNING'),
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: {
      satisfied: false,
      summary: 'Of 1 required test, 1 test incomplete',
      unsatisfied: ['test-result-missing dist.rpmdeplint'],
    },
  },
  {
    name: 'ERROR is test-result-errored with the error reason',
    given: (g) => void g.result('dist.rpmdeplint', 'ERROR', { data: { error_reason: 'builder lost' } }),
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: {
      satisfied: false,
      summary: 'Of 1 required test, 1 test errored',
      unsatisfied: ['test-result-errored dist.rpmdeplint'],
      check: (body) => assert.equal(body.unsatisfied_requirements[0]!.error_reason, 'builder lost'),
    },
  },
  {
    name: 'no result is test-result-missing without a result id',
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: {
      satisfied: false,
      summary: 'Of 1 required test, 1 result missing',
      unsatisfied: ['test-result-missing dist.rpmdeplint'],
      check: (body) => assert.equal('result_id' in body.unsatisfied_requirements[0]!, false),
    },
  },
  {
    name: 'counts of each kind, with English plurals',
    given: (g) => {
      g.result('dist.rpmdeplint', 'FAILED');
    },
    ask: (g) => koji(g, 'bodhi_update_push_stable'),
    expect: { summary: 'Of 2 required tests, 1 result missing, 1 test failed' },
  },
  // ── the newest result counts ─────────────────────────────────────────────────────
  {
    name: 'a newer FAILED replaces an older PASSED',
    given: (g) => {
      g.result('dist.rpmdeplint', 'PASSED', { at: 1000 });
      g.result('dist.rpmdeplint', 'FAILED', { at: 2000 });
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: { satisfied: false, unsatisfied: ['test-result-failed dist.rpmdeplint'] },
  },
  {
    name: 'a newer PASSED replaces an older FAILED',
    given: (g) => {
      g.result('dist.rpmdeplint', 'FAILED', { at: 1000 });
      g.result('dist.rpmdeplint', 'PASSED', { at: 2000 });
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: { satisfied: true },
  },
  {
    name: 'newest is by submit time, not by the order results were stored',
    given: (g) => {
      g.result('dist.rpmdeplint', 'PASSED', { at: 5000 });
      g.result('dist.rpmdeplint', 'FAILED', { at: 1000 });
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: { satisfied: true },
  },
  {
    name: "another build's results do not count",
    given: (g) => void g.result('dist.rpmdeplint', 'PASSED', { item: `${g.nvr}x` }),
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: { satisfied: false, unsatisfied: ['test-result-missing dist.rpmdeplint'] },
  },
  {
    name: 'a result of the same item under another type does not count',
    given: (g) => void g.result('dist.rpmdeplint', 'PASSED', { type: 'bodhi_update' }),
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: { satisfied: false, unsatisfied: ['test-result-missing dist.rpmdeplint'] },
  },
  {
    name: 'brew-build results count for a koji_build subject',
    given: (g) => void g.result('dist.rpmdeplint', 'PASSED', { type: 'brew-build' }),
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: { satisfied: true },
  },
  {
    name: 'results naming the build by original_spec_nvr count, whatever their type',
    given: (g) => void g.result('dist.rpmdeplint', 'PASSED', { itemKey: 'original_spec_nvr', type: null }),
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: { satisfied: true },
  },
  // ── scenarios ────────────────────────────────────────────────────────────────────
  {
    name: 'compose: each required scenario needs its own passing result',
    given: (g) => {
      g.result('compose.install_default', 'PASSED', {
        item: g.compose,
        type: 'compose',
        data: { scenario: 'fedora.Everything-boot-iso.x86_64.64bit' },
      });
      g.result('compose.install_default', 'PASSED', {
        item: g.compose,
        type: 'compose',
        data: { scenario: 'fedora.Everything-boot-iso.x86_64.uefi' },
      });
    },
    ask: (g) => ({
      product_version: 'fedora-rawhide',
      decision_context: 'rawhide_compose_sync_to_mirrors',
      subject_type: 'compose',
      subject_identifier: g.compose,
    }),
    expect: {
      satisfied: true,
      summary: 'All required tests (2 total) have passed or been waived',
      applicable: ['compose_sync'],
    },
  },
  {
    name: 'compose: a failed scenario and a missing one are two unsatisfied requirements',
    given: (g) =>
      void g.result('compose.install_default', 'FAILED', {
        item: g.compose,
        type: 'compose',
        data: { scenario: 'fedora.Everything-boot-iso.x86_64.uefi' },
      }),
    ask: (g) => ({
      product_version: 'fedora-rawhide',
      decision_context: 'rawhide_compose_sync_to_mirrors',
      subject_type: 'compose',
      subject_identifier: g.compose,
    }),
    expect: {
      satisfied: false,
      summary: 'Of 2 required tests, 1 result missing, 1 test failed',
      unsatisfied: [
        'test-result-missing compose.install_default fedora.Everything-boot-iso.x86_64.64bit',
        'test-result-failed compose.install_default fedora.Everything-boot-iso.x86_64.uefi',
      ],
    },
  },
  {
    name: "compose named by productmd.compose.id in `subject`: results under that key count, item is Greenwave's compose dict",
    given: (g) =>
      void g.result('compose.install_default', 'PASSED', {
        item: g.compose,
        itemKey: 'productmd.compose.id',
        type: null,
        data: { scenario: 'fedora.Everything-boot-iso.x86_64.64bit' },
      }),
    ask: (g) => ({
      product_version: 'fedora-rawhide',
      decision_context: 'rawhide_compose_sync_to_mirrors',
      subject: [{ 'productmd.compose.id': g.compose }],
    }),
    expect: {
      satisfied: false,
      unsatisfied: ['test-result-missing compose.install_default fedora.Everything-boot-iso.x86_64.uefi'],
      check: (body, g) =>
        assert.deepEqual(body.unsatisfied_requirements[0]!.item, { 'productmd.compose.id': g.compose }),
    },
  },
  {
    name: 'a result of a scenario the rule does not ask for does not count',
    given: (g) =>
      void g.result('update.base_selinux', 'PASSED', {
        item: g.update,
        type: 'bodhi_update',
        data: { scenario: 'fedora.updates-server.x86_64.64bit' },
      }),
    ask: (g) => ({
      product_version: 'fedora-40',
      decision_context: 'bodhi_update_push_stable_critpath',
      subject_type: 'bodhi_update',
      subject_identifier: g.update,
    }),
    expect: {
      satisfied: false,
      unsatisfied: ['test-result-missing update.base_selinux fedora.updates-kde.x86_64.64bit'],
    },
  },
  // ── architectures and variants ───────────────────────────────────────────────────
  {
    name: 'each architecture is its own requirement: x86_64 passed, aarch64 failed',
    given: (g) => {
      g.result('ci.functional', 'PASSED', { data: { system_architecture: 'x86_64' } });
      g.result('ci.functional', 'FAILED', { data: { system_architecture: 'aarch64' } });
    },
    ask: (g) => koji(g, 'arch_matrix'),
    expect: {
      satisfied: false,
      summary: 'Of 2 required tests, 1 test failed',
      unsatisfied: ['test-result-failed ci.functional aarch64'],
      satisfiedReqs: ['test-result-passed ci.functional x86_64'],
    },
  },
  {
    name: 'the newest result per architecture counts: an aarch64 re-run that passed fixes it',
    given: (g) => {
      g.result('ci.functional', 'FAILED', { data: { system_architecture: 'aarch64' } });
      g.result('ci.functional', 'PASSED', { data: { system_architecture: 'x86_64' } });
      g.result('ci.functional', 'PASSED', { data: { system_architecture: 'aarch64' } });
    },
    ask: (g) => koji(g, 'arch_matrix'),
    expect: { satisfied: true, summary: 'All required tests (2 total) have passed or been waived' },
  },
  {
    name: 'each variant of one architecture is its own requirement too',
    given: (g) => {
      g.result('ci.functional', 'FAILED', {
        data: { system_architecture: 'x86_64', system_variant: 'Server' },
      });
      g.result('ci.functional', 'PASSED', {
        data: { system_architecture: 'x86_64', system_variant: 'Workstation' },
      });
    },
    ask: (g) => koji(g, 'arch_matrix'),
    expect: {
      satisfied: false,
      unsatisfied: ['test-result-failed ci.functional x86_64 Server'],
      satisfiedReqs: ['test-result-passed ci.functional x86_64 Workstation'],
    },
  },
  // ── waivers ──────────────────────────────────────────────────────────────────────
  {
    name: 'a waiver turns a failed result into test-result-failed-waived, satisfied',
    given: (g) => {
      g.result('dist.rpmdeplint', 'FAILED');
      g.waive({ testcase: 'dist.rpmdeplint' });
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: {
      satisfied: true,
      summary: 'All required tests (1 total) have passed or been waived',
      satisfiedReqs: ['test-result-failed-waived dist.rpmdeplint'],
      check: (body) => {
        const r = body.satisfied_requirements[0]!;
        assert.equal(typeof r.waiver_id, 'number');
        assert.equal('item' in r, false, 'a waived requirement drops the deprecated item');
      },
    },
  },
  {
    name: 'a missing result can be waived (test-result-missing-waived)',
    given: (g) => void g.waive({ testcase: 'dist.rpmdeplint' }),
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: { satisfied: true, satisfiedReqs: ['test-result-missing-waived dist.rpmdeplint'] },
  },
  {
    name: 'an errored result can be waived (test-result-errored-waived)',
    given: (g) => {
      g.result('dist.rpmdeplint', 'ERROR');
      g.waive({ testcase: 'dist.rpmdeplint' });
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: { satisfied: true, satisfiedReqs: ['test-result-errored-waived dist.rpmdeplint'] },
  },
  {
    name: 'a waiver for another product version does not apply',
    given: (g) => {
      g.result('dist.rpmdeplint', 'FAILED');
      g.waive({ testcase: 'dist.rpmdeplint', product_version: 'fedora-39' });
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: { satisfied: false, unsatisfied: ['test-result-failed dist.rpmdeplint'] },
  },
  {
    name: 'a waiver for another testcase does not apply',
    given: (g) => {
      g.result('dist.rpmdeplint', 'FAILED');
      g.waive({ testcase: 'dist.abicheck' });
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: { satisfied: false },
  },
  {
    name: 'a waiver with a scenario waives only that scenario',
    given: (g) => {
      g.result('compose.install_default', 'FAILED', {
        item: g.compose,
        type: 'compose',
        data: { scenario: 'fedora.Everything-boot-iso.x86_64.64bit' },
      });
      g.result('compose.install_default', 'FAILED', {
        item: g.compose,
        type: 'compose',
        data: { scenario: 'fedora.Everything-boot-iso.x86_64.uefi' },
      });
      g.waive({
        testcase: 'compose.install_default',
        subject_type: 'compose',
        subject_identifier: g.compose,
        product_version: 'fedora-rawhide',
        scenario: 'fedora.Everything-boot-iso.x86_64.uefi',
      });
    },
    ask: (g) => ({
      product_version: 'fedora-rawhide',
      decision_context: 'rawhide_compose_sync_to_mirrors',
      subject_type: 'compose',
      subject_identifier: g.compose,
    }),
    expect: {
      satisfied: false,
      unsatisfied: ['test-result-failed compose.install_default fedora.Everything-boot-iso.x86_64.64bit'],
      satisfiedReqs: [
        'test-result-failed-waived compose.install_default fedora.Everything-boot-iso.x86_64.uefi',
      ],
    },
  },
  {
    name: 'a waiver without a scenario waives every scenario',
    given: (g) => {
      g.result('compose.install_default', 'FAILED', {
        item: g.compose,
        type: 'compose',
        data: { scenario: 'fedora.Everything-boot-iso.x86_64.64bit' },
      });
      g.waive({
        testcase: 'compose.install_default',
        subject_type: 'compose',
        subject_identifier: g.compose,
        product_version: 'fedora-rawhide',
      });
    },
    ask: (g) => ({
      product_version: 'fedora-rawhide',
      decision_context: 'rawhide_compose_sync_to_mirrors',
      subject_type: 'compose',
      subject_identifier: g.compose,
    }),
    expect: {
      satisfied: true,
      satisfiedReqs: [
        'test-result-failed-waived compose.install_default fedora.Everything-boot-iso.x86_64.64bit',
        'test-result-missing-waived compose.install_default fedora.Everything-boot-iso.x86_64.uefi',
      ],
    },
  },
  {
    name: 'waived: false from the same user revokes the waiver',
    given: (g) => {
      g.result('dist.rpmdeplint', 'FAILED');
      g.waive({ testcase: 'dist.rpmdeplint' }, 1000);
      g.waive({ testcase: 'dist.rpmdeplint', waived: false }, 2000);
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: { satisfied: false, unsatisfied: ['test-result-failed dist.rpmdeplint'] },
  },
  {
    name: 'the newest waiver wins: waived again after a revocation',
    given: (g) => {
      g.result('dist.rpmdeplint', 'FAILED');
      g.waive({ testcase: 'dist.rpmdeplint' }, 1000);
      g.waive({ testcase: 'dist.rpmdeplint', waived: false }, 2000);
      g.waive({ testcase: 'dist.rpmdeplint' }, 3000);
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: {
      satisfied: true,
      check: (body) =>
        assert.equal(
          body.satisfied_requirements[0]!.waiver_id,
          lastWaiverIds.at(-1),
          'the newest waiver is the one applied',
        ),
    },
  },
  {
    name: "a revocation by another user leaves the first user's waiver standing (WaiverDB keeps the newest per user)",
    given: (g) => {
      g.result('dist.rpmdeplint', 'FAILED');
      g.waive({ testcase: 'dist.rpmdeplint', username: 'alice' }, 1000);
      g.waive({ testcase: 'dist.rpmdeplint', username: 'bob', waived: false }, 2000);
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: { satisfied: true },
  },
  {
    name: 'asked about a brew-build, the waiver WaiverDB files under koji_build applies',
    given: (g) => {
      g.result('dist.rpmdeplint', 'FAILED', { type: 'brew-build' });
      g.waive({ testcase: 'dist.rpmdeplint', subject_type: 'koji_build' });
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing', { subject_type: 'brew-build' }),
    expect: { satisfied: true, satisfiedReqs: ['test-result-failed-waived dist.rpmdeplint'] },
  },
  {
    name: 'a passed result stays test-result-passed even with a waiver',
    given: (g) => {
      g.result('dist.rpmdeplint', 'PASSED');
      g.waive({ testcase: 'dist.rpmdeplint' });
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: { satisfied: true, satisfiedReqs: ['test-result-passed dist.rpmdeplint'] },
  },
  {
    name: 'a QUEUED result can be waived (test-result-missing-waived with its result id)',
    given: (g) => {
      g.result('dist.rpmdeplint', 'QUEUED');
      g.waive({ testcase: 'dist.rpmdeplint' });
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing'),
    expect: {
      satisfied: true,
      satisfiedReqs: ['test-result-missing-waived dist.rpmdeplint'],
      check: (body) => assert.equal(typeof body.satisfied_requirements[0]!.result_id, 'number'),
    },
  },
  // ── when ─────────────────────────────────────────────────────────────────────────
  {
    name: '`when` answers as of then: a later failure does not count yet',
    given: (g) => {
      g.result('dist.rpmdeplint', 'PASSED', { at: 1000 });
      g.result('dist.rpmdeplint', 'FAILED', { at: 5000 });
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing', { when: iso(BASE + 3000) }),
    expect: { satisfied: true, satisfiedReqs: ['test-result-passed dist.rpmdeplint'] },
  },
  {
    name: '`when` before any result: missing',
    given: (g) => void g.result('dist.rpmdeplint', 'PASSED', { at: 5000 }),
    ask: (g) => koji(g, 'bodhi_update_push_testing', { when: iso(BASE + 1000) }),
    expect: { satisfied: false, unsatisfied: ['test-result-missing dist.rpmdeplint'] },
  },
  {
    name: '`when` before a waiver: the waiver does not count yet',
    given: (g) => {
      g.result('dist.rpmdeplint', 'FAILED', { at: 1000 });
      g.waive({ testcase: 'dist.rpmdeplint' }, 5000);
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing', { when: iso(BASE + 3000) }),
    expect: { satisfied: false, unsatisfied: ['test-result-failed dist.rpmdeplint'] },
  },
  {
    name: '`when` before a revocation: the waiver still counts',
    given: (g) => {
      g.result('dist.rpmdeplint', 'FAILED', { at: 1000 });
      g.waive({ testcase: 'dist.rpmdeplint' }, 2000);
      g.waive({ testcase: 'dist.rpmdeplint', waived: false }, 5000);
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing', { when: iso(BASE + 3000) }),
    expect: { satisfied: true, satisfiedReqs: ['test-result-failed-waived dist.rpmdeplint'] },
  },
  // ── ignore lists ─────────────────────────────────────────────────────────────────
  {
    name: 'ignore_result drops that result; an older one does not come back (Greenwave filters the latest)',
    given: (g) => {
      g.result('dist.rpmdeplint', 'PASSED', { at: 1000 });
      g.result('dist.rpmdeplint', 'FAILED', { at: 2000 });
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing', { ignore_result: [lastResultIds.at(-1)] }),
    expect: { satisfied: false, unsatisfied: ['test-result-missing dist.rpmdeplint'] },
  },
  {
    name: 'ignore_waiver drops that waiver',
    given: (g) => {
      g.result('dist.rpmdeplint', 'FAILED');
      g.waive({ testcase: 'dist.rpmdeplint' });
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing', { ignore_waiver: [lastWaiverIds.at(-1)] }),
    expect: { satisfied: false, unsatisfied: ['test-result-failed dist.rpmdeplint'] },
  },
  // ── several decision contexts ────────────────────────────────────────────────────
  {
    name: 'a list of contexts applies every matching policy; a testcase named twice is one requirement',
    pkg: 'python3-requests',
    given: (g) => {
      g.result('dist.rpmdeplint', 'PASSED');
      g.result('dist.abicheck', 'PASSED');
      g.result('fedora-ci.koji-build.tier0.functional', 'FAILED');
    },
    ask: (g) => koji(g, ['bodhi_update_push_testing', 'bodhi_update_push_stable_critpath']),
    expect: {
      satisfied: false,
      summary: 'Of 3 required tests, 1 test failed',
      applicable: ['kojibuild_testing', 'kojibuild_stable', 'kojibuild_critpath_python'],
      unsatisfied: ['test-result-failed fedora-ci.koji-build.tier0.functional'],
      satisfiedReqs: ['test-result-passed dist.rpmdeplint', 'test-result-passed dist.abicheck'],
    },
  },
  {
    name: 'a context without policies in the list does not stop the others from applying',
    given: (g) => void g.result('dist.rpmdeplint', 'PASSED'),
    ask: (g) => koji(g, ['no_such_context', 'bodhi_update_push_testing']),
    expect: { satisfied: true, applicable: ['kojibuild_testing'] },
  },
  // ── packages ─────────────────────────────────────────────────────────────────────
  {
    name: 'excluded_packages: the policy answers "excluded" instead of checking its rules',
    pkg: 'kernel-core',
    ask: (g) => koji(g, 'bodhi_update_push_stable'),
    expect: {
      satisfied: true,
      satisfiedReqs: ['excluded kojibuild_stable'],
      unsatisfied: [],
      applicable: ['kojibuild_stable'],
      summary: 'All required tests (1 total) have passed or been waived',
    },
  },
  {
    name: "packages allowlist: a package not on it gets none of that policy's rules",
    pkg: 'bash',
    given: (g) => {
      g.result('dist.rpmdeplint', 'PASSED');
      g.result('dist.abicheck', 'PASSED');
    },
    ask: (g) => koji(g, 'bodhi_update_push_stable_critpath'),
    expect: {
      satisfied: true,
      summary: 'All required tests (2 total) have passed or been waived',
      applicable: ['kojibuild_stable', 'kojibuild_critpath_python'],
    },
  },
  {
    name: "packages allowlist: a package on it gets that policy's rules",
    pkg: 'python3-flask',
    given: (g) => {
      g.result('dist.rpmdeplint', 'PASSED');
      g.result('dist.abicheck', 'PASSED');
    },
    ask: (g) => koji(g, 'bodhi_update_push_stable_critpath'),
    expect: {
      satisfied: false,
      summary: 'Of 3 required tests, 1 result missing',
      unsatisfied: ['test-result-missing fedora-ci.koji-build.tier0.functional'],
    },
  },
  // ── gating files (RemoteRule) ────────────────────────────────────────────────────
  {
    name: "a package's gating.yaml adds its rules; the requirement names the file as source",
    given: (g) => {
      g.gatingYaml(
        `--- !Policy\nproduct_versions: [fedora-*]\ndecision_context: remote_optional\nrules:\n  - !PassingTestCaseRule {test_case_name: pkg.own.test}\n`,
      );
      g.result('pkg.own.test', 'PASSED');
    },
    ask: (g) => koji(g, 'remote_optional'),
    expect: {
      satisfied: true,
      summary: 'All required tests (1 total) have passed or been waived',
      satisfiedReqs: ['fetched-gating-yaml fetched-gating-yaml', 'test-result-passed pkg.own.test'],
      check: (body) => {
        const [fetched, passed] = body.satisfied_requirements;
        assert.match(String(fetched!.source), /\/rpms\/pkg-[0-9a-f]+\/raw\/[0-9a-f]+\/f\/gating\.yaml$/);
        assert.equal(passed!.source, fetched!.source);
      },
    },
  },
  {
    // Most packages' gating.yaml files start with a bare `---` (Greenwave made the tag optional in 2021).
    name: 'a gating.yaml without the !Policy tag is read as a policy all the same',
    given: (g) => {
      g.gatingYaml(
        `---\nproduct_versions: [fedora-*]\ndecision_context: remote_optional\nrules:\n  - !PassingTestCaseRule {test_case_name: pkg.own.test}\n`,
      );
      g.result('pkg.own.test', 'FAILED');
    },
    ask: (g) => koji(g, 'remote_optional'),
    expect: {
      satisfied: false,
      satisfiedReqs: ['fetched-gating-yaml fetched-gating-yaml'],
      unsatisfied: ['test-result-failed pkg.own.test'],
    },
  },
  {
    name: "a gating.yaml's test without a result is missing",
    given: (g) =>
      g.gatingYaml(
        `--- !Policy\ndecision_contexts: [remote_optional, other]\nrules:\n  - !PassingTestCaseRule {test_case_name: pkg.own.test}\n`,
      ),
    ask: (g) => koji(g, 'remote_optional'),
    expect: {
      satisfied: false,
      summary: 'Of 1 required test, 1 result missing',
      unsatisfied: ['test-result-missing pkg.own.test'],
    },
  },
  {
    name: 'no gating.yaml and not required: nothing is required',
    given: (g) => g.gatingYaml(null),
    ask: (g) => koji(g, 'remote_optional'),
    expect: {
      satisfied: true,
      summary: 'No tests are required',
      satisfiedReqs: [],
      unsatisfied: [],
      applicable: ['kojibuild_remoterule'],
    },
  },
  {
    name: 'no gating.yaml but required: missing-gating-yaml, listing the URLs tried',
    given: (g) => g.gatingYaml(null),
    ask: (g) => koji(g, 'remote_required'),
    expect: {
      satisfied: false,
      summary: '1 error due to missing remote rule file',
      unsatisfied: ['missing-gating-yaml missing-gating-yaml'],
      check: (body) =>
        assert.match(
          String((body.unsatisfied_requirements[0]!.sources as string[])[0]),
          /\/f\/gating\.yaml$/,
        ),
    },
  },
  {
    name: 'no Koji and no result saying where the build came from: not "no gating.yaml" but a failed fetch (Greenwave: Koji build not found)',
    ask: (g) => koji(g, 'remote_optional'),
    expect: {
      satisfied: false,
      summary: '1 error due to failed fetch of remote rule file',
      unsatisfied: ['failed-fetch-gating-yaml failed-fetch-gating-yaml'],
      check: (body, g) =>
        assert.deepEqual(body.unsatisfied_requirements[0], {
          type: 'failed-fetch-gating-yaml',
          testcase: 'failed-fetch-gating-yaml',
          subject_type: 'koji_build',
          subject_identifier: g.nvr,
          scenario: null,
          sources: [],
          error: `Cannot find where koji_build ${g.nvr} was built from: no Koji is configured (gating.koji.url) and no result of it carries its SCM URL (data key "source")`,
        }),
    },
  },
  {
    name: 'the same when the file is required: a failed fetch, not missing-gating-yaml',
    given: (g) => void g.result('dist.rpmdeplint', 'PASSED'),
    ask: (g) => koji(g, 'remote_required'),
    expect: {
      satisfied: false,
      unsatisfied: ['failed-fetch-gating-yaml failed-fetch-gating-yaml'],
      check: (body) => assert.deepEqual(body.unsatisfied_requirements[0]!.sources, []),
    },
  },
  {
    name: 'an invalid gating.yaml is invalid-gating-yaml with the reason',
    given: (g) => g.gatingYaml(`id: no-tag\nrules: []\n`),
    ask: (g) => koji(g, 'remote_optional'),
    expect: {
      satisfied: false,
      summary: '1 error due to invalid remote rule file',
      satisfiedReqs: ['fetched-gating-yaml fetched-gating-yaml'],
      unsatisfied: ['invalid-gating-yaml invalid-gating-yaml'],
      check: (body) =>
        assert.equal(
          body.unsatisfied_requirements[0]!.details,
          "Policy 'no-tag': No decision contexts provided",
        ),
    },
  },
  {
    name: 'a gating.yaml with a RemoteRule of its own is invalid',
    given: (g) =>
      g.gatingYaml(`--- !Policy\ndecision_context: remote_optional\nrules:\n  - !RemoteRule {}\n`),
    ask: (g) => koji(g, 'remote_optional'),
    expect: {
      satisfied: false,
      check: (body) =>
        assert.equal(
          body.unsatisfied_requirements[0]!.details,
          "Policy 'untitled': RemoteRule is not allowed in remote policies",
        ),
    },
  },
  {
    name: 'gating-file errors come first in the summary, then the tests',
    given: (g) => g.gatingYaml(`--- !Policy\nrules: []\n`),
    ask: (g) => koji(g, ['remote_optional', 'bodhi_update_push_testing']),
    expect: {
      satisfied: false,
      summary: '1 error due to invalid remote rule file. Of 1 required test, 1 result missing',
    },
  },
  {
    name: 'dist-git answering 500 is a failed fetch (failed-fetch-gating-yaml)',
    given: (g) => g.gatingYaml({ status: 500, body: 'oops' }),
    ask: (g) => koji(g, 'remote_optional'),
    expect: {
      satisfied: false,
      unsatisfied: ['failed-fetch-gating-yaml failed-fetch-gating-yaml'],
      summary: '1 error due to failed fetch of remote rule file',
      check: (body) => assert.match(String(body.unsatisfied_requirements[0]!.error), /HTTP 500/),
    },
  },
  {
    name: 'dist-git not answering within the fetch timeout is a failed fetch',
    given: (g) =>
      g.gatingYaml({
        status: 200,
        body: '--- !Policy\ndecision_context: remote_optional\nrules: []\n',
        delayMs: 3000,
      }),
    ask: (g) => koji(g, 'remote_optional'),
    expect: {
      satisfied: false,
      unsatisfied: ['failed-fetch-gating-yaml failed-fetch-gating-yaml'],
      check: (body) => assert.match(String(body.unsatisfied_requirements[0]!.error), /within 400 ms/),
    },
  },
  {
    name: "a gating.yaml's policies for other decision contexts add nothing",
    given: (g) =>
      g.gatingYaml(
        `--- !Policy\ndecision_context: bodhi_update_push_stable\nrules:\n  - !PassingTestCaseRule {test_case_name: pkg.own.test}\n`,
      ),
    ask: (g) => koji(g, 'remote_optional'),
    expect: {
      satisfied: true,
      summary: 'No tests are required',
      satisfiedReqs: ['fetched-gating-yaml fetched-gating-yaml'],
    },
  },
  {
    name: "a gating.yaml's excluded_packages apply to its own rules",
    given: (g) =>
      g.gatingYaml(
        `--- !Policy\ndecision_context: remote_optional\nexcluded_packages: [pkg-*]\nrules:\n  - !PassingTestCaseRule {test_case_name: pkg.own.test}\n`,
      ),
    ask: (g) => koji(g, 'remote_optional'),
    expect: { satisfied: true, satisfiedReqs: ['fetched-gating-yaml fetched-gating-yaml', 'excluded null'] },
  },
  {
    name: 'waiving missing-gating-yaml removes the requirement',
    given: (g) => {
      g.gatingYaml(null);
      g.waive({ testcase: 'missing-gating-yaml' });
    },
    ask: (g) => koji(g, 'remote_required'),
    expect: { satisfied: true, summary: 'No tests are required', unsatisfied: [] },
  },
  // ── valid_since / valid_until ────────────────────────────────────────────────────
  {
    name: 'valid_since / valid_until: only rules valid when the build was made apply',
    given: (g) => void g.result('new.test', 'PASSED'),
    ask: (g) => koji(g, 'validity_window'),
    expect: {
      satisfied: true,
      summary: 'All required tests (1 total) have passed or been waived',
      satisfiedReqs: ['test-result-passed new.test'],
    },
  },
  // ── no applicable policy ─────────────────────────────────────────────────────────
  {
    name: "no policy for the context: 404 with Greenwave's message",
    ask: (g) => koji(g, 'no_such_context'),
    expect: {
      status: 404,
      message:
        'Found no applicable policies for koji_build subjects at gating point(s) no_such_context in fedora-40',
    },
  },
  {
    name: 'no policy for the product version: 404',
    ask: (g) => koji(g, 'bodhi_update_push_stable', { product_version: 'fedora-39' }),
    expect: {
      status: 404,
      message:
        'Found no applicable policies for koji_build subjects at gating point(s) bodhi_update_push_stable in fedora-39',
    },
  },
  {
    name: 'a list of contexts none of which applies: 404 naming them all',
    ask: (g) => koji(g, ['a', 'b']),
    expect: {
      status: 404,
      message: 'Found no applicable policies for koji_build subjects at gating point(s) a b in fedora-40',
    },
  },
  {
    name: 'bodhi_update allows no applicable policy: nothing required',
    ask: (g) => ({
      product_version: 'fedora-40',
      decision_context: 'no_such_context',
      subject_type: 'bodhi_update',
      subject_identifier: g.update,
    }),
    expect: { satisfied: true, summary: 'No tests are required', applicable: [] },
  },
  {
    name: 'an unknown subject type is generic: its results are item + type, no policy is a 404',
    ask: () => ({
      product_version: 'fedora-40',
      decision_context: 'bodhi_update_push_testing',
      subject_type: 'my-artifact',
      subject_identifier: 'a1',
    }),
    expect: {
      status: 404,
      message:
        'Found no applicable policies for my-artifact subjects at gating point(s) bodhi_update_push_testing in fedora-40',
    },
  },
  {
    name: 'a policy for brew-build applies to koji_build subjects (an alias), asked as brew-build',
    given: (g) => void g.result('rhel.tier1', 'PASSED', { type: 'brew-build' }),
    ask: (g) => ({
      product_version: 'rhel-9.4',
      decision_context: 'errata_qe',
      subject_type: 'brew-build',
      subject_identifier: g.nvr,
    }),
    expect: {
      satisfied: true,
      applicable: ['brew_alias'],
      check: (body) => assert.equal(body.satisfied_requirements[0]!.subject_type, 'koji_build'),
    },
  },
  // ── on-demand rules ──────────────────────────────────────────────────────────────
  {
    name: 'on-demand rules are a policy of their own; no applicable_policies in the answer',
    given: (g) => void g.result('my.check', 'PASSED'),
    ask: (g) => ({
      product_version: 'fedora-40',
      subject_type: 'koji_build',
      subject_identifier: g.nvr,
      rules: [
        { type: 'PassingTestCaseRule', test_case_name: 'my.check' },
        { type: 'PassingTestCaseRule', test_case_name: 'my.other' },
      ],
    }),
    expect: {
      satisfied: false,
      summary: 'Of 2 required tests, 1 result missing',
      check: (body) => assert.equal('applicable_policies' in body, false),
    },
  },
  {
    name: 'on-demand rules with excluded_packages',
    pkg: 'python2-six',
    ask: (g) => ({
      product_version: 'fedora-40',
      subject_type: 'koji_build',
      subject_identifier: g.nvr,
      rules: [{ type: 'PassingTestCaseRule', test_case_name: 'my.check' }],
      excluded_packages: ['python2-*'],
    }),
    expect: { satisfied: true, satisfiedReqs: ['excluded on-demand-policy'] },
  },
  {
    name: 'on-demand RemoteRule reads the gating.yaml policies for the product version',
    given: (g) => {
      g.gatingYaml(
        `--- !Policy\nproduct_versions: [fedora-*]\ndecision_context: anything\nrules:\n  - !PassingTestCaseRule {test_case_name: pkg.own.test}\n`,
      );
      g.result('pkg.own.test', 'FAILED');
    },
    ask: (g) => ({
      product_version: 'fedora-40',
      subject_type: 'koji_build',
      subject_identifier: g.nvr,
      rules: [{ type: 'RemoteRule', required: true }],
    }),
    expect: { satisfied: false, unsatisfied: ['test-result-failed pkg.own.test'] },
  },
  {
    name: 'a bad on-demand rule is a 400 saying what is wrong',
    ask: (g) => ({
      product_version: 'fedora-40',
      subject_type: 'koji_build',
      subject_identifier: g.nvr,
      rules: [{ type: 'PassingTestCaseRule' }],
    }),
    expect: {
      status: 400,
      // Greenwave's wording for JSON rules (safe_yaml from_value): no labels.
      message: "Failed to parse on demand policy: Attribute 'rules': Attribute 'test_case_name' is required",
    },
  },
  // ── several subjects, verbose ────────────────────────────────────────────────────
  {
    name: "several subjects in one request: each one's requirements, the policies listed per subject",
    given: (g) => {
      g.result('dist.rpmdeplint', 'PASSED');
      g.result('dist.rpmdeplint', 'FAILED', { item: `${g.nvr}.2` });
    },
    ask: (g) => ({
      product_version: 'fedora-40',
      decision_context: 'bodhi_update_push_testing',
      subject: [
        { type: 'koji_build', item: g.nvr },
        { type: 'koji_build', item: `${g.nvr}.2` },
      ],
    }),
    expect: {
      satisfied: false,
      summary: 'Of 2 required tests, 1 test failed',
      applicable: ['kojibuild_testing', 'kojibuild_testing'],
      check: (body, g) => assert.equal(body.unsatisfied_requirements[0]!.subject_identifier, `${g.nvr}.2`),
    },
  },
  {
    name: 'verbose adds the latest results of the subject and the waivers that count',
    given: (g) => {
      g.result('dist.rpmdeplint', 'PASSED', { at: 1000 });
      g.result('dist.rpmdeplint', 'FAILED', { at: 2000 });
      g.result('unrelated.test', 'PASSED', { at: 3000 });
      g.waive({ testcase: 'dist.rpmdeplint' });
    },
    ask: (g) => koji(g, 'bodhi_update_push_testing', { verbose: true }),
    expect: {
      satisfied: true,
      check: (body) => {
        const ids = lastResultIds.slice(-3);
        assert.deepEqual(
          body.results!.map((r) => r.id).sort(),
          [ids[1], ids[2]].sort(),
          'the latest result of each testcase, not the replaced one',
        );
        assert.deepEqual(
          body.waivers!.map((w) => w.id),
          [lastWaiverIds.at(-1)],
        );
        for (const r of body.results as unknown as Array<{ testcase: { name: string }; outcome: string }>)
          assert.ok(r.testcase.name && r.outcome, 'results as the results API prints them');
      },
    },
  },
  // ── validation errors ────────────────────────────────────────────────────────────
  {
    name: 'missing product_version',
    ask: (g) => ({ decision_context: 'x', subject_type: 'koji_build', subject_identifier: g.nvr }),
    expect: { status: 400, message: 'Missing required product version' },
  },
  {
    name: 'neither decision_context nor rules',
    ask: (g) => ({ product_version: 'fedora-40', subject_type: 'koji_build', subject_identifier: g.nvr }),
    expect: { status: 400, message: 'Either decision_context or rules is required.' },
  },
  {
    name: 'both decision_context and rules',
    ask: (g) => koji(g, 'x', { rules: [{ type: 'PassingTestCaseRule', test_case_name: 'a' }] }),
    expect: { status: 400, message: 'Cannot have both decision_context and rules' },
  },
  {
    name: 'decision_context that is not a string or list of strings',
    ask: (g) => koji(g, [1] as unknown as string),
    expect: { status: 400, message: 'Invalid decision_context, must be a string or a list of strings' },
  },
  {
    name: 'subject that is not a list of dicts',
    ask: () => ({ product_version: 'fedora-40', decision_context: 'x', subject: ['bash-1-1.fc40'] }),
    expect: { status: 400, message: 'Invalid subject, must be a list of dicts' },
  },
  {
    name: 'an empty subject list',
    ask: () => ({ product_version: 'fedora-40', decision_context: 'x', subject: [] }),
    expect: { status: 400, message: 'Invalid subject, must be a list of dicts' },
  },
  {
    name: 'a subject entry nothing identifies',
    ask: () => ({ product_version: 'fedora-40', decision_context: 'x', subject: [{ type: 'koji_build' }] }),
    expect: { status: 400, message: 'Could not detect subject_identifier.' },
  },
  {
    name: 'missing subject_type',
    ask: (g) => ({ product_version: 'fedora-40', decision_context: 'x', subject_identifier: g.nvr }),
    expect: { status: 400, message: 'Missing required "subject_type" parameter' },
  },
  {
    name: 'missing subject_identifier',
    ask: () => ({ product_version: 'fedora-40', decision_context: 'x', subject_type: 'koji_build' }),
    expect: { status: 400, message: 'Missing required "subject_identifier" parameter' },
  },
  {
    name: 'verbose that is not a bool',
    ask: (g) => koji(g, 'bodhi_update_push_testing', { verbose: 'yes' }),
    expect: { status: 400, message: 'Invalid verbose flag, must be a bool' },
  },
  {
    name: '`when` that is not a time',
    ask: (g) => koji(g, 'bodhi_update_push_testing', { when: 'yesterday' }),
    expect: { status: 400, message: 'Invalid "when" parameter, must be in ISO8601 format' },
  },
  {
    name: 'ignore_result that is not a list of ids',
    ask: (g) => koji(g, 'bodhi_update_push_testing', { ignore_result: 'all' }),
    expect: { status: 400, message: 'Invalid ignore_result, must be a list of result ids' },
  },
  {
    name: 'ignore_waiver that is not a list of ids',
    ask: (g) => koji(g, 'bodhi_update_push_testing', { ignore_waiver: ['1'] }),
    expect: { status: 400, message: 'Invalid ignore_waiver, must be a list of waiver ids' },
  },
  {
    name: 'a body that is not JSON',
    ask: () => 'product_version=fedora-40',
    expect: { status: 415, message: 'No JSON payload in request' },
  },
  {
    name: 'a JSON body that is not an object',
    ask: () => [1, 2],
    expect: { status: 400, message: 'Invalid JSON payload, must be an object' },
  },
];

const lastResultIds: number[] = [];
const lastWaiverIds: number[] = [];

describe('the decision catalogue (POST /api/v1.0/decision)', () => {
  const files = new GatingFileServer();
  const waivers = new MemoryWaivers();
  let service: SluiceService;
  let clock = 0;

  before(async () => {
    const gitBase = await files.start();
    const dir = policiesDir(POLICIES);
    const config = testConfig({
      gating: {
        policiesDir: dir,
        remoteRule: {
          urlTemplates: { '*': [`${gitBase}/{pkg_namespace}{pkg_name}/raw/{rev}/f/gating.yaml`] },
          fetchTimeoutMs: 400,
          cacheTtlMs: 0,
        },
      },
    });
    service = await SluiceService.create({ config, log: silentLogger(), registry: testRegistry(), waivers });
  });
  after(async () => {
    await service?.stop();
    await files.stop();
  });

  test('the catalogue has at least 40 cases', () => assert.ok(CASES.length >= 40, `${CASES.length} cases`));

  for (const c of CASES) {
    test(c.name, async () => {
      const id = randomBytes(4).toString('hex');
      const pkg = c.pkg ?? `pkg-${id}`;
      const rev = randomBytes(8).toString('hex');
      const g: Given = {
        nvr: `${pkg}-1.${id}-1.fc40`,
        compose: `Fedora-Rawhide-2030${id}.n.0`,
        update: `FEDORA-2030-${id}`,
        result(testcase, outcome, opts = {}) {
          clock += 10;
          const data: Record<string, string> = { [opts.itemKey ?? 'item']: opts.item ?? g.nvr, ...opts.data };
          if (opts.type !== null) data.type = opts.type ?? 'koji_build';
          const at = BASE + (opts.at ?? 10_000_000 + clock);
          const stored = service.ctx.resultIntake.submit({ testcase, outcome, data, submit_time: iso(at) });
          lastResultIds.push(stored.id);
          return stored.id;
        },
        waive(w, atMs) {
          const stored = waivers.add({
            subject_type: 'koji_build',
            subject_identifier: g.nvr,
            product_version: 'fedora-40',
            ...w,
            ...(atMs !== undefined ? { timestamp: `${iso(BASE + atMs)}000` } : {}),
          });
          lastWaiverIds.push(stored.id);
          return stored;
        },
        gatingYaml(file) {
          service.ctx.resultIntake.submit({
            testcase: 'fedora-ci.koji-build.build',
            outcome: 'PASSED',
            data: {
              item: g.nvr,
              type: 'koji_build',
              source: `git+https://src.example.org/rpms/${pkg}.git#${rev}`,
            },
          });
          if (file !== null)
            files.files.set(
              `/rpms/${pkg}/raw/${rev}/f/gating.yaml`,
              typeof file === 'string' ? { status: 200, body: file } : file,
            );
        },
      };
      c.given?.(g);
      const payload = c.ask(g);
      const res = await service.http!.app.inject({
        method: 'POST',
        url: '/api/v1.0/decision',
        ...(typeof payload === 'string'
          ? { payload, headers: { 'content-type': 'text/plain' } }
          : { payload: payload as object }),
      });
      const body = res.json() as Decision;
      const e = c.expect;
      assert.equal(res.statusCode, e.status ?? 200, `status (body: ${res.body})`);
      if (e.message !== undefined) assert.equal(body.message, e.message);
      if (e.satisfied !== undefined)
        assert.equal(body.policies_satisfied, e.satisfied, `policies_satisfied (summary: ${body.summary})`);
      if (e.summary !== undefined) assert.equal(body.summary, e.summary);
      if (e.unsatisfied !== undefined)
        assert.deepEqual(body.unsatisfied_requirements.map(describeRequirement), e.unsatisfied);
      if (e.satisfiedReqs !== undefined)
        assert.deepEqual(body.satisfied_requirements.map(describeRequirement), e.satisfiedReqs);
      if (e.applicable !== undefined) assert.deepEqual(body.applicable_policies, e.applicable);
      if ((e.status ?? 200) === 200)
        assert.equal(
          body.policies_satisfied,
          body.unsatisfied_requirements.length === 0,
          'satisfied exactly when nothing is unsatisfied',
        );
      e.check?.(body, g);
    });
  }
});
