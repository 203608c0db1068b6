import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UpdateInputError } from '../../errors/update-input-error.js';
import { gatingStatus, recheckAt } from '../../updates/gating-status.js';
import { updateDecisionContexts } from '../../updates/update-contexts.js';
import { parseUpdateInput } from '../../updates/update-input.js';
import { makeAlias } from '../../updates/update-json.js';

const missing = (testcase: string, resultId?: number) => ({
  type: 'test-result-missing',
  testcase,
  ...(resultId ? { result_id: resultId } : {}),
});
const passed = (testcase: string) => ({ type: 'test-result-passed', testcase, result_id: 1 });
const HOUR = 3_600_000;

describe("an update's decision contexts, as Bodhi forms them", () => {
  const cases: Array<[string, Parameters<typeof updateDecisionContexts>, string[]]> = [
    ['to testing', ['testing', false, []], ['bodhi_update_push_testing']],
    ['to stable', ['stable', false, []], ['bodhi_update_push_stable']],
    [
      'critical path without groups',
      ['stable', true, []],
      ['bodhi_update_push_stable_critpath', 'bodhi_update_push_stable'],
    ],
    [
      'critical path to testing',
      ['testing', true, []],
      ['bodhi_update_push_testing_critpath', 'bodhi_update_push_testing'],
    ],
    [
      'one context per group, the last group first (Bodhi inserts each at the front)',
      ['stable', true, ['core', 'gnome']],
      [
        'bodhi_update_push_stable_gnome_critpath',
        'bodhi_update_push_stable_core_critpath',
        'bodhi_update_push_stable',
      ],
    ],
  ];
  for (const [name, args, expected] of cases)
    test(name, () => assert.deepEqual(updateDecisionContexts(...args), expected));
});

describe("gating status (Bodhi's _get_test_gating_status)", () => {
  const at = (
    unsatisfied: Array<Record<string, unknown>>,
    satisfied: Array<Record<string, unknown>> = [],
    age = 0,
  ) => gatingStatus({ satisfied, unsatisfied, since: 0, now: age, graceMs: 2 * HOUR });
  test('nothing required: ignored', () => assert.equal(at([]), 'ignored'));
  test('everything satisfied: passed', () => assert.equal(at([], [passed('a'), passed('b')]), 'passed'));
  test('a failed, errored or gating-file requirement: failed at once', () => {
    for (const type of [
      'test-result-failed',
      'test-result-errored',
      'invalid-gating-yaml',
      'missing-gating-yaml',
      'failed-fetch-gating-yaml',
    ]) {
      assert.equal(at([missing('a'), { type, testcase: 'b' }], [passed('c')]), 'failed', type);
    }
  });
  test('results missing within the grace period: waiting', () =>
    assert.equal(at([missing('a'), missing('b')], [passed('c')], 2 * HOUR - 1), 'waiting'));
  test('results missing after the grace period with one of them not queued or running: failed', () => {
    assert.equal(at([missing('a', 7), missing('b')], [], 2 * HOUR), 'failed');
  });
  test('after the grace period, every missing result QUEUED or RUNNING (it has a result id): waiting', () => {
    assert.equal(at([missing('a', 7), missing('b', 8)], [], 10 * HOUR), 'waiting');
  });
  test('the re-check is due at the end of the grace period, and not after it', () => {
    assert.equal(recheckAt(1000, 1000, 2 * HOUR), 1000 + 2 * HOUR);
    assert.equal(recheckAt(1000, 1000 + 2 * HOUR, 2 * HOUR), null);
  });
});

describe('POST /api/v1/updates bodies', () => {
  const ok = { product_version: 'fedora-41', builds: ['bash-5.2.26-3.fc41'], request: 'stable' };
  test("the minimal body, and Bodhi's space-separated critpath_groups", () => {
    assert.deepEqual(parseUpdateInput(ok), {
      alias: null,
      productVersion: 'fedora-41',
      builds: ['bash-5.2.26-3.fc41'],
      request: 'stable',
      critpath: false,
      critpathGroups: [],
    });
    assert.deepEqual(parseUpdateInput({ ...ok, critpath_groups: 'core  gnome' }).critpathGroups, [
      'core',
      'gnome',
    ]);
    assert.equal(parseUpdateInput({ ...ok, critpath_groups: ['core'] }).critpath, true);
  });
  const refusals: Array<[string, unknown, string]> = [
    ['not an object', [], 'body: must be a JSON object'],
    [
      'an unknown field',
      { ...ok, karma: 3 },
      'karma: unknown field; expected one of alias, product_version, builds, request, critpath, critpath_groups',
    ],
    [
      'no product version',
      { ...ok, product_version: '' },
      'product_version: required, a non-empty string such as "fedora-41"',
    ],
    ['no builds', { ...ok, builds: [] }, 'builds: required, a non-empty list of build NVRs'],
    [
      'a build that is not an NVR',
      { ...ok, builds: ['bash-5.2.26-3.fc41', 'bash'] },
      'builds[1]: "bash" is not a name-version-release',
    ],
    ['a build twice', { ...ok, builds: ['a-1-1', 'a-1-1'] }, 'builds[1]: a-1-1 is listed twice'],
    [
      'a bad request',
      { ...ok, request: 'obsolete' },
      'request: required, "testing" or "stable" (got "obsolete")',
    ],
    ['a bad group', { ...ok, critpath_groups: ['core', 7] }, 'critpath_groups[1]: 7 is not a group name'],
    [
      'groups without critpath',
      { ...ok, critpath: false, critpath_groups: ['core'] },
      'critpath: cannot be false with critpath_groups',
    ],
    [
      'a bad alias',
      { ...ok, alias: 'FEDORA 2025' },
      'alias: must be letters, digits, ".", "_" or "-" (at most 100), starting with a letter or digit',
    ],
  ];
  for (const [name, body, message] of refusals) {
    test(`refused: ${name}`, () =>
      assert.throws(
        () => parseUpdateInput(body),
        (err: unknown) =>
          err instanceof UpdateInputError && err.message === message && err.statusCode === 400,
      ));
  }
});

test("aliases in Bodhi's style from the product version's name", () => {
  const t = Date.UTC(2025, 5, 1);
  assert.equal(makeAlias('fedora-41', t, '0123456789'), 'FEDORA-2025-0123456789');
  assert.equal(makeAlias('epel-9', t, 'abcdefabcd'), 'EPEL-2025-abcdefabcd');
  assert.equal(makeAlias('rhel', t, 'abcdefabcd'), 'RHEL-2025-abcdefabcd');
  assert.equal(makeAlias('centos-stream-10', t, 'abcdefabcd'), 'CENTOS-STREAM-2025-abcdefabcd');
  assert.equal(makeAlias('+-1', t, 'abcdefabcd'), 'UPDATE-2025-abcdefabcd');
});
