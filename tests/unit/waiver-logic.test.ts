import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateConfig } from '../../service/load-config.js';
import { ConfigError } from '../../errors/config-error.js';
import { QueryInputError } from '../../errors/query-input-error.js';
import { SluiceError } from '../../errors/sluice-error.js';
import { WaiverForbiddenError } from '../../errors/waiver-forbidden-error.js';
import { WaiverInputError } from '../../errors/waiver-input-error.js';
import { fnmatch } from '../../results/fnmatch.js';
import { parseWaiverBody } from '../../waivers/parse-waiver-input.js';
import { parseFilteredBody, parseWaiversQuery } from '../../waivers/parse-waivers-query.js';
import { subjectDict, waiverJson } from '../../waivers/waiver-json.js';
import { waiverPageLinks } from '../../waivers/waiver-page-links.js';
import { WaiverPermissions, permissionJson, type PermissionRule } from '../../waivers/waiver-permissions.js';

/** The error of class `type` that `fn` throws; fails when it throws nothing or something else. */
function thrown<E extends Error>(type: new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof type, `a ${type.name}, not ${String(err)}`);
    return err;
  }
  assert.fail(`expected a ${type.name}`);
}

const BASE = {
  subject_type: 'koji_build',
  subject_identifier: 'bash-5.2.26-3.fc42',
  testcase: 'dist.rpmdeplint',
  product_version: 'fedora-42',
  comment: 'known flake',
};

describe('parseWaiverBody', () => {
  test('one waiver: waived defaults to true, no scenario means every scenario, no username means the caller', () => {
    assert.deepEqual(parseWaiverBody(BASE), {
      list: false,
      waivers: [
        {
          subjectType: 'koji_build',
          subjectIdentifier: 'bash-5.2.26-3.fc42',
          testcase: 'dist.rpmdeplint',
          scenario: null,
          productVersion: 'fedora-42',
          waived: true,
          comment: 'known flake',
          onBehalfOf: undefined,
        },
      ],
    });
  });

  test('a list gives a list, in order; scenario, waived: false and username are kept; unknown fields are ignored', () => {
    const body = [
      BASE,
      {
        ...BASE,
        testcase: 'dist.abicheck',
        scenario: 'x86_64.uefi',
        waived: false,
        username: 'alice',
        extra: 1,
      },
    ];
    const { list, waivers } = parseWaiverBody(body);
    assert.equal(list, true);
    assert.deepEqual(
      waivers.map((w) => [w.testcase, w.scenario, w.waived, w.onBehalfOf]),
      [
        ['dist.rpmdeplint', null, true, undefined],
        ['dist.abicheck', 'x86_64.uefi', false, 'alice'],
      ],
    );
  });

  test('brew-build is stored as koji_build; an empty username is no username, as in WaiverDB', () => {
    const [w] = parseWaiverBody({ ...BASE, subject_type: 'brew-build', username: '' }).waivers;
    assert.equal(w!.subjectType, 'koji_build');
    assert.equal(w!.onBehalfOf, undefined);
  });

  const legacy: Array<[string, Record<string, string>, [string, string]]> = [
    [
      '{type: koji_build, item}',
      { type: 'koji_build', item: 'bash-1-1.fc42' },
      ['koji_build', 'bash-1-1.fc42'],
    ],
    [
      '{type: brew-build, item}',
      { type: 'brew-build', item: 'bash-1-1.el9' },
      ['koji_build', 'bash-1-1.el9'],
    ],
    ['{original_spec_nvr}', { original_spec_nvr: 'bash-1-1.fc42' }, ['koji_build', 'bash-1-1.fc42']],
    [
      '{productmd.compose.id}',
      { 'productmd.compose.id': 'Fedora-42-20250101.n.0' },
      ['compose', 'Fedora-42-20250101.n.0'],
    ],
    [
      '{type: bodhi_update, item}',
      { type: 'bodhi_update', item: 'FEDORA-2025-abc' },
      ['bodhi_update', 'FEDORA-2025-abc'],
    ],
  ];
  for (const [what, subject, [type, identifier]] of legacy) {
    test(`the legacy subject ${what} becomes ${type} ${identifier}`, () => {
      const { subject_type: _t, subject_identifier: _i, ...rest } = BASE;
      const [w] = parseWaiverBody({ ...rest, subject }).waivers;
      assert.deepEqual([w!.subjectType, w!.subjectIdentifier], [type, identifier]);
    });
  }

  const { subject_type: _type, subject_identifier: _identifier, ...noSubject } = BASE;
  const refusals: Array<[string, unknown, string]> = [
    ['a body that is not an object', 'waive it', 'body: must be a waiver object'],
    ['null', null, 'body: must be a waiver object'],
    ['an empty list', [], 'body: must be a waiver object or a non-empty list of them (got an empty list)'],
    ['a list holding a string', [BASE, 'x'], '[1]: must be a waiver object'],
    ['no product_version', { ...BASE, product_version: undefined }, 'product_version: is required'],
    ['an empty product_version', { ...BASE, product_version: '' }, 'product_version: must not be empty'],
    [
      'a product_version that is a number',
      { ...BASE, product_version: 42 },
      'product_version: must be a string',
    ],
    [
      'a product_version longer than WaiverDB stores',
      { ...BASE, product_version: 'f'.repeat(201) },
      'product_version: must be at most 200 characters',
    ],
    ['no comment', { ...BASE, comment: null }, 'comment: is required'],
    ['a blank comment', { ...BASE, comment: '  ' }, 'comment: must not be empty'],
    ['no testcase', { ...BASE, testcase: undefined }, 'testcase: is required'],
    ['an empty testcase', { ...BASE, testcase: '' }, 'testcase: must not be empty'],
    ['waived as a string', { ...BASE, waived: 'yes' }, 'waived: must be true or false'],
    [
      'an empty scenario',
      { ...BASE, scenario: '' },
      'scenario: must not be empty (leave it out to waive every scenario)',
    ],
    ['a scenario that is a list', { ...BASE, scenario: ['a'] }, 'scenario: must be a string'],
    ['a username that is a number', { ...BASE, username: 7 }, 'username: must be a string'],
    [
      'no subject at all',
      noSubject,
      'subject_type: is required, with subject_identifier (or the legacy subject: {type, item})',
    ],
    [
      'subject_type without subject_identifier',
      { ...noSubject, subject_type: 'koji_build' },
      'subject_identifier: is required',
    ],
    [
      'subject_identifier without subject_type',
      { ...noSubject, subject_identifier: 'bash-1-1.fc42' },
      'subject_type: is required',
    ],
    [
      'an empty subject_identifier',
      { ...BASE, subject_identifier: '' },
      'subject_identifier: must not be empty',
    ],
    [
      'both subject forms',
      { ...BASE, subject: { type: 'koji_build', item: 'x' } },
      'subject: must not be given together with subject_type or subject_identifier',
    ],
    [
      'a legacy subject that is a string',
      { ...noSubject, subject: 'bash' },
      'subject: must be an object {type, item}',
    ],
    [
      'a legacy subject with an item but no type',
      { ...noSubject, subject: { item: 'bash-1-1.fc42' } },
      'subject.type: is required with item (a non-empty string)',
    ],
    [
      'a legacy subject with nothing usable',
      { ...noSubject, subject: { type: 'koji_build' } },
      'subject: must be {type, item}, {original_spec_nvr} or {"productmd.compose.id"} with non-empty string values',
    ],
    [
      'a result_id no result has',
      { ...noSubject, testcase: undefined, result_id: 12 },
      'result_id: Result id not found in Resultsdb',
    ],
    [
      'a result_id with a testcase',
      { ...noSubject, result_id: 12 },
      "result_id: must not be given together with testcase: the subject, test case and scenario are the result's",
    ],
    [
      'a result_id that is not a number',
      { ...noSubject, testcase: undefined, result_id: [12] },
      'result_id: must be a result id, a whole number (got [12])',
    ],
    ['a bad second waiver of a list', [BASE, { ...BASE, comment: '' }], '[1].comment: must not be empty'],
  ];
  for (const [what, body, message] of refusals) {
    test(`refuses ${what}, naming the field`, () => {
      const err = thrown(WaiverInputError, () => parseWaiverBody(body));
      assert.equal(err.message, message);
      assert.ok(err instanceof SluiceError);
      assert.equal(err.code, 'WAIVER_INVALID');
    });
  }
});

describe('waiverJson', () => {
  const row = {
    id: 7,
    subject_type: 'koji_build',
    subject_identifier: 'bash-1-1.fc42',
    testcase: 'dist.rpmdeplint',
    scenario: null,
    product_version: 'fedora-42',
    waived: 1,
    comment: 'fine',
    username: 'alice',
    proxied_by: 'bodhi',
    timestamp: Date.UTC(2025, 0, 2, 3, 4, 5, 678),
  };

  test("WaiverDB's fields, the legacy subject, waived as a boolean and a naive UTC timestamp with microseconds", () => {
    assert.deepEqual(waiverJson(row), {
      id: 7,
      subject_type: 'koji_build',
      subject_identifier: 'bash-1-1.fc42',
      subject: { type: 'koji_build', item: 'bash-1-1.fc42' },
      testcase: 'dist.rpmdeplint',
      scenario: null,
      product_version: 'fedora-42',
      waived: true,
      comment: 'fine',
      username: 'alice',
      proxied_by: 'bodhi',
      timestamp: '2025-01-02T03:04:05.678000',
    });
    assert.equal(waiverJson({ ...row, waived: 0 }).waived, false);
  });

  test('a compose keeps its productmd key in the legacy subject', () => {
    assert.deepEqual(subjectDict('compose', 'Fedora-42-20250101.n.0'), {
      'productmd.compose.id': 'Fedora-42-20250101.n.0',
    });
  });
});

describe('fnmatch (Python fnmatchcase)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['kernel-qe.tier1', 'kernel-qe.*', true],
    ['kernel-qe', 'kernel-qe.*', false],
    ['kernel-qe.a.b/c', 'kernel-qe.*', true],
    ['Kernel-qe.x', 'kernel-qe.*', false],
    ['dist.rpmlint', 'dist.rpml?nt', true],
    ['dist.rpmlint', 'dist.rpm?', false],
    ['fedora-42', 'fedora-[0-9][0-9]', true],
    ['fedora-rawhide', 'fedora-[0-9]*', false],
    ['fedora-rawhide', 'fedora-[!0-9]*', true],
    ['a]b', 'a[]]b', true],
    ['a[b', 'a[b', true],
    ['a.b', 'a[.]b', true],
    ['axb', 'a.b', false],
    ['a-b', 'a[x-]b', true],
    ['anything', '*', true],
    ['', '*', true],
    ['b', '[z-a]', false],
    ['(x)+', '(x)+', true],
    ['x', '(x)+', false],
    ['a^b', 'a[\\^]b', true],
  ];
  for (const [name, pattern, expected] of cases) {
    test(`${JSON.stringify(name)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(pattern)}`, () => {
      assert.equal(fnmatch(name, pattern), expected);
    });
  }
});

describe('WaiverPermissions', () => {
  const rule = (r: Partial<PermissionRule> & { testcases: string[] }): PermissionRule => ({
    maintainers: [],
    testcasesIgnore: [],
    users: [],
    groups: [],
    ...r,
  });
  const kernel = rule({
    name: 'kernel',
    maintainers: ['kernel-qe@example.com'],
    testcases: ['kernel-qe.*'],
    testcasesIgnore: ['kernel-qe.unwaivable.*'],
    users: ['alice'],
    groups: ['kernel-devs'],
  });
  const dist = rule({ testcases: ['dist.*', 'fedora-ci.*'], groups: ['qa'] });
  const ruled = new WaiverPermissions({ permissions: [kernel, dist], superusers: ['bodhi'] });
  const open = new WaiverPermissions({ permissions: [], superusers: [] });
  const noGroups = () => [];

  test('no rules: anyone may waive anything', () => {
    assert.equal(open.mayWaive('anyone', [], 'whatever.test'), true);
    assert.deepEqual(open.authorize({ user: 'anyone', groups: [] }, undefined, 'x', noGroups), {
      username: 'anyone',
      proxiedBy: null,
    });
  });

  test('with rules: a user listed, or in a group listed, by a rule about the test case', () => {
    assert.equal(ruled.mayWaive('alice', [], 'kernel-qe.boot'), true);
    assert.equal(ruled.mayWaive('dave', ['kernel-devs'], 'kernel-qe.boot'), true);
    assert.equal(ruled.mayWaive('dave', ['qa'], 'kernel-qe.boot'), false);
    assert.equal(ruled.mayWaive('dave', ['qa'], 'fedora-ci.koji-build.tier0.functional'), true);
    assert.equal(
      ruled.mayWaive('alice', [], 'dist.rpmdeplint'),
      false,
      'alice is listed only by the kernel rule',
    );
  });

  test('a test case no rule is about cannot be waived by anyone; testcasesIgnore takes a test case out of a rule', () => {
    assert.equal(ruled.mayWaive('alice', ['qa', 'kernel-devs'], 'other.test'), false);
    assert.equal(ruled.mayWaive('alice', ['kernel-devs'], 'kernel-qe.unwaivable.panic'), false);
    assert.deepEqual(ruled.rulesFor('kernel-qe.unwaivable.panic'), []);
    assert.deepEqual(ruled.rulesFor('kernel-qe.boot'), [kernel]);
    assert.deepEqual(ruled.rulesFor(), [kernel, dist]);
  });

  test("a refusal is WaiverDB's 403 message", () => {
    const err = thrown(WaiverForbiddenError, () =>
      ruled.authorize({ user: 'bob', groups: [] }, undefined, 'kernel-qe.boot', noGroups),
    );
    assert.equal(
      err.message,
      'User bob is not authorized to submit waivers for the test case kernel-qe.boot',
    );
    assert.equal(err.code, 'WAIVER_FORBIDDEN');
  });

  test("only a superuser may name another user; the permission is then that user's, with the groups groupsOf gives", () => {
    const groupsOf = (user: string) => (user === 'carol' ? ['kernel-devs'] : []);
    assert.deepEqual(ruled.authorize({ user: 'bodhi', groups: [] }, 'carol', 'kernel-qe.boot', groupsOf), {
      username: 'carol',
      proxiedBy: 'bodhi',
    });
    const notPermitted = thrown(WaiverForbiddenError, () =>
      ruled.authorize({ user: 'bodhi', groups: ['kernel-devs'] }, 'bob', 'kernel-qe.boot', groupsOf),
    );
    assert.equal(
      notPermitted.message,
      'User bob is not authorized to submit waivers for the test case kernel-qe.boot',
      "the superuser's own groups do not count",
    );
    const notSuper = thrown(WaiverForbiddenError, () =>
      ruled.authorize({ user: 'alice', groups: [] }, 'carol', 'kernel-qe.boot', groupsOf),
    );
    assert.equal(notSuper.message, 'user alice does not have the proxyuser ability');
  });

  test('a rule prints as WaiverDB prints it', () => {
    assert.deepEqual(permissionJson(kernel), {
      name: 'kernel',
      maintainers: ['kernel-qe@example.com'],
      testcases: ['kernel-qe.*'],
      testcases_ignore: ['kernel-qe.unwaivable.*'],
      users: ['alice'],
      groups: ['kernel-devs'],
    });
    assert.equal('name' in permissionJson(dist), false);
  });
});

describe('parseWaiversQuery', () => {
  const parse = (q: string) => parseWaiversQuery([...new URLSearchParams(q)]);

  test('defaults: no filter, newest per key only, page 1 of 10', () => {
    assert.deepEqual(parse(''), { filter: { since: {} }, includeObsolete: false, page: 1, limit: 10 });
  });

  test("every filter; brew-build reads as koji_build; an empty value is no filter; since's bounds", () => {
    const q = parse(
      'subject_type=brew-build&subject_identifier=bash-1-1.el9&testcase=t&scenario=s&product_version=rhel-9&username=u&proxied_by=p&since=2025-01-01T00:00:00.000001,2025-02-01T00:00:00.000999&include_obsolete=yes&page=3&limit=5&comment=ignored&testcase=second',
    );
    assert.deepEqual(q, {
      filter: {
        subjectType: 'koji_build',
        subjectIdentifier: 'bash-1-1.el9',
        testcase: 't',
        scenario: 's',
        productVersion: 'rhel-9',
        username: 'u',
        proxiedBy: 'p',
        since: { start: Date.UTC(2025, 0, 1, 0, 0, 0, 1), end: Date.UTC(2025, 1, 1) },
      },
      includeObsolete: true,
      page: 3,
      limit: 5,
    });
    assert.deepEqual(parse('testcase=&username=').filter, { since: {} });
    assert.deepEqual(parse('since=,2025-01-01T00:00:00').filter.since, { end: Date.UTC(2025, 0, 1) });
  });

  test('include_obsolete in the words pydantic takes; a limit above 1000 gives 1000', () => {
    for (const yes of ['true', 'True', '1', 'on', 'y'])
      assert.equal(parse(`include_obsolete=${yes}`).includeObsolete, true, yes);
    for (const no of ['false', '0', 'off', 'NO'])
      assert.equal(parse(`include_obsolete=${no}`).includeObsolete, false, no);
    assert.equal(parse('limit=5000').limit, 1000);
  });

  const refusals: Array<[string, string]> = [
    ['page=two', 'page: must be a whole number (got "two")'],
    ['limit=0', 'limit: must be a whole number from 1 (got "0")'],
    ['limit=ten', 'limit: must be a whole number from 1 (got "ten")'],
    ['include_obsolete=maybe', 'include_obsolete: must be true or false (got "maybe")'],
    ['since=yesterday', 'since: must be an ISO 8601 time, or two as start,end (got "yesterday")'],
    ['since=2025-01-01,soon', 'since: must be an ISO 8601 time, or two as start,end (got "2025-01-01,soon")'],
  ];
  for (const [query, message] of refusals) {
    test(`refuses ?${query}, naming the parameter`, () => {
      assert.equal(thrown(QueryInputError, () => parse(query)).message, message);
    });
  }
});

describe('parseFilteredBody', () => {
  test('filters and include_obsolete; null and empty criteria are no criteria; an empty filter matches everything', () => {
    assert.deepEqual(
      parseFilteredBody({
        filters: [
          { subject_type: 'brew-build', subject_identifier: 'x', testcase: null, since: '2025-01-01' },
          {},
        ],
        include_obsolete: true,
      }),
      {
        filters: [
          { subjectType: 'koji_build', subjectIdentifier: 'x', since: { start: Date.UTC(2025, 0, 1) } },
          { since: {} },
        ],
        includeObsolete: true,
      },
    );
    assert.equal(parseFilteredBody({ filters: [{ testcase: 't' }] }).includeObsolete, false);
  });

  const refusals: Array<[string, unknown, string]> = [
    ['a list body', [{ testcase: 't' }], 'body: must be an object {filters: [...], include_obsolete}'],
    ['no filters', { include_obsolete: true }, 'filters: is required: a non-empty list of filter objects'],
    ['empty filters', { filters: [] }, 'filters: must be a non-empty list of filter objects'],
    ['a filter that is a string', { filters: ['t'] }, 'filters[0]: must be an object of filters'],
    [
      'a misspelt filter',
      { filters: [{ testcase: 't' }, { subject_id: 'x' }] },
      'filters[1].subject_id: is not a filter; the filters are subject_type, subject_identifier, testcase, scenario, product_version, username, proxied_by, since',
    ],
    [
      'a criterion that is a number',
      { filters: [{ product_version: 42 }] },
      'filters[0].product_version: must be a string',
    ],
    [
      'a bad since',
      { filters: [{ since: 'now' }] },
      'filters[0].since: must be an ISO 8601 time, or two as start,end (got "now")',
    ],
    [
      'include_obsolete as a string',
      { filters: [{}], include_obsolete: 'true' },
      'include_obsolete: must be true or false',
    ],
  ];
  for (const [what, body, message] of refusals) {
    test(`refuses ${what}, naming the field`, () => {
      assert.equal(thrown(WaiverInputError, () => parseFilteredBody(body)).message, message);
    });
  }
});

describe('waiverPageLinks', () => {
  const url = 'http://sluice.test/api/v1.0/waivers/';

  test('pages count from 1; page first in each link, the other parameters kept, callback dropped', () => {
    assert.deepEqual(waiverPageLinks(url, 'limit=2&testcase=t&page=2&callback=cb', 2, 2, 5), {
      prev: `${url}?page=1&limit=2&testcase=t`,
      next: `${url}?page=3&limit=2&testcase=t`,
      first: `${url}?page=1&limit=2&testcase=t`,
      last: `${url}?page=3&limit=2&testcase=t`,
    });
  });

  test('nothing matching: page 1 with last at page 0, as Flask-SQLAlchemy counts', () => {
    assert.deepEqual(waiverPageLinks(url, '', 1, 10, 0), {
      prev: null,
      next: null,
      first: `${url}?page=1`,
      last: `${url}?page=0`,
    });
  });

  test('a page before the first or past the last has no links at all', () => {
    assert.equal(waiverPageLinks(url, '', 0, 10, 5), undefined);
    assert.equal(waiverPageLinks(url, '', 2, 10, 5), undefined);
    assert.equal(waiverPageLinks(url, '', 2, 10, 0), undefined);
  });
});

describe('the waivers configuration', () => {
  test('defaults: no superusers, no rules', () => {
    assert.deepEqual(validateConfig({}, 'test').waivers, { superusers: [], permissions: [] });
  });

  test('a rule gets empty lists for what it leaves out', () => {
    const { waivers } = validateConfig(
      { waivers: { superusers: ['bodhi'], permissions: [{ testcases: ['dist.*'], users: ['alice'] }] } },
      'test',
    );
    assert.deepEqual(waivers, {
      superusers: ['bodhi'],
      permissions: [
        { testcases: ['dist.*'], users: ['alice'], groups: [], maintainers: [], testcasesIgnore: [] },
      ],
    });
  });

  test('a rule without test cases, an unknown key or an empty user is refused with its path', () => {
    const err = thrown(ConfigError, () =>
      validateConfig(
        {
          waivers: {
            permissions: [
              { users: ['alice'] },
              { testcases: [], grups: ['qa'] },
              { testcases: ['x'], users: [''] },
            ],
          },
        },
        'test',
      ),
    );
    assert.deepEqual([...err.problems].sort(), [
      'waivers.permissions[0].testcases: is required',
      'waivers.permissions[1].grups: is not a known setting',
      'waivers.permissions[1].testcases: must NOT have fewer than 1 items',
      'waivers.permissions[2].users[0]: must NOT have fewer than 1 characters',
    ]);
  });
});
