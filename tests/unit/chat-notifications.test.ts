import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NotifyRuleSettings } from '../../config/config-types.js';
import { compileRules } from '../../notify/notify-rules.js';
import { retryAfterMs } from '../../notify/retry-after.js';
import { chatText } from '../../notify/templates/chat-text.js';
import type { NodeEvent } from '../../notify/node-event.js';
import { decisionUpdate, nodeEvent, SATISFIED, UNSATISFIED } from '../support/notify-fixtures.js';

const BASE = 'https://ci.example.org/sluice/';

describe('chat posts', () => {
  test('a failed job: headline with the change, links to the job page, the run page and the log, the log tail', () => {
    const node: NodeEvent = {
      ...nodeEvent({ id: 7, name: 'tier0', parent_id: 1 }),
      result: 'fail',
      previous_result: null,
      data: { builder: 'builder <1> & co', exit_code: 2 },
    };
    const text = chatText(
      {
        about: 'job-failed',
        node,
        root: null,
        log: { text: 'ok 1\nnot ok 2 - <script>\n', truncated: false, problem: null },
      },
      BASE,
      'slack',
    )!;
    const lines = text.split('\n');
    assert.equal(
      lines[0],
      ':x: *rpms/bash/rawhide 4f2a9c1e0b7d*: job <https://ci.example.org/sluice/nodes/7|tier0> failed on builder &lt;1&gt; &amp; co (exit code 2)',
    );
    assert.equal(
      lines[1],
      '<https://ci.example.org/sluice/runs/1|run 1> · <http://127.0.0.1:1/api/v1/nodes/7/log|log>',
    );
    assert.equal(lines.slice(2).join('\n'), '```\nok 1\nnot ok 2 - &lt;script&gt;\n```');
  });

  test('a run report names the failed jobs with links; markdown for Mattermost and Rocket.Chat', () => {
    const root = { ...nodeEvent({ id: 1, name: 'checkout' }), run_id: 4 };
    const jobs = [
      { ...nodeEvent({ id: 2, name: 'build', parent_id: 1 }), run_id: 4 },
      { ...nodeEvent({ id: 3, name: 'test_x', parent_id: 1 }), run_id: 4, result: 'fail' as const },
    ];
    const report = { root, nodes: [root, ...jobs], failingTests: [], moreFailingTests: false };
    assert.equal(
      chatText({ about: 'run-report', report }, BASE, 'markdown'),
      [
        ':x: **rpms/bash/rawhide 4f2a9c1e0b7d**: [run 4](https://ci.example.org/sluice/runs/4) finished, 2 jobs: 1 passed, 1 failed, 0 skipped, 0 incomplete',
        'Failed: [test\\_x](https://ci.example.org/sluice/nodes/3)',
      ].join('\n'),
    );
    assert.match(
      chatText({ about: 'run-report', report: { ...report, nodes: [root, jobs[0]!] } }, BASE, 'slack')!,
      /^:white_check_mark: .* finished, 1 job: 1 passed, 0 failed/,
    );
  });

  test('a decision change links the subject page and its history; raw messages are not for chat', () => {
    const d = decisionUpdate(UNSATISFIED, SATISFIED);
    assert.equal(
      chatText({ about: 'decision-changed', decision: d, before: d.previous }, BASE, 'slack'),
      [
        ':white_check_mark: Gating for <https://ci.example.org/sluice/subjects/koji_build/bash-5.2.26-3.fc41|bash-5.2.26-3.fc41> (fedora-41, bodhi_update_push_stable) is satisfied: All required tests (2 total) have passed or been waived',
        '<https://ci.example.org/sluice/subjects/koji_build/bash-5.2.26-3.fc41/history|decision history>',
      ].join('\n'),
    );
    assert.equal(chatText({ about: 'message' }, BASE, 'slack'), null);
  });
});

describe('Retry-After', () => {
  test('seconds or an HTTP date; anything else is no instruction', () => {
    const now = Date.parse('2026-12-06T05:00:00Z');
    assert.equal(retryAfterMs('30', now), 30_000);
    assert.equal(retryAfterMs(' 0 ', now), 0);
    assert.equal(retryAfterMs('Sun, 06 Dec 2026 05:01:00 GMT', now), 60_000);
    assert.equal(retryAfterMs('Sun, 06 Dec 2026 04:00:00 GMT', now), 0);
    for (const bad of [undefined, null, '', '-1', '1.5', 'soon', '12:00'])
      assert.equal(retryAfterMs(bad, now), undefined, String(bad));
  });
});

describe('chat in notification rules', () => {
  const rule = (r: Partial<NotifyRuleSettings>): NotifyRuleSettings => ({
    name: 'r',
    when: {},
    recipients: [],
    ...r,
  });
  test('chat alone says what it is about, and gets that mail’s topics and conditions', () => {
    const { rules, problems } = compileRules({
      rules: [rule({ chat: { urlFile: '/run/secrets/slack', about: 'job-failed' } })],
      debounceSeconds: 60,
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(rules[0]!.chat, { urlFile: '/run/secrets/slack', format: 'slack', about: 'job-failed' });
    assert.deepEqual(rules[0]!.topics, ['pipeline.node.updated']);
    assert.deepEqual(rules[0]!.node, { result: ['fail'] });
    assert.equal(rules[0]!.mail, null);
  });

  test('beside mail it tells what the mail tells', () => {
    const { rules } = compileRules({
      rules: [rule({ mail: 'run-report', recipients: ['a@example.org'], chat: { urlFile: '/f' } })],
      debounceSeconds: 60,
    });
    assert.equal(rules[0]!.chat?.about, 'run-report');
    assert.equal(rules[0]!.runDone, true);
  });

  const bad: Array<[string, NotifyRuleSettings, RegExp]> = [
    [
      'chat without about or mail',
      rule({ chat: { urlFile: '/f' } }),
      /^notify\.rules\[0\]\.chat\.about: is required without mail/,
    ],
    [
      'chat about something else than the mail',
      rule({
        mail: 'run-report',
        recipients: ['a@example.org'],
        chat: { urlFile: '/f', about: 'job-failed' },
      }),
      /^notify\.rules\[0\]\.chat\.about: "job-failed" differs from the rule's mail "run-report"; use a rule for each$/,
    ],
    [
      'a chat post from a topic it is not made from',
      rule({ topics: ['git.receive'], chat: { urlFile: '/f', about: 'job-failed' } }),
      /the job-failed chat post is made from pipeline\.node\.updated messages, not "git\.receive"/,
    ],
  ];
  for (const [what, r, problem] of bad)
    test(`refused: ${what}`, () => {
      const { rules, problems } = compileRules({ rules: [r], debounceSeconds: 60 });
      assert.equal(rules.length, 0);
      assert.match(problems.join('\n'), problem);
    });
});
