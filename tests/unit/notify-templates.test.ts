import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeHtml, html, htmlText, link } from '../../notify/html.js';
import { lastLines } from '../../notify/http-job-log-source.js';
import { decisionChangedMail, why } from '../../notify/templates/decision-changed-mail.js';
import { jobFailedMail } from '../../notify/templates/job-failed-mail.js';
import { runReportMail } from '../../notify/templates/run-report-mail.js';
import {
  decisionUpdate,
  failed,
  missing,
  nodeEvent,
  SATISFIED,
  UNSATISFIED,
} from '../support/notify-fixtures.js';

const SERVER = 'https://sluice.example.org';
const EVIL = '<script>alert("x")</script>&';

function assertIncludesAll(text: string, expected: string[]): void {
  for (const e of expected) assert.ok(text.includes(e), `text lacks ${JSON.stringify(e)}:\n${text}`);
}

/** Text of an HTML mail with the tags gone and entities decoded, as a reader sees it. */
function visible(markup: string): string {
  return markup
    .replace(/<style>[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

describe('html', () => {
  test('every value is escaped; only html`` fragments pass as markup', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const inner = html`<b>${EVIL}</b>`;
    assert.equal(
      htmlText(html`<p>${inner}${null}${undefined}${false}${[1, 2]}</p>`),
      '<p><b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;</b>12</p>',
    );
  });

  test('links only to http(s): anything else is shown as text', () => {
    assert.equal(
      htmlText(link('https://x.org/a?b=1&c=2', 'log')),
      '<a href="https://x.org/a?b=1&amp;c=2">log</a>',
    );
    assert.equal(htmlText(link('javascript:alert(1)', 'log')), 'log');
    assert.equal(htmlText(link(null, 'log')), 'log');
  });
});

describe('the job-failed mail', () => {
  const root = nodeEvent({
    id: 1,
    name: 'checkout',
    state: 'available',
    data: { author: 'jdoe', message: 'Fix the frobnicator' },
  });
  const node = nodeEvent({
    id: 3,
    name: 'build-x86_64',
    job: 'build',
    parent_id: 1,
    state: 'done',
    result: 'fail',
    path: ['checkout', 'build-x86_64'],
    data: {
      builder: 'builder-1.example.org',
      exit_code: 1,
      reason: 'mock exited with 1',
      duration_ms: 182_000,
    },
    artifacts: {
      'build.log': { size: 10, sha256: '0'.repeat(64), url: `${SERVER}/api/v1/nodes/3/artifacts/build.log` },
      'root.log': { size: 3, sha256: '0'.repeat(64), url: `${SERVER}/api/v1/nodes/3/artifacts/root.log` },
    },
    href: `${SERVER}/api/v1/nodes/3`,
  });

  test('says what, where, why, with links to the log and artifacts and the end of the log', () => {
    const mail = jobFailedMail({
      node,
      root,
      log: { text: 'checking...\nerror: bad spec\nexit 1', truncated: true, problem: null },
      rule: 'failures',
      serverUrl: SERVER,
    });
    assert.equal(mail.subject, '[sluice] rpms/bash/rawhide 4f2a9c1e0b7d: build-x86_64 failed');
    assertIncludesAll(mail.text, [
      'Job build-x86_64 (job build) failed on builder-1.example.org.',
      'Path:      checkout › build-x86_64',
      'Reason:    mock exited with 1',
      'Exit code: 1',
      'Duration:  3m 2s',
      'Change:    rpms/bash/rawhide 4f2a9c1e0b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39',
      'Author:    jdoe',
      // The node's dashboard page (dashboard/page-paths.ts), under the public URL.
      `Page:      ${SERVER}/nodes/3`,
      `Log:       ${SERVER}/api/v1/nodes/3/log`,
      `  build.log  ${SERVER}/api/v1/nodes/3/artifacts/build.log`,
      'The end of the log:',
      '    error: bad spec\n    exit 1',
      'You get this mail because of the Sluice notification rule "failures".',
    ]);
    assert.match(mail.html, /<a href="https:\/\/sluice\.example\.org\/api\/v1\/nodes\/3\/log">/);
    assert.match(mail.html, /<a href="https:\/\/sluice\.example\.org\/nodes\/3">/);
    assert.match(
      mail.html,
      /<a href="https:\/\/sluice\.example\.org\/api\/v1\/nodes\/3\/artifacts\/root\.log">root\.log<\/a>/,
    );
    assert.match(mail.html, /<pre>checking\.\.\.\nerror: bad spec\nexit 1<\/pre>/);
  });

  test('a log that could not be read is said so; HTML-looking log lines and names are escaped', () => {
    const evilNode = { ...node, name: EVIL, data: { ...node.data, reason: EVIL } };
    const mail = jobFailedMail({
      node: evilNode,
      root,
      log: { text: `</pre>${EVIL}`, truncated: false, problem: null },
      rule: 'r',
      serverUrl: SERVER,
    });
    assert.ok(!mail.html.includes('<script>'), 'no markup from the message reaches the HTML');
    assert.ok(visible(mail.html).includes(`</pre>${EVIL}`));
    assert.ok(mail.text.includes('All of the log:'));
    const unread = jobFailedMail({
      node,
      root,
      log: { text: null, truncated: false, problem: 'http://x/log answered HTTP 404' },
      rule: 'r',
      serverUrl: SERVER,
    });
    assert.ok(unread.text.includes('No log to quote: http://x/log answered HTTP 404.'));
  });

  test('a subject made of message fields stays on one line', () => {
    const mail = jobFailedMail({
      node: { ...node, name: 'a\r\nBcc: victim@example.org' },
      root,
      log: { text: null, truncated: false, problem: 'x' },
      rule: 'r',
      serverUrl: SERVER,
    });
    assert.ok(!/[\r\n]/.test(mail.subject));
  });
});

describe('the decision-changed mail', () => {
  test('subject, context, before → after, what is unsatisfied and why, how to waive', () => {
    const d = decisionUpdate(SATISFIED, {
      ...UNSATISFIED,
      unsatisfied_requirements: [
        failed('dist.rpmdeplint', 9),
        missing('fedora-ci.koji-build.tier1.functional'),
      ],
    });
    const mail = decisionChangedMail({ decision: d, before: SATISFIED, rule: 'gating', serverUrl: SERVER });
    assert.equal(
      mail.subject,
      '[sluice] gating bash-5.2.26-3.fc41 (fedora-41, bodhi_update_push_stable): satisfied → unsatisfied',
    );
    assertIncludesAll(mail.text, [
      'The gating decision for bash-5.2.26-3.fc41 is no longer satisfied.',
      'Subject:          koji_build bash-5.2.26-3.fc41',
      'Decision context: bodhi_update_push_stable',
      'Product version:  fedora-41',
      'Before:           satisfied: All required tests (2 total) have passed or been waived',
      'After:            unsatisfied: Of 2 required tests, 1 test failed',
      // The subject's dashboard page (dashboard/page-paths.ts): each requirement and the history.
      `Page:             ${SERVER}/subjects/koji_build/bash-5.2.26-3.fc41`,
      'Unsatisfied (2):',
      `  - dist.rpmdeplint: failed [new]\n    ${SERVER}/api/v2.0/results/9`,
      '  - fedora-ci.koji-build.tier1.functional: no result yet [new]',
      "  sluice waive koji_build bash-5.2.26-3.fc41 dist.rpmdeplint --product-version fedora-41 --comment 'WHY'",
      `  curl -X POST ${SERVER}/api/v1.0/waivers/`,
      `-d '{"subject_type":"koji_build","subject_identifier":"bash-5.2.26-3.fc41","testcase":"dist.rpmdeplint","product_version":"fedora-41","comment":"WHY"}'`,
    ]);
    assert.match(
      mail.html,
      /<b>dist\.rpmdeplint<\/b>: failed <span class="fail">\[new\]<\/span> \(<a href="https:\/\/sluice\.example\.org\/api\/v2\.0\/results\/9">result<\/a>\)/,
    );
    assert.ok(visible(mail.html).includes('"testcase": "dist.rpmdeplint"'), 'the HTML shows the waiver body');
    assert.match(
      mail.html,
      /<a href="https:\/\/sluice\.example\.org\/subjects\/koji_build\/bash-5\.2\.26-3\.fc41">/,
    );
  });

  test('satisfied again: what is no longer unsatisfied, and nothing to waive', () => {
    const mail = decisionChangedMail({
      decision: decisionUpdate(UNSATISFIED, SATISFIED),
      before: UNSATISFIED,
      rule: 'gating',
      serverUrl: SERVER,
    });
    assert.match(mail.subject, /: unsatisfied → satisfied$/);
    assert.ok(mail.text.includes('The gating decision for bash-5.2.26-3.fc41 is satisfied now.'));
    assert.ok(mail.text.includes('No longer unsatisfied (1):\n  - dist.rpmdeplint (was: failed)'));
    assert.ok(!mail.text.includes('sluice waive'));
  });

  test('a scenario and a strange test case name are quoted for the shell', () => {
    const d = decisionUpdate(SATISFIED, {
      ...UNSATISFIED,
      unsatisfied_requirements: [failed("it's $(rm -rf)", 9, 'fedora.x86_64')],
    });
    const mail = decisionChangedMail({ decision: d, before: SATISFIED, rule: 'g', serverUrl: SERVER });
    assert.ok(
      mail.text.includes(
        `sluice waive koji_build bash-5.2.26-3.fc41 'it'\\''s $(rm -rf)' --product-version fedora-41 --scenario fedora.x86_64 --comment 'WHY'`,
      ),
      mail.text,
    );
  });

  test("why a requirement is unsatisfied, for each of Greenwave's answer types", () => {
    assert.equal(
      why({ type: 'test-result-errored', error_reason: 'CI out of memory' }),
      'errored: CI out of memory',
    );
    assert.equal(why({ type: 'test-result-failed-waived' }), 'failed (waived)');
    assert.equal(
      why({ type: 'invalid-gating-yaml', details: 'bad rule' }),
      'the gating.yaml is invalid: bad rule',
    );
    assert.equal(why({ type: 'missing-gating-yaml' }), 'the required gating.yaml is missing');
    assert.equal(why({ type: 'something-new' }), 'something-new');
  });
});

describe('the run report', () => {
  const base = { repo: 'rpms/bash', branch: 'rawhide' };
  const root = nodeEvent({
    id: 1,
    name: 'checkout',
    ...base,
    state: 'done',
    previous_state: 'closing',
    data: { author: 'jdoe', message: 'Fix the frobnicator\n\nLonger text' },
    href: `${SERVER}/api/v1/nodes/1`,
  });
  const nodes = [
    root,
    nodeEvent({
      id: 2,
      name: 'build',
      parent_id: 1,
      result: 'pass',
      data: { builder: 'b1', duration_ms: 61_000 },
    }),
    nodeEvent({
      id: 3,
      name: 'test-a',
      parent_id: 2,
      path: ['checkout', 'build', 'test-a'],
      result: 'incomplete',
      data: {},
    }),
    nodeEvent({
      id: 4,
      name: 'test-a',
      parent_id: 2,
      path: ['checkout', 'build', 'test-a'],
      result: 'fail',
      retry_of: 3,
      href: `${SERVER}/api/v1/nodes/4`,
    }),
    nodeEvent({ id: 5, name: 'lint', parent_id: 1, result: 'skip' }),
    nodeEvent({ id: 6, name: EVIL, parent_id: 1, result: 'pass' }),
  ];
  const report = {
    root,
    nodes,
    failingTests: [
      {
        testcase: 'sluice.test-a.test_frob',
        outcome: 'FAILED',
        note: 'assert 1 == 2',
        url: `${SERVER}/api/v2.0/results/77`,
        nodeId: 4,
      },
    ],
    moreFailingTests: false,
  };

  test('subject counts jobs and failures; a summary, a table of jobs, failing tests with links', () => {
    const mail = runReportMail(report, 'reports');
    assert.equal(mail.subject, '[sluice] rpms/bash/rawhide 4f2a9c1e0b7d: 4 jobs, 1 failure');
    assertIncludesAll(mail.text, [
      'Run 1 of rpms/bash/rawhide 4f2a9c1e0b7d is done: 4 jobs, 1 failure.',
      'Author:  jdoe',
      'Commit:  Fix the frobnicator',
      'Jobs:    4: 2 passed, 1 failed, 1 skipped, 0 incomplete',
      'job                           result  duration  builder',
      'build                         pass    1m 1s     b1',
      'build › test-a                fail    1m 35s',
      'lint                          skip    1m 35s',
      `  build › test-a: ${SERVER}/api/v1/nodes/4/log`,
      `Failing tests (1):\n  FAILED sluice.test-a.test_frob (assert 1 == 2)\n         ${SERVER}/api/v2.0/results/77`,
    ]);
    assert.ok(!mail.text.includes('incomplete  '), 'the attempt that was re-run is not listed');
    assert.match(mail.html, /<td class="fail">fail<\/td>/);
    assert.match(
      mail.html,
      /<a href="https:\/\/sluice\.example\.org\/api\/v2\.0\/results\/77">sluice\.test-a\.test_frob<\/a>/,
    );
    assert.ok(!mail.html.includes('<script>'));
  });

  test('more failing tests than a page, and a run without jobs', () => {
    const more = runReportMail({ ...report, moreFailingTests: true }, 'r');
    assert.ok(
      more.text.includes('Failing tests (1+):') && more.text.includes('… and more (see the results API)'),
    );
    const empty = runReportMail({ root, nodes: [root], failingTests: [], moreFailingTests: false }, 'r');
    assert.equal(empty.subject, '[sluice] rpms/bash/rawhide 4f2a9c1e0b7d: 0 jobs, 0 failures');
    assert.ok(empty.text.includes('No jobs ran.'));
  });
});

describe('the end of a log', () => {
  test('the last lines; a line cut by the byte limit is dropped', () => {
    assert.deepEqual(lastLines(Buffer.from('a\nb\nc\nd\n'), 2, false), {
      text: 'c\nd',
      truncated: true,
      problem: null,
    });
    assert.deepEqual(lastLines(Buffer.from('a\nb\n'), 5, false), {
      text: 'a\nb',
      truncated: false,
      problem: null,
    });
    assert.deepEqual(lastLines(Buffer.from('lf-cut line\nwhole\n'), 5, true), {
      text: 'whole',
      truncated: true,
      problem: null,
    });
    // A multi-byte character cut in half at the start is not shown as garbage.
    assert.equal(lastLines(Buffer.from('€x\ny').subarray(1), 5, true).text, 'y');
  });
});
