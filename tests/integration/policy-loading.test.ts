import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { PolicyError } from '../../errors/policy-error.js';
import { fnmatch } from '../../results/fnmatch.js';
import { parseGatingYaml } from '../../gating/gating-yaml.js';
import { loadPolicies } from '../../gating/load-policies.js';
import { policyJson } from '../../gating/policy.js';
import { SluiceService } from '../../service/sluice-service.js';
import { cliEnv, runCli } from '../support/cli.js';
import { ROOT, tempDir } from '../support/paths.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';

const FIXTURES = path.join(ROOT, 'tests/fixtures/policies');

function folder(files: Record<string, string>): string {
  const dir = tempDir('sluice-policies-');
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function problemsOf(files: Record<string, string>): PolicyError['problems'] {
  try {
    loadPolicies(folder(files));
  } catch (err) {
    assert.ok(err instanceof PolicyError, String(err));
    return err.problems;
  }
  assert.fail('the policies were accepted');
}

describe('loading Greenwave policy files', () => {
  test('Fedora-style and Greenwave-example policy files load unchanged', () => {
    const policies = loadPolicies(FIXTURES);
    assert.deepEqual(
      policies.map((p) => p.id),
      [
        'kojibuild_bodhipush_no_requirements',
        'bodhiupdate_bodhipush_no_requirements',
        'kojibuild_bodhipush_remoterule',
        'bodhiupdate_bodhipush_openqa',
        'compose_sync_requiredtests',
        'taskotron_release_critical_tasks_with_blacklist',
        'taskotron_release_critical_tasks_for_testing',
        'taskotron_release_critical_tasks',
        'openqa_important_stuff_for_rawhide',
        'taskotron_release_critical_tasks_with_remoterule',
        'empty-policy',
      ],
    );
    const byId = new Map(policies.map((p) => [p.id, p]));
    const nullPolicy = byId.get('kojibuild_bodhipush_no_requirements')!;
    assert.deepEqual(nullPolicy.decisionContexts, [
      'bodhi_update_push_testing',
      'bodhi_update_push_testing_critpath',
      'bodhi_update_push_stable',
      'bodhi_update_push_stable_critpath',
    ]);
    assert.deepEqual(nullPolicy.rules, []);
    assert.deepEqual(byId.get('kojibuild_bodhipush_remoterule')!.rules, [
      { kind: 'RemoteRule', required: false, sources: null },
    ]);
    const openqa = byId.get('bodhiupdate_bodhipush_openqa')!;
    assert.equal(openqa.rules.length, 5);
    assert.deepEqual(openqa.rules[1], {
      kind: 'PassingTestCaseRule',
      testCaseName: 'update.install_default_update_netinst',
      scenario: 'fedora.updates-everything-boot-iso.x86_64.uefi',
      validSince: null,
      validUntil: null,
    });
    assert.deepEqual(byId.get('taskotron_release_critical_tasks')!.excludedPackages, ['python2-*']);
    // `blacklist` is read and ignored, as Greenwave ignores attributes it does not know.
    assert.deepEqual(byId.get('taskotron_release_critical_tasks_with_blacklist')!.excludedPackages, []);
    assert.deepEqual(policyJson(byId.get('compose_sync_requiredtests')!), {
      id: 'compose_sync_requiredtests',
      product_versions: ['fedora-rawhide'],
      decision_context: 'rawhide_compose_sync_to_mirrors',
      decision_contexts: [],
      subject_type: 'compose',
      subject_types: ['compose'],
      rules: [
        {
          rule: 'PassingTestCaseRule',
          test_case_name: 'compose.install_default',
          scenario: 'fedora.Everything-boot-iso.x86_64.64bit',
        },
        {
          rule: 'PassingTestCaseRule',
          test_case_name: 'compose.install_default',
          scenario: 'fedora.Everything-boot-iso.x86_64.uefi',
        },
        {
          rule: 'PassingTestCaseRule',
          test_case_name: 'compose.base_update_cli',
          scenario: 'fedora.Server-dvd-iso.x86_64.64bit',
        },
      ],
      excluded_packages: [],
      packages: [],
      relevance_key: null,
      relevance_value: null,
    });
  });

  test('the !Policy tag is optional, as in Greenwave since 2021: untagged documents load beside tagged ones', () => {
    const body =
      'product_versions: [fedora-*]\ndecision_context: ctx\nsubject_type: koji_build\nrules:\n  - !PassingTestCaseRule {test_case_name: dist.abicheck}\n';
    const policies = loadPolicies(
      folder({
        'a.yaml': `id: bare\n${body}`,
        'b.yaml': `---\nid: dashes\n${body}--- !Policy\nid: tagged\n${body}`,
      }),
    );
    assert.deepEqual(
      policies.map((p) => [p.id, p.decisionContexts, p.rules]),
      ['bare', 'dashes', 'tagged'].map((id) => [
        id,
        ['ctx'],
        [
          {
            kind: 'PassingTestCaseRule',
            testCaseName: 'dist.abicheck',
            scenario: null,
            validSince: null,
            validUntil: null,
          },
        ],
      ]),
    );
  });

  test('a gating.yaml reads the same with or without the !Policy tag', () => {
    const body =
      'decision_context: bodhi_update_push_stable\nrules:\n  - !PassingTestCaseRule {test_case_name: pkg.test}\n';
    const tagged = parseGatingYaml(`--- !Policy\n${body}`, 'https://src/gating.yaml');
    for (const text of [body, `---\n${body}`, `--- !Policy\n${body}---\n${body}`]) {
      const parsed = parseGatingYaml(text, 'https://src/gating.yaml');
      assert.ok('policies' in parsed && 'policies' in tagged, JSON.stringify(parsed));
      for (const p of parsed.policies) assert.deepEqual(p, tagged.policies[0]);
    }
  });

  test('scalars are read as written: decision_context 1.0 is "1.0"; YAML 1.1 booleans work in RemoteRule', () => {
    const dir = folder({
      'a.yaml':
        '--- !Policy\nid: 7\nproduct_versions: [fedora-*]\ndecision_context: 1.0\nsubject_type: koji_build\nrules: [!RemoteRule {required: yes}]\n',
    });
    const [p] = loadPolicies(dir);
    assert.equal(p!.id, '7');
    assert.deepEqual(p!.decisionContexts, ['1.0']);
    assert.deepEqual(p!.rules, [{ kind: 'RemoteRule', required: true, sources: null }]);
  });

  test('subject_types (a Sluice addition) lists several types for one policy', () => {
    const [p] = loadPolicies(
      folder({
        'a.yaml':
          '--- !Policy\nid: x\nproduct_versions: ["*"]\ndecision_context: c\nsubject_types: [koji_build, bodhi_update]\nrules: []\n',
      }),
    );
    assert.deepEqual(p!.subjectTypes, ['koji_build', 'bodhi_update']);
    assert.equal(p!.subjectType, null);
  });

  const HEAD = 'product_versions: [fedora-*]\ndecision_context: ctx\nsubject_type: koji_build\n';
  const BAD: Array<[string, string, string | null, string]> = [
    [
      'a !Policy that is not a mapping',
      '--- !Policy [1, 2]\n',
      null,
      'Expected mapping for !Policy tagged object',
    ],
    [
      'an untagged document that is not a mapping',
      '--- just text\n',
      null,
      'Expected mapping for !Policy tagged object',
    ],
    [
      'an empty document',
      `--- !Policy\nid: p0\n${HEAD}rules: []\n---\n`,
      null,
      'Expected mapping for !Policy tagged object',
    ],
    [
      'an untagged document missing a field',
      `id: p1\ndecision_context: ctx\nsubject_type: koji_build\nrules: []\n`,
      'p1',
      "Policy 'p1': Attribute 'product_versions' is required",
    ],
    ['no id', `--- !Policy\n${HEAD}rules: []\n`, null, "Policy 'untitled': Attribute 'id' is required"],
    [
      'no product_versions',
      '--- !Policy\nid: p1\ndecision_context: ctx\nsubject_type: koji_build\nrules: []\n',
      'p1',
      "Policy 'p1': Attribute 'product_versions' is required",
    ],
    [
      'product_versions not a list',
      '--- !Policy\nid: p1\nproduct_versions: fedora-40\ndecision_context: ctx\nsubject_type: koji_build\nrules: []\n',
      'p1',
      "Policy 'p1': Attribute 'product_versions': expected a sequence node, but found scalar",
    ],
    [
      'product_versions of numbers',
      '--- !Policy\nid: p1\nproduct_versions: [26]\ndecision_context: ctx\nsubject_type: koji_build\nrules: []\n',
      'p1',
      "Policy 'p1': Attribute 'product_versions': Expected list of str objects",
    ],
    [
      'no subject_type',
      '--- !Policy\nid: p1\nproduct_versions: [f]\ndecision_context: ctx\nrules: []\n',
      'p1',
      "Policy 'p1': Attribute 'subject_type' is required",
    ],
    ['no rules', `--- !Policy\nid: p1\n${HEAD}`, 'p1', "Policy 'p1': Attribute 'rules' is required"],
    [
      'no decision context',
      '--- !Policy\nid: p1\nproduct_versions: [f]\nsubject_type: koji_build\nrules: []\n',
      'p1',
      "Policy 'p1': No decision contexts provided",
    ],
    [
      'both decision_context and decision_contexts',
      `--- !Policy\nid: p1\n${HEAD}decision_contexts: [a]\nrules: []\n`,
      'p1',
      'Policy \'p1\': Both properties "decision_contexts" and "decision_context" were set',
    ],
    [
      'a rule without a tag',
      `--- !Policy\nid: p1\n${HEAD}rules:\n  - {test_case_name: dist.abicheck}\n`,
      'p1',
      "Policy 'p1': Attribute 'rules': Expected list of Rule objects",
    ],
    [
      'a rule with an unknown tag',
      `--- !Policy\nid: p1\n${HEAD}rules:\n  - !PassingTest {test_case_name: a}\n`,
      'p1',
      "Policy 'p1': Attribute 'rules': could not determine a constructor for the tag '!PassingTest'",
    ],
    [
      'an obsolete rule',
      `--- !Policy\nid: p1\n${HEAD}rules:\n  - !PackageSpecificBuild {test_case_name: a}\n`,
      'p1',
      "Policy 'p1': Attribute 'rules': !PackageSpecificBuild is obsolete. Please use the \"packages\" allowlist instead.",
    ],
    [
      'a PassingTestCaseRule without test_case_name',
      `--- !Policy\nid: p1\n${HEAD}rules:\n  - !PassingTestCaseRule {scenario: s}\n`,
      'p1',
      "Policy 'p1': Attribute 'rules': YAML object !PassingTestCaseRule: Attribute 'test_case_name' is required",
    ],
    [
      'a valid_since that is not a time',
      `--- !Policy\nid: p1\n${HEAD}rules:\n  - !PassingTestCaseRule {test_case_name: a, valid_since: soon}\n`,
      'p1',
      "Policy 'p1': Attribute 'rules': YAML object !PassingTestCaseRule: Attribute 'valid_since': Could not parse string as date/time",
    ],
    [
      'a RemoteRule whose required is not a boolean',
      `--- !Policy\nid: p1\n${HEAD}rules:\n  - !RemoteRule {required: maybe}\n`,
      'p1',
      "Policy 'p1': Attribute 'rules': YAML object !RemoteRule: Attribute 'required': Expected a boolean value",
    ],
    [
      'an id that is a mapping',
      `--- !Policy\nid: {a: 1}\n${HEAD}rules: []\n`,
      null,
      "Policy 'untitled': Attribute 'id': expected a scalar node, but found mapping",
    ],
  ];
  for (const [what, text, id, reason] of BAD) {
    test(`refused, with file, id and reason: ${what}`, () => {
      const problems = problemsOf({ 'bad.yaml': text });
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.match(problems[0]!.file, /bad\.yaml$/);
      assert.equal(problems[0]!.id, id);
      assert.equal(problems[0]!.reason.replace(/ \(document at line \d+\)$/, ''), reason);
    });
  }

  test('a YAML syntax error names the line', () => {
    const [p] = problemsOf({ 'broken.yaml': '--- !Policy\nid: p1\nrules: [\n' });
    assert.match(p!.reason, /^YAML Parser Error: line \d+: /);
  });

  test('every bad document of every file is listed at once, and an id used twice is refused', () => {
    const good =
      '--- !Policy\nid: same\nproduct_versions: [f]\ndecision_context: c\nsubject_type: koji_build\nrules: []\n';
    const problems = problemsOf({
      'a.yaml': good,
      'b.yaml': `${good}--- !Policy\nid: other\n`,
      'c.yaml': 'id: untagged\n',
      'notes.txt': 'not a policy',
    });
    assert.deepEqual(
      problems.map((p) => [path.basename(p.file), p.id, p.reason.replace(/ \(document at line \d+\)$/, '')]),
      [
        ['b.yaml', 'other', "Policy 'other': Attribute 'product_versions' is required"],
        ['c.yaml', 'untagged', "Policy 'untagged': Attribute 'product_versions' is required"],
        [
          'b.yaml',
          'same',
          `Policy 'same': the id is already used by a policy in ${path.join(path.dirname(problems[0]!.file), 'a.yaml')}`,
        ],
      ],
    );
    assert.match(problems[0]!.reason, /\(document at line 7\)$/);
  });

  test('the service refuses to start with a bad policy, naming the file, the policy and why', async () => {
    const dir = folder({
      'fedora.yaml': '--- !Policy\nid: p1\nproduct_versions: [f]\nsubject_type: koji_build\nrules: []\n',
    });
    await assert.rejects(
      () =>
        SluiceService.create({
          config: testConfig({ gating: { policiesDir: dir } }),
          log: silentLogger(),
          registry: testRegistry(),
        }),
      (err: unknown) =>
        err instanceof PolicyError &&
        err.code === 'POLICY_INVALID' &&
        err.message.includes(`${path.join(dir, 'fedora.yaml')}: Policy 'p1': No decision contexts provided`),
    );
  });

  test('sluice config check reports bad policies and exits 1; good ones are counted', async () => {
    const cwd = tempDir('sluice-check-');
    mkdirSync(path.join(cwd, 'policies'));
    writeFileSync(
      path.join(cwd, 'policies', 'p.yaml'),
      '--- !Policy\nid: p1\nproduct_versions: [f]\ndecision_context: c\nsubject_type: koji_build\nrules: [{test_case_name: x}]\n',
    );
    writeFileSync(path.join(cwd, 'sluice.yaml'), 'gating:\n  policiesDir: policies\n');
    const bad = await runCli(['config', 'check', 'sluice.yaml'], { cwd, env: cliEnv() });
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /sluice\.yaml: 1 problem\n/);
    assert.match(
      bad.stderr,
      /policies\/p\.yaml: Policy 'p1': Attribute 'rules': Expected list of Rule objects/,
    );

    writeFileSync(
      path.join(cwd, 'policies', 'p.yaml'),
      '--- !Policy\nid: p1\nproduct_versions: [f]\ndecision_context: c\nsubject_type: koji_build\nrules: []\n',
    );
    const good = await runCli(['config', 'check', 'sluice.yaml'], { cwd, env: cliEnv() });
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /sluice\.yaml: ok \(1 gating policy\)/);
  });

  test('sluice config check warns when Fedora policies are loaded on RabbitMQ with no topic prefix (Bodhi would match none of the topics)', async () => {
    const cwd = tempDir('sluice-check-');
    mkdirSync(path.join(cwd, 'policies'));
    // Fedora's own policy file shape (greenwave's conf/policies/fedora.yaml).
    writeFileSync(
      path.join(cwd, 'policies', 'fedora.yaml'),
      '--- !Policy\nid: taskotron_release_critical_tasks_for_stable\nproduct_versions: [fedora-*]\ndecision_context: bodhi_update_push_stable\nsubject_type: koji_build\nrules:\n  - !PassingTestCaseRule {test_case_name: dist.rpmdeplint}\n',
    );
    const check = async (bus: string) => {
      writeFileSync(path.join(cwd, 'sluice.yaml'), `bus:\n${bus}gating:\n  policiesDir: policies\n`);
      return runCli(['config', 'check', 'sluice.yaml'], { cwd, env: cliEnv() });
    };

    const bare = await check('  url: amqp://guest:guest@127.0.0.1:5672/\n');
    assert.equal(bare.code, 0, 'a warning, not a problem');
    assert.match(bare.stdout, /sluice\.yaml: ok \(1 gating policy\)/);
    assert.match(
      bare.stderr,
      /sluice\.yaml: warning: bus\.topicPrefix is empty, but Fedora gating policies are loaded \('taskotron_release_critical_tasks_for_stable'\)/,
    );
    assert.match(bare.stderr, /"\.resultsdb\.result\.new"/);
    assert.match(bare.stderr, /org\.fedoraproject\.prod\./);

    const prefixed = await check(
      '  url: amqp://guest:guest@127.0.0.1:5672/\n  topicPrefix: org.fedoraproject.prod.\n',
    );
    assert.equal(prefixed.code, 0);
    assert.equal(prefixed.stderr, '');

    // The embedded bus: nothing outside the process reads its topics, so the prefix is moot.
    const embedded = await check('  exchange: amq.topic\n');
    assert.equal(embedded.code, 0);
    assert.equal(embedded.stderr, '');

    // Not Fedora's policies: no warning either.
    writeFileSync(
      path.join(cwd, 'policies', 'fedora.yaml'),
      '--- !Policy\nid: p1\nproduct_versions: [rhel-10]\ndecision_context: osci_compose_gate\nsubject_type: brew-build\nrules: []\n',
    );
    const other = await check('  url: amqp://guest:guest@127.0.0.1:5672/\n');
    assert.equal(other.code, 0);
    assert.equal(other.stderr, '');
  });

  test('a URL template with an unknown placeholder is a configuration error', () => {
    assert.throws(
      () =>
        testConfig({ gating: { remoteRule: { urlTemplates: { '*': ['https://git/{pkg}/gating.yaml'] } } } }),
      /gating\.remoteRule\.urlTemplates\.\*\[0\]: unknown placeholder \{pkg\}/,
    );
  });
});

describe('fnmatch, as Python matches product versions and packages', () => {
  const CASES: Array<[string, string, boolean]> = [
    ['fedora-40', 'fedora-*', true],
    ['fedora-rawhide', 'fedora-*', true],
    ['epel-9', 'fedora-*', false],
    ['fedora-40', 'fedora-4?', true],
    ['fedora-4', 'fedora-4?', false],
    ['rhel-9.4', 'rhel-[89].*', true],
    ['rhel-7.9', 'rhel-[!7].*', false],
    ['python3-foo', 'python3*', true],
    ['Python3-foo', 'python3*', false],
    ['a[b', 'a[b', true],
    ['a.b', 'a.b', true],
    ['axb', 'a.b', false],
    ['kernel', 'kernel*', true],
  ];
  for (const [name, pattern, expected] of CASES) {
    test(`${name} ${expected ? 'matches' : 'does not match'} ${pattern}`, () =>
      assert.equal(fnmatch(name, pattern), expected));
  }
});
