/**
 * The parts of Greenwave's HTTP surface its clients and its own functional suite
 * (release-engineering/greenwave functional-tests/test_api_v1.py) lean on: refusal texts,
 * legacy endpoints, JSONP, doubled slashes, the landing answer and subject types.
 * Expected texts are Greenwave's (greenwave/api_v1.py, decision.py, safe_yaml.py, app_factory.py).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { subjectProductVersions } from '../../gating/product-versions.js';
import { SubjectTypes } from '../../gating/subject-types.js';
import { SluiceService } from '../../service/sluice-service.js';
import { policiesDir, RPMDEPLINT_STABLE } from '../support/policies-dir.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';

describe('Greenwave parity over HTTP', () => {
  let service: SluiceService;
  let base: string;
  before(async () => {
    service = await SluiceService.create({
      config: testConfig({ gating: { policiesDir: policiesDir(RPMDEPLINT_STABLE) } }),
      log: silentLogger(),
      registry: testRegistry(),
    });
    base = (await service.start())!;
  });
  after(() => service?.stop());

  const post = async (path: string, body: string, type = 'application/json') => {
    const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': type }, body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const decide = (data: unknown) => post('/api/v1.0/decision', JSON.stringify(data));
  const ASK = {
    decision_context: 'bodhi_update_push_stable',
    product_version: 'fedora-41',
    subject_type: 'koji_build',
    subject_identifier: 'bash-5.2.26-3.fc41',
  };

  test('a doubled slash in the path is routed as werkzeug and Apache route it', async () => {
    const policies = await fetch(`${base}//api/v1.0/policies`);
    assert.equal(policies.status, 200);
    assert.deepEqual(
      ((await policies.json()) as { policies: Array<{ id: string }> }).policies.map((p) => p.id),
      ['stable'],
    );
    // Greenwave's consumers build `<url>/` + `/api/v1.0` and post there.
    const answer = await post('//api/v1.0//decision', JSON.stringify(ASK));
    assert.equal(answer.status, 200);
    assert.equal(answer.body.policies_satisfied, false);
    assert.equal(answer.body.summary, 'Of 1 required test, 1 result missing');
  });

  test('an empty JSON body is 415 "No JSON payload in request" (make_decision: `if not data`)', async () => {
    for (const body of ['{}', '[]', '""', 'false', '0']) {
      assert.deepEqual(
        await post('/api/v1.0/decision', body),
        { status: 415, body: { message: 'No JSON payload in request' } },
        body,
      );
    }
    // So is a body of another type (curl -d sends a form type).
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream']) {
      assert.deepEqual(
        await post('/api/v1.0/decision', '{"product_version": "fedora-41"}', type),
        { status: 415, body: { message: 'No JSON payload in request' } },
        type,
      );
    }
    // A filled object goes on to the next check, as in Greenwave.
    assert.deepEqual(await decide({ verbose: true }), {
      status: 400,
      body: { message: 'Missing required product version' },
    });
  });

  test('a body that is not JSON is 400 "Failed to decode JSON object: ..."', async () => {
    const bad = await post('/api/v1.0/decision', 'not a json');
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.message), /^Failed to decode JSON object: \S/);
    assert.deepEqual(await post('/api/v1.0/decision', ''), {
      status: 400,
      body: { message: 'Failed to decode JSON object: Expecting value: line 1 column 1 (char 0)' },
    });
    // A JSON body still protects against prototype poisoning.
    const poisoned = await post('/api/v1.0/decision', '{"__proto__": {"x": 1}, "product_version": "f"}');
    assert.equal(poisoned.status, 400);
    assert.equal(
      poisoned.body.message,
      'Failed to decode JSON object: a "__proto__" or "constructor" key is not accepted',
    );
  });

  test("on-demand rules are refused in Greenwave's JSON wording, with no YAML labels", async () => {
    const onDemand = (rules: unknown) =>
      decide({
        product_version: 'fedora-26',
        subject_type: 'bodhi_update',
        subject_identifier: 'FEDORA-2018-ec7cb4d5eb',
        rules,
      });
    const cases: Array<[unknown, string]> = [
      // The first two are functional-tests/test_api_v1.py's, word for word.
      [
        [
          { typo: 'PassingTestCaseRule', test_case_name: 'dist.abicheck' },
          { type: 'PassingTestCaseRule', test_case_name: 'dist.rpmdeplint' },
        ],
        "Attribute 'rules': Key 'type' is required for each list item",
      ],
      [
        [{ type: 'PassingTestCaseRule', test_case_name: 'dist.abicheck' }, { type: 'PassingTestCaseRule' }],
        "Attribute 'rules': Attribute 'test_case_name' is required",
      ],
      [
        [{ type: 'PassingTestCaseRule', test_case_name: null }],
        "Attribute 'rules': Attribute 'test_case_name' is required",
      ],
      [
        [{ type: 'NoSuchRule', test_case_name: 'a' }],
        "Attribute 'rules': Key 'type' for an list item is not valid: NoSuchRule",
      ],
      [
        [{ type: 'PackageSpecificBuild', test_case_name: 'a' }],
        'Attribute \'rules\': !PackageSpecificBuild is obsolete. Please use the "packages" allowlist instead.',
      ],
      [
        [{ type: 'PassingTestCaseRule', test_case_name: 'a', valid_since: 'soon' }],
        "Attribute 'rules': Attribute 'valid_since': Could not parse string as date/time, got: soon",
      ],
      [
        [{ type: 'RemoteRule', required: 'yes' }],
        "Attribute 'rules': Attribute 'required': Expected a boolean value, got: yes",
      ],
      [
        [{ type: 'RemoteRule', sources: [1] }],
        "Attribute 'rules': Attribute 'sources': Expected list of str objects",
      ],
      // Object items are checked first, then anything that is not an object.
      [
        ['dist.abicheck', { type: 'PassingTestCaseRule' }],
        "Attribute 'rules': Attribute 'test_case_name' is required",
      ],
      [['dist.abicheck'], "Attribute 'rules': Expected list of Rule objects"],
      ['dist.abicheck', "Attribute 'rules': Expected list of Rule objects"],
    ];
    for (const [rules, reason] of cases) {
      assert.deepEqual(
        await onDemand(rules),
        { status: 400, body: { message: `Failed to parse on demand policy: ${reason}` } },
        JSON.stringify(rules),
      );
    }
    const ok = await onDemand([{ type: 'PassingTestCaseRule', test_case_name: 'dist.abicheck' }]);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.summary, 'Of 1 required test, 1 result missing');
  });

  test('GET /api/v1.0/version redirects to /about, as Greenwave still does', async () => {
    const res = await fetch(`${base}/api/v1.0/version`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/api/v1.0/about');
    const followed = await fetch(`${base}/api/v1.0/version`);
    assert.ok(followed.url.endsWith('/api/v1.0/about'));
    assert.equal(typeof ((await followed.json()) as { version: unknown }).version, 'string');
  });

  test('JSONP: ?callback=NAME wraps the GET answers that Greenwave wraps', async () => {
    for (const path of ['/api/v1.0/about', '/api/v1.0/policies', '/api/v1.0/subject_types']) {
      const plain = await (await fetch(base + path)).text();
      const res = await fetch(`${base}${path}?callback=bac123`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'application/javascript; charset=utf-8', path);
      const body = await res.text();
      assert.equal(body, `bac123(${plain});`, path);
      // HEAD says what GET would send: the same type and length, no body.
      const head = await fetch(`${base}${path}?callback=bac123`, { method: 'HEAD' });
      assert.equal(head.status, 200, path);
      assert.equal(head.headers.get('content-type'), 'application/javascript; charset=utf-8', path);
      assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(body)), path);
    }
    const dotted = await fetch(`${base}/api/v1.0/about?callback=jQuery.cb_1$`);
    assert.match(await dotted.text(), /^jQuery\.cb_1\$\(\{"version":/);
    // Without a callback nothing changes.
    assert.equal(
      (await fetch(`${base}/api/v1.0/about`)).headers.get('content-type'),
      'application/json; charset=utf-8',
    );
  });

  test('JSONP: a callback that is not a plain name is a 400, never echoed into script', async () => {
    for (const name of ['alert(1)//', 'a;b', '1abc', 'a..b', '<script>', 'x'.repeat(129)]) {
      const res = await fetch(`${base}/api/v1.0/policies?callback=${encodeURIComponent(name)}`);
      assert.equal(res.status, 400, name);
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8', name);
      assert.match(((await res.json()) as { message: string }).message, /^Invalid callback/);
    }
    // Other routes take no callback at all.
    const results = await fetch(`${base}/api/v2.0/results?callback=cb`);
    assert.equal(results.headers.get('content-type'), 'application/json; charset=utf-8');
  });

  test("GET /healthcheck answers as Greenwave's does, beside /healthz", async () => {
    const res = await fetch(`${base}/healthcheck`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(await res.text(), 'Health check OK');
  });

  test("GET /api/v1.0/ is Greenwave's landing answer, naming this server for all three APIs", async () => {
    const res = await fetch(`${base}/api/v1.0/`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      documentation: `${base}/api/openapi.json`,
      api_v1: `${base}/api/v1.0`,
      resultsdb_api: `${base}/api/v2.0`,
      waiverdb_api: `${base}/api/v1.0`,
      koji_api: null,
      outcomes_passed: ['PASSED', 'INFO'],
      outcomes_error: ['ERROR'],
      outcomes_incomplete: ['QUEUED', 'RUNNING'],
      remote_rule_policies: {
        '*': 'https://src.fedoraproject.org/{pkg_namespace}{pkg_name}/raw/{rev}/f/gating.yaml',
      },
    });
  });

  test('GET /subject_types carries product_version_match and product_version_from_koji_build_target', async () => {
    const { subject_types: types } = (await (await fetch(`${base}/api/v1.0/subject_types`)).json()) as {
      subject_types: Array<Record<string, unknown>>;
    };
    const byId = new Map(types.map((t) => [t.id, t]));
    // Greenwave's conf/subject_types/compose.yaml and koji_build.yaml.
    assert.deepEqual(byId.get('compose')!.product_version_match, [
      { match: '^(RHEL-\\d*)\\..*', product_version: '\\1' },
    ]);
    assert.deepEqual(byId.get('compose')!.product_version_from_koji_build_target, []);
    assert.deepEqual(byId.get('koji_build')!.product_version_from_koji_build_target, [
      { match: '^(rhel-\\d+\\.\\d+).*', product_version: '\\1' },
      { match: '^(rhel-\\d+).*', product_version: '\\1' },
    ]);
    assert.deepEqual(byId.get('bodhi_update')!.item_dict, {});
  });
});

describe('product versions read from a subject identifier (product_version_match)', () => {
  test("a RHEL compose's product version comes from its id, lower-cased, as Greenwave's compose type has it", () => {
    const types = new SubjectTypes();
    assert.deepEqual(
      subjectProductVersions({ type: types.resolve('compose'), identifier: 'RHEL-9.4.0-20240101.1' }),
      ['rhel-9'],
    );
    assert.deepEqual(
      subjectProductVersions({ type: types.resolve('compose'), identifier: 'Fedora-Rawhide-20240101.n.0' }),
      [],
    );
  });

  test('configured patterns: Python group references, first a match then the fixed version, several at once', () => {
    const types = new SubjectTypes([
      {
        id: 'container',
        productVersion: 'rhel-8',
        productVersionMatch: [
          { match: '.*-rhel-(\\d+)-.*', productVersion: 'rhel-\\1' },
          { match: '.*-rhel-(\\d+)-.*', productVersion: 'RHEL-\\g<1>' },
          { match: '.*-el(\\d+)$', productVersion: 'rhel-\\1' },
        ],
      },
    ]);
    const container = types.resolve('container');
    assert.deepEqual(subjectProductVersions({ type: container, identifier: 'ubi-rhel-9-1.0' }), ['rhel-9']);
    assert.deepEqual(subjectProductVersions({ type: container, identifier: 'tool-el10' }), ['rhel-10']);
    assert.deepEqual(subjectProductVersions({ type: container, identifier: 'other' }), ['rhel-8']);
  });

  test('a pattern that is not a regular expression is a configuration error, naming where it is', () => {
    assert.throws(
      () =>
        testConfig({
          gating: {
            subjectTypes: [
              { id: 'container', productVersionFromKojiBuildTarget: [{ match: '[', productVersion: 'x' }] },
            ],
          },
        }),
      /gating\.subjectTypes\[0\]\.productVersionFromKojiBuildTarget\[0\]\.match: not a regular expression/,
    );
    assert.doesNotThrow(() =>
      testConfig({
        gating: {
          subjectTypes: [
            { id: 'container', productVersionMatch: [{ match: '^(rhel-\\d+)', productVersion: '\\1' }] },
          ],
        },
      }),
    );
  });

  test('a pattern that is not a regular expression is refused when the types are set up, naming the type', () => {
    assert.throws(
      () => new SubjectTypes([{ id: 'broken', productVersionMatch: [{ match: '(', productVersion: 'x' }] }]),
      /gating\.subjectTypes broken: the product version pattern "\(" is not a regular expression/,
    );
  });
});
