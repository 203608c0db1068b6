import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SluiceService } from '../../service/sluice-service.js';
import { cliEnv, runCli } from '../support/cli.js';
import { GatingFileServer } from '../support/gating-file-server.js';
import { ROOT, tempDir } from '../support/paths.js';
import { policiesDir } from '../support/policies-dir.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';

const POLICY = `--- !Policy
id: kojibuild_stable
product_versions: [fedora-*]
decision_contexts: [bodhi_update_push_stable, bodhi_update_push_testing]
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: dist.rpmdeplint}
  - !RemoteRule {required: false}
`;

describe('the rest of the Greenwave v1.0 API, and sluice decide', () => {
  let service: SluiceService;
  let base: string;
  // dist-git on loopback, with no gating.yaml for any package: the RemoteRule adds nothing.
  const git = new GatingFileServer();
  before(async () => {
    const dir = policiesDir(POLICY);
    const urlTemplates = { '*': [`${await git.start()}/{pkg_namespace}{pkg_name}/raw/{rev}/f/gating.yaml`] };
    service = await SluiceService.create({
      config: testConfig({
        gating: {
          policiesDir: dir,
          remoteRule: { urlTemplates },
          subjectTypes: [{ id: 'rpm', isNvr: true, resultQueries: [{ itemKey: 'nevra', types: null }] }],
        },
      }),
      log: silentLogger(),
      registry: testRegistry(),
    });
    base = (await service.start())!;
  });
  after(async () => {
    await service?.stop();
    await git.stop();
  });

  const get = async (p: string) => {
    const res = await fetch(base + p);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const validate = async (text: string, type = 'application/x-www-form-urlencoded') => {
    const res = await fetch(`${base}/api/v1.0/validate-gating-yaml`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: text,
    });
    return { status: res.status, body: (await res.json()) as { message: string } };
  };

  test('each decision is timed in /metrics by its decision context and answer', async () => {
    const ask = {
      decision_context: 'bodhi_update_push_stable',
      product_version: 'fedora-41',
      subject_type: 'koji_build',
      subject_identifier: 'metrics-1.0-1.fc41',
    };
    const count = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return Number(
        /^sluice_decision_duration_seconds_count\{decision_context="bodhi_update_push_stable",satisfied="false"\} (\d+)$/m.exec(
          text,
        )?.[1] ?? 0,
      );
    };
    const before = await count();
    const res = await fetch(`${base}/api/v1.0/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ask),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { policies_satisfied: boolean }).policies_satisfied, false);
    assert.equal(await count(), before + 1);
  });

  test('GET /about says the version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    assert.deepEqual(await get('/api/v1.0/about'), { status: 200, body: { version, auth_method: 'token' } });
  });

  test("GET /policies lists the loaded policies in Greenwave's shape", async () => {
    const { status, body } = await get('/api/v1.0/policies');
    assert.equal(status, 200);
    assert.deepEqual(body.policies, [
      {
        id: 'kojibuild_stable',
        product_versions: ['fedora-*'],
        decision_context: null,
        decision_contexts: ['bodhi_update_push_stable', 'bodhi_update_push_testing'],
        subject_type: 'koji_build',
        subject_types: ['koji_build'],
        rules: [
          { rule: 'PassingTestCaseRule', test_case_name: 'dist.rpmdeplint', scenario: null },
          { rule: 'RemoteRule', required: false, sources: null },
        ],
        excluded_packages: [],
        packages: [],
        relevance_key: null,
        relevance_value: null,
      },
    ]);
  });

  test('GET /subject_types lists the built-in types and configured ones, sorted by id', async () => {
    const { status, body } = await get('/api/v1.0/subject_types');
    assert.equal(status, 200);
    const types = body.subject_types as Array<Record<string, unknown>>;
    assert.deepEqual(
      types.map((t) => t.id),
      ['bodhi_update', 'compose', 'koji_build', 'redhat-container-image', 'redhat-module', 'rpm'],
    );
    assert.deepEqual(
      types.find((t) => t.id === 'koji_build'),
      {
        id: 'koji_build',
        aliases: ['brew-build'],
        item_key: 'original_spec_nvr',
        is_koji_build: true,
        is_nvr: true,
        supports_remote_rule: true,
        ignore_missing_policy: false,
        product_version_match: [],
        product_version_from_koji_build_target: [
          { match: '^(rhel-\\d+\\.\\d+).*', product_version: '\\1' },
          { match: '^(rhel-\\d+).*', product_version: '\\1' },
        ],
        product_version: null,
        item_dict: {},
        result_queries: [
          { item_key: 'item', keys: { type: 'koji_build,brew-build' } },
          { item_key: 'original_spec_nvr', keys: {} },
        ],
      },
    );
    assert.equal(types.find((t) => t.id === 'bodhi_update')!.ignore_missing_policy, true);
    assert.deepEqual(types.find((t) => t.id === 'compose')!.item_dict, { item_key: 'productmd.compose.id' });
    assert.deepEqual(types.find((t) => t.id === 'rpm')!.result_queries, [{ item_key: 'nevra', keys: {} }]);
  });

  test('POST /validate-gating-yaml: a good file is "All OK", whatever the content type', async () => {
    const file =
      '--- !Policy\nproduct_versions: [fedora-*]\ndecision_context: bodhi_update_push_stable\nrules:\n  - !PassingTestCaseRule {test_case_name: pkg.test}\n';
    for (const type of [
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/x-yaml',
      'application/json',
    ]) {
      assert.deepEqual(await validate(file, type), { status: 200, body: { message: 'All OK' } }, type);
    }
  });

  test('POST /validate-gating-yaml: decision contexts no server policy has are pointed out', async () => {
    assert.deepEqual(
      await validate(
        '--- !Policy\ndecision_contexts: [bodhi_update_push_stable, my_own, also_mine]\nrules: []\n',
      ),
      {
        status: 200,
        body: {
          message:
            'Greenwave could not find a parent policy(ies) for following decision context(s): also_mine, my_own. Please change your policy so that it will match a decision context in the parent policies.',
        },
      },
    );
  });

  test('POST /validate-gating-yaml: an invalid file is a 400 with the reason', async () => {
    // Untagged documents are policies too (Greenwave >= Nov 2021), so this one is refused for what it lacks.
    assert.deepEqual(await validate('id: x\n'), {
      status: 400,
      body: { message: "Policy 'x': Attribute 'rules' is required" },
    });
    assert.deepEqual(await validate('- a list\n'), {
      status: 400,
      body: { message: 'Expected mapping for !Policy tagged object' },
    });
    assert.deepEqual(await validate('--- !Policy\ndecision_context: a\nrules:\n  - !RemoteRule {}\n'), {
      status: 400,
      body: { message: "Policy 'untitled': RemoteRule is not allowed in remote policies" },
    });
    assert.deepEqual(await validate(''), { status: 400, body: { message: 'No policies defined' } });
    // Found by the HTTP fuzzer: an alias to an anchor that was never defined was a 500.
    assert.deepEqual(await validate('--- !Policy\nid: *nowhere\n'), {
      status: 400,
      body: { message: 'YAML Parser Error: line 1: found undefined alias "nowhere"' },
    });
  });

  test('sluice decide prints the summary and exits 0 when satisfied, 1 when not, 2 when it cannot be decided', async () => {
    const nvr = 'bash-5.2.26-3.fc41';
    const args = (...more: string[]) => [
      'decide',
      '--product-version',
      'fedora-41',
      '--context',
      'bodhi_update_push_stable',
      'koji_build',
      nvr,
      '--server',
      base,
      ...more,
    ];
    const env = cliEnv({ SLUICE_DB: path.join(tempDir(), 'unused.db') });
    // Where the build came from (Fedora CI's build result carries it), so its RemoteRule can look: no gating.yaml there.
    service.ctx.resultIntake.submit({
      testcase: 'fedora-ci.koji-build.build',
      outcome: 'PASSED',
      data: {
        item: nvr,
        type: 'koji_build',
        source: 'git+https://src.fedoraproject.org/rpms/bash.git#4f2a9c1',
      },
    });

    let run = await runCli(args(), { env });
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, 'FAIL: Of 1 required test, 1 result missing\n');

    const stored = service.ctx.resultIntake.submit({
      testcase: 'dist.rpmdeplint',
      outcome: 'PASSED',
      data: { item: nvr, type: 'koji_build', arch: 'x86_64' },
    });
    run = await runCli(args('--verbose'), { env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      `PASS: All required tests (1 total) have passed or been waived\n  satisfied    test-result-passed  dist.rpmdeplint result ${stored.id}\n  policies: kojibuild_stable\n`,
    );

    run = await runCli(args('--json'), { env });
    assert.equal(run.code, 0);
    assert.equal((JSON.parse(run.stdout) as { policies_satisfied: boolean }).policies_satisfied, true);

    run = await runCli(
      [
        'decide',
        '--product-version',
        'fedora-41',
        '--context',
        'nowhere',
        'koji_build',
        nvr,
        '--server',
        base,
      ],
      { env },
    );
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr,
      'sluice decide: the server cannot decide (404): Found no applicable policies for koji_build subjects at gating point(s) nowhere in fedora-41\n',
    );

    run = await runCli(['decide', 'koji_build', nvr, '--server', base], { env });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--product-version is required/);
  });
});
