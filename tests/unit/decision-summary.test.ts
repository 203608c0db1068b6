import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Answer } from '../../gating/answers.js';
import type { GatingResult } from '../../gating/gating-result.js';
import { SubjectTypes } from '../../gating/subject-types.js';
import { summarize } from '../../gating/summary.js';

const subject = { type: new SubjectTypes().resolve('koji_build'), identifier: 'bash-5.2.26-3.fc41' };
const result = (id: number): GatingResult => ({
  id,
  testcase: 't',
  outcome: 'X',
  submitTime: 0,
  scenario: null,
  systemArchitecture: null,
  systemVariant: null,
  errorReason: null,
  distinctKey: String(id),
});

const passed: Answer = { kind: 'passed', subject, testcase: 't', source: null, result: result(1) };
const failed: Answer = { kind: 'failed', subject, testcase: 't', source: null, result: result(2) };
const errored: Answer = { kind: 'errored', subject, testcase: 't', source: null, result: result(3) };
const incomplete: Answer = { kind: 'incomplete', subject, testcase: 't', source: null, result: result(4) };
const missing: Answer = { kind: 'missing', subject, testcase: 't', scenario: null, source: null };
const waived: Answer = {
  kind: 'waived',
  of: { kind: 'missing', subject, testcase: 't', scenario: null, source: null },
  waiverId: 9,
};
const fetched: Answer = { kind: 'fetched-gating-yaml', subject, source: 'https://git/gating.yaml' };
const missingFile: Answer = { kind: 'missing-gating-yaml', subject, sources: [] };
const invalidFile: Answer = {
  kind: 'invalid-gating-yaml',
  subject,
  details: 'Missing !Policy tag',
  source: 'https://git/gating.yaml',
};
const failedFetch: Answer = { kind: 'failed-fetch-gating-yaml', subject, sources: [], error: 'HTTP 500' };

describe('the decision summary', () => {
  const CASES: Array<[string, Answer[], string]> = [
    ['nothing required', [], 'No tests are required'],
    ['only a fetched gating file', [fetched], 'No tests are required'],
    ['one passed', [passed], 'All required tests (1 total) have passed or been waived'],
    [
      'passed and waived',
      [passed, waived, passed],
      'All required tests (3 total) have passed or been waived',
    ],
    ['one missing', [missing], 'Of 1 required test, 1 result missing'],
    ['two missing of three', [missing, passed, missing], 'Of 3 required tests, 2 results missing'],
    ['one failed', [failed], 'Of 1 required test, 1 test failed'],
    ['two failed', [failed, failed], 'Of 2 required tests, 2 tests failed'],
    ['one errored', [errored], 'Of 1 required test, 1 test errored'],
    ['two errored', [errored, errored, passed], 'Of 3 required tests, 2 tests errored'],
    ['one incomplete', [incomplete], 'Of 1 required test, 1 test incomplete'],
    ['two incomplete', [incomplete, incomplete], 'Of 2 required tests, 2 tests incomplete'],
    [
      'every kind, in order: missing, errored, failed, incomplete',
      [incomplete, failed, errored, missing, passed],
      'Of 5 required tests, 1 result missing, 1 test errored, 1 test failed, 1 test incomplete',
    ],
    ['a missing gating file alone', [missingFile], '1 error due to missing remote rule file'],
    [
      'two invalid gating files',
      [invalidFile, fetched, invalidFile],
      '2 errors due to invalid remote rule file',
    ],
    ['a failed fetch', [failedFetch], '1 error due to failed fetch of remote rule file'],
    [
      'gating-file errors come first',
      [failed, missingFile, passed],
      '1 error due to missing remote rule file. Of 2 required tests, 1 test failed',
    ],
    [
      'all three gating-file errors, then tests that passed',
      [missingFile, invalidFile, failedFetch, passed],
      '1 error due to missing remote rule file. 1 error due to invalid remote rule file. 1 error due to failed fetch of remote rule file. All required tests (1 total) have passed or been waived',
    ],
  ];
  for (const [name, answers, summary] of CASES) test(name, () => assert.equal(summarize(answers), summary));
});
