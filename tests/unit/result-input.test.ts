import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResultInputError } from '../../errors/result-input-error.js';
import { SluiceError } from '../../errors/sluice-error.js';
import { knownOutcomes, normalizeOutcome } from '../../results/outcomes.js';
import { parseGroupInput, parseTestcaseInput } from '../../results/parse-catalog-input.js';
import { parseIsoTime, parseIsoTimeMicros } from '../../results/parse-iso-time.js';
import { parseResultInput } from '../../results/parse-result-input.js';
import { formatSubmitTime } from '../../results/result-json.js';

const OUTCOMES = knownOutcomes(['QUEUED', 'RUNNING', 'ERROR']);
const parse = (body: unknown) => parseResultInput(body, OUTCOMES);

/** The ResultInputError `fn` throws; fails when it throws nothing or something else. */
function refusal(fn: () => unknown): ResultInputError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ResultInputError, `a ResultInputError, not ${String(err)}`);
    return err;
  }
  assert.fail('expected a refusal');
}

describe('outcomes', () => {
  test("ResultsDB's four come first, then the additional ones, without repeats", () => {
    assert.deepEqual(knownOutcomes(['QUEUED', 'PASSED', 'ERROR']), [
      'PASSED',
      'INFO',
      'FAILED',
      'NEEDS_INSPECTION',
      'QUEUED',
      'ERROR',
    ]);
  });
  test('an outcome is trimmed and upper-cased; an unknown one is undefined', () => {
    assert.equal(normalizeOutcome(' needs_inspection\n', OUTCOMES), 'NEEDS_INSPECTION');
    assert.equal(normalizeOutcome('Passed', OUTCOMES), 'PASSED');
    assert.equal(normalizeOutcome('NOT_APPLICABLE', OUTCOMES), undefined);
  });
});

describe('parseResultInput', () => {
  test('the smallest result: an outcome and a testcase name', () => {
    assert.deepEqual(parse({ outcome: 'PASSED', testcase: 'dist.rpmlint' }), {
      outcome: 'PASSED',
      testcase: { name: 'dist.rpmlint', refUrl: undefined },
      groups: [],
      data: [],
      note: null,
      refUrl: null,
      submitTime: undefined,
    });
  });

  test('every field, in each of its forms', () => {
    const input = parse({
      outcome: ' failed ',
      testcase: { name: 'fedora-ci.koji-build.tier0.functional', ref_url: 'https://docs/tier0' },
      groups: ['uuid-1', { uuid: 'uuid-2', description: 'a run', ref_url: null }, { description: 'made up' }],
      data: {
        item: 'bash-5.2-1.fc42',
        type: ['koji_build'],
        arch: ['x86_64', 'aarch64'],
        run: 42,
        ratio: 0.5,
        empty: [],
      },
      note: 'three failures',
      ref_url: 'https://ci/job/1',
      submit_time: 1767323045678,
    });
    assert.equal(input.outcome, 'FAILED');
    assert.deepEqual(input.testcase, {
      name: 'fedora-ci.koji-build.tier0.functional',
      refUrl: 'https://docs/tier0',
    });
    assert.deepEqual(input.groups, [
      { uuid: 'uuid-1', description: undefined, refUrl: undefined },
      { uuid: 'uuid-2', description: 'a run', refUrl: null },
      { uuid: undefined, description: 'made up', refUrl: undefined },
    ]);
    assert.deepEqual(input.data, [
      ['item', 'bash-5.2-1.fc42'],
      ['type', 'koji_build'],
      ['arch', 'x86_64'],
      ['arch', 'aarch64'],
      ['run', '42'],
      ['ratio', '0.5'],
    ]);
    assert.equal(input.note, 'three failures');
    assert.equal(input.refUrl, 'https://ci/job/1');
    assert.equal(input.submitTime, 1767323045678);
  });

  test('a testcase ref_url given as null clears it; absent leaves it alone', () => {
    assert.equal(parse({ outcome: 'INFO', testcase: { name: 't', ref_url: null } }).testcase.refUrl, null);
    assert.equal(parse({ outcome: 'INFO', testcase: { name: 't' } }).testcase.refUrl, undefined);
  });

  test('submit_time: epoch milliseconds as a number or a numeric string, or ISO 8601 in UTC or with an offset', () => {
    const at = (submit_time: unknown) => parse({ outcome: 'PASSED', testcase: 't', submit_time }).submitTime;
    const expected = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    assert.equal(at(expected), expected);
    assert.equal(at(expected + 0.9), expected, 'fractions of a millisecond are dropped');
    assert.equal(at(String(expected)), expected);
    assert.equal(at('2026-01-02T03:04:05.678'), expected, 'no zone is UTC');
    assert.equal(at('2026-01-02T03:04:05.678000Z'), expected);
    assert.equal(at('2026-01-02T05:04:05.678+02:00'), expected);
    assert.equal(at('2026-01-01T22:04:05.678-0500'), expected);
    // ResultsDB's datetime column keeps microseconds (resultsdb/parsers/api_v2.py parses them with %f).
    assert.equal(
      formatSubmitTime(at('2026-01-02 03:04:05.678999')!),
      '2026-01-02T03:04:05.678999',
      'microseconds are kept',
    );
    assert.equal(formatSubmitTime(at('2026-01-02T03:04:05.000001Z')!), '2026-01-02T03:04:05.000001');
    assert.equal(
      formatSubmitTime(at('2026-01-02T03:04:05.1234569')!),
      '2026-01-02T03:04:05.123456',
      'past the microsecond, truncated',
    );
    assert.ok(
      at('2026-01-02T03:04:05.678001')! > at('2026-01-02T03:04:05.678')!,
      'microseconds order results',
    );
    assert.equal(at('2026-01-02T03:04:05Z'), Date.UTC(2026, 0, 2, 3, 4, 5));
    assert.equal(at(null), undefined);
  });

  const refusals: Array<[what: string, body: unknown, message: RegExp]> = [
    ['a body that is not an object', ['PASSED'], /^body: must be a JSON object$/],
    ['a null body', null, /^body: must be a JSON object$/],
    ['no outcome', { testcase: 't' }, /^outcome: is required$/],
    ['an outcome that is not a string', { outcome: 1, testcase: 't' }, /^outcome: must be a string$/],
    ['a blank outcome', { outcome: '  ', testcase: 't' }, /^outcome: must not be empty$/],
    [
      'an unknown outcome',
      { outcome: 'Bogus', testcase: 't' },
      /^outcome: must be one of PASSED, INFO, FAILED, NEEDS_INSPECTION, QUEUED, RUNNING, ERROR \(got "Bogus"\)$/,
    ],
    ['no testcase', { outcome: 'PASSED' }, /^testcase: is required$/],
    ['an empty testcase name', { outcome: 'PASSED', testcase: '' }, /^testcase: must not be empty$/],
    [
      'a testcase that is a number',
      { outcome: 'PASSED', testcase: 7 },
      /^testcase: must be a testcase name or an object \{name, ref_url\}$/,
    ],
    [
      'a testcase object without a name',
      { outcome: 'PASSED', testcase: { ref_url: 'u' } },
      /^testcase\.name: is required$/,
    ],
    [
      'a testcase name that is not a string',
      { outcome: 'PASSED', testcase: { name: ['t'] } },
      /^testcase\.name: must be a string$/,
    ],
    [
      'an empty testcase object name',
      { outcome: 'PASSED', testcase: { name: '' } },
      /^testcase\.name: must not be empty$/,
    ],
    [
      'a testcase ref_url that is not a string',
      { outcome: 'PASSED', testcase: { name: 't', ref_url: 3 } },
      /^testcase\.ref_url: must be a string or null$/,
    ],
    [
      'groups that are not a list',
      { outcome: 'PASSED', testcase: 't', groups: 'g' },
      /^groups: must be a list of group uuids or \{uuid, description, ref_url\} objects$/,
    ],
    [
      'a group that is a number',
      { outcome: 'PASSED', testcase: 't', groups: ['g', 5] },
      /^groups\[1\]: must be a group uuid or an object/,
    ],
    [
      'an empty group uuid',
      { outcome: 'PASSED', testcase: 't', groups: [''] },
      /^groups\[0\]: must not be empty$/,
    ],
    [
      'a group uuid that is not a string',
      { outcome: 'PASSED', testcase: 't', groups: [{ uuid: 5 }] },
      /^groups\[0\]\.uuid: must be a string$/,
    ],
    [
      'a group description that is not a string',
      { outcome: 'PASSED', testcase: 't', groups: [{ description: {} }] },
      /^groups\[0\]\.description: must be a string or null$/,
    ],
    [
      'a too long group uuid',
      { outcome: 'PASSED', testcase: 't', groups: ['x'.repeat(256)] },
      /^groups\[0\]: must be at most 255 characters$/,
    ],
    [
      'data that is a list',
      { outcome: 'PASSED', testcase: 't', data: [['item', 'x']] },
      /^data: must be an object of key: value or key: \[values\]$/,
    ],
    [
      'a data key with a colon',
      { outcome: 'PASSED', testcase: 't', data: { 'item:like': 'x' } },
      /^data: key "item:like" must not contain ":"$/,
    ],
    [
      'an empty data key',
      { outcome: 'PASSED', testcase: 't', data: { '': 'x' } },
      /^data: keys must not be empty$/,
    ],
    [
      'a boolean data value',
      { outcome: 'PASSED', testcase: 't', data: { gating: true } },
      /^data\.gating: must be a string, a number or a list of them$/,
    ],
    [
      'a null data value',
      { outcome: 'PASSED', testcase: 't', data: { item: null } },
      /^data\.item: must be a string, a number or a list of them$/,
    ],
    [
      'an object data value',
      { outcome: 'PASSED', testcase: 't', data: { item: { nvr: 'x' } } },
      /^data\.item: must be a string, a number or a list of them$/,
    ],
    [
      'a nested list in data',
      { outcome: 'PASSED', testcase: 't', data: { item: ['a', ['b']] } },
      /^data\.item\[1\]: must be a string or a number$/,
    ],
    [
      'a note that is not a string',
      { outcome: 'PASSED', testcase: 't', note: 5 },
      /^note: must be a string$/,
    ],
    [
      'a ref_url that is not a string',
      { outcome: 'PASSED', testcase: 't', ref_url: {} },
      /^ref_url: must be a string$/,
    ],
    [
      'a submit_time in words',
      { outcome: 'PASSED', testcase: 't', submit_time: 'yesterday' },
      /^submit_time: must be epoch milliseconds \(a number or a numeric string\) or an ISO 8601 time \(got "yesterday"\)$/,
    ],
    [
      'a boolean submit_time',
      { outcome: 'PASSED', testcase: 't', submit_time: true },
      /^submit_time: must be epoch milliseconds/,
    ],
    [
      'a day that does not exist',
      { outcome: 'PASSED', testcase: 't', submit_time: '2026-02-30T00:00:00Z' },
      /^submit_time: must be epoch milliseconds .*\(got "2026-02-30T00:00:00Z"\)$/,
    ],
    [
      'a negative submit_time',
      { outcome: 'PASSED', testcase: 't', submit_time: -1 },
      /^submit_time: must be between 1970 and the end of 9999 \(got -1\)$/,
    ],
    [
      'a submit_time past year 9999',
      { outcome: 'PASSED', testcase: 't', submit_time: 253402300800000 },
      /^submit_time: must be between 1970/,
    ],
  ];
  for (const [what, body, message] of refusals) {
    test(`refuses ${what}, naming the field`, () => {
      const err = refusal(() => parse(body));
      assert.match(err.message, message);
      assert.equal(err.code, 'RESULT_INVALID');
      assert.ok(err instanceof SluiceError);
    });
  }

  test('unknown top-level fields are ignored, as ResultsDB ignores them', () => {
    assert.equal(parse({ outcome: 'PASSED', testcase: 't', notes: 'typo' }).note, null);
  });
});

describe('parseTestcaseInput and parseGroupInput', () => {
  test('a testcase needs a name; a null ref_url is "not given"', () => {
    assert.deepEqual(parseTestcaseInput({ name: 'a.b', ref_url: 'u' }), { name: 'a.b', refUrl: 'u' });
    assert.deepEqual(parseTestcaseInput({ name: 'a.b', ref_url: null }), { name: 'a.b', refUrl: undefined });
    assert.match(refusal(() => parseTestcaseInput({ ref_url: 'u' })).message, /^name: is required$/);
    assert.match(refusal(() => parseTestcaseInput({ name: 5 })).message, /^name: must be a string$/);
    assert.match(
      refusal(() => parseTestcaseInput({ name: 'a', ref_url: 1 })).message,
      /^ref_url: must be a string$/,
    );
    assert.match(refusal(() => parseTestcaseInput('a')).message, /^body: must be a JSON object$/);
  });

  test('a group may be empty (a new uuid is made); empty fields are "not given"', () => {
    assert.deepEqual(parseGroupInput({}), { uuid: undefined, description: undefined, refUrl: undefined });
    assert.deepEqual(parseGroupInput({ uuid: 'g', description: '', ref_url: 'u' }), {
      uuid: 'g',
      description: undefined,
      refUrl: 'u',
    });
    assert.match(
      refusal(() => parseGroupInput({ description: 5 })).message,
      /^description: must be a string$/,
    );
  });
});

describe('times', () => {
  test('parseIsoTime reads dates, date-times, fractions and zones; rounds as asked', () => {
    assert.equal(parseIsoTime('2026-01-02'), Date.UTC(2026, 0, 2));
    assert.equal(parseIsoTime('2026-01-02T03:04'), Date.UTC(2026, 0, 2, 3, 4));
    assert.equal(parseIsoTime('2026-01-02T03:04:05.0001', 'floor'), Date.UTC(2026, 0, 2, 3, 4, 5));
    assert.equal(parseIsoTime('2026-01-02T03:04:05.0001', 'ceil'), Date.UTC(2026, 0, 2, 3, 4, 5, 1));
    assert.equal(parseIsoTime('2026-01-02T03:04:05+01'), Date.UTC(2026, 0, 2, 2, 4, 5));
    for (const bad of [
      '',
      'now',
      '2026-13-01',
      '2026-01-02T25:00',
      '2026-01-02Z',
      '20260102',
      '2026-01-02T03:04:05+25:00',
    ]) {
      assert.equal(parseIsoTime(bad), undefined, bad);
    }
  });

  test("formatSubmitTime prints ResultsDB's naive UTC with microseconds", () => {
    assert.equal(formatSubmitTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), '2026-01-02T03:04:05.678000');
    assert.equal(formatSubmitTime(0), '1970-01-01T00:00:00.000000');
    assert.equal(formatSubmitTime(Date.UTC(2026, 0, 2, 3, 4, 5, 123) + 0.456), '2026-01-02T03:04:05.123456');
    assert.equal(formatSubmitTime(Date.UTC(2026, 0, 2, 3, 4, 5, 999) + 0.999), '2026-01-02T03:04:05.999999');
    assert.equal(
      parseIsoTimeMicros('2026-01-02T03:04:05.1234564', 'ceil'),
      Date.UTC(2026, 0, 2, 3, 4, 5, 123) + 0.457,
    );
    assert.equal(parseIsoTimeMicros('2026-01-02T03:04:05.9999995', 'ceil'), Date.UTC(2026, 0, 2, 3, 4, 6));
  });
});
