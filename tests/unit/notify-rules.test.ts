import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NotifyRuleSettings, RawConfig } from '../../config/config-types.js';
import { compileConfig, validateConfig } from '../../service/load-config.js';
import { ConfigError } from '../../errors/config-error.js';
import { changeMeets, classifyChange, sameReceivedDecision } from '../../notify/classify-decision-change.js';
import { compileRules, decisionMeets, matchesMessage, type CompiledRule } from '../../notify/notify-rules.js';
import {
  decisionPackages,
  nvrName,
  repoPackages,
  resolveRecipients,
} from '../../notify/resolve-recipients.js';
import {
  decisionUpdate,
  failed,
  missing,
  nodeEvent,
  SATISFIED,
  UNSATISFIED,
} from '../support/notify-fixtures.js';

function rule(r: Partial<NotifyRuleSettings> & { name: string }): NotifyRuleSettings {
  return { when: {}, recipients: [], ...r };
}

function compileOne(r: Partial<NotifyRuleSettings> & { name: string }, debounceSeconds = 60): CompiledRule {
  const { rules, problems } = compileRules({ rules: [rule(r)], debounceSeconds });
  assert.deepEqual(problems, []);
  return rules[0]!;
}

describe('notification rules: checking the configuration', () => {
  const bad: Array<[what: string, rules: NotifyRuleSettings[], problem: RegExp]> = [
    [
      'two rules of one name',
      [
        rule({ name: 'a', mail: 'run-report', recipients: ['x@example.org'] }),
        rule({ name: 'a', mail: 'run-report', recipients: ['y@example.org'] }),
      ],
      /^notify\.rules\[1\]\.name: "a" is the name of notify\.rules\[0\] too$/,
    ],
    [
      'a rule that does nothing',
      [rule({ name: 'idle', topics: ['git.receive'] })],
      /^notify\.rules\[0\]: says neither mail nor webhook/,
    ],
    [
      'mail without recipients',
      [rule({ name: 'm', mail: 'job-failed' })],
      /^notify\.rules\[0\]\.recipients: a rule with mail needs at least one recipient$/,
    ],
    [
      'recipients without mail',
      [
        rule({
          name: 'm',
          topics: ['git.receive'],
          recipients: ['a@example.org'],
          webhook: { url: 'http://h/x', secret: '0123456789abcdef' },
        }),
      ],
      /^notify\.rules\[0\]\.mail: recipients are given but no mail/,
    ],
    [
      'a recipient that is no address',
      [rule({ name: 'm', mail: 'job-failed', recipients: ['the-boss'] })],
      /^notify\.rules\[0\]\.recipients\[0\]: "the-boss" is neither an address nor "author" or "maintainers"$/,
    ],
    [
      'a mail on topics its template cannot read',
      [
        rule({
          name: 'm',
          mail: 'decision-changed',
          topics: ['resultsdb.result.new'],
          recipients: ['a@example.org'],
        }),
      ],
      /^notify\.rules\[0\]\.topics\[0\]: the decision-changed mail is made from greenwave\.decision\.update messages, not "resultsdb\.result\.new"$/,
    ],
    [
      'a bad topic pattern',
      [rule({ name: 'w', topics: ['git..x'], webhook: { url: 'http://h/x', secret: '0123456789abcdef' } })],
      /^notify\.rules\[0\]\.topics\[0\]: "git\.\.x" is not a topic pattern/,
    ],
    [
      'a decision condition on other topics',
      [
        rule({
          name: 'w',
          topics: ['resultsdb.result.new'],
          when: { decision: 'changed' },
          webhook: { url: 'http://h/x', secret: '0123456789abcdef' },
        }),
      ],
      /^notify\.rules\[0\]\.when\.decision: applies to greenwave\.decision\.update only/,
    ],
    [
      'a node condition on the decision topic',
      [
        rule({
          name: 'w',
          topics: ['greenwave.decision.update'],
          when: { node: { result: 'fail' } },
          webhook: { url: 'http://h/x', secret: '0123456789abcdef' },
        }),
      ],
      /^notify\.rules\[0\]\.when: node and run conditions apply to pipeline\.node\.created, pipeline\.node\.updated only/,
    ],
    [
      'a debounce on a mail that is not debounced',
      [rule({ name: 'm', mail: 'run-report', recipients: ['a@example.org'], debounceSeconds: 5 })],
      /^notify\.rules\[0\]\.debounceSeconds: only decision-changed mails wait/,
    ],
    [
      'a webhook rule without topics',
      [rule({ name: 'w', webhook: { url: 'http://h/x', secret: '0123456789abcdef' } })],
      /^notify\.rules\[0\]\.topics: is required for a rule without mail$/,
    ],
  ];
  for (const [what, rules, problem] of bad) {
    test(`${what} is refused with a problem naming the setting`, () => {
      const { rules: compiled, problems } = compileRules({ rules, debounceSeconds: 60 });
      assert.ok(
        problems.some((p) => problem.test(p)),
        `expected ${problem} in ${JSON.stringify(problems)}`,
      );
      assert.ok(compiled.length < rules.length, 'a refused rule is not compiled');
    });
  }

  test('a configuration with bad rules does not load, and says every problem', () => {
    const raw: RawConfig = {
      notify: {
        rules: [
          { name: 'a', mail: 'job-failed', recipients: ['nobody'] },
          { name: 'b', mail: 'run-report', recipients: ['x@example.org'], when: { decision: 'changed' } },
        ],
        retry: { delayMs: 5000, maxDelayMs: 1000 },
      },
    };
    assert.throws(
      () => compileConfig(validateConfig(raw, 'notify.yaml'), 'notify.yaml', '/tmp'),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.includes('notify.retry.maxDelayMs: must be >= notify.retry.delayMs') &&
        err.problems.some((p) => p.startsWith('notify.rules[0].recipients[0]:')) &&
        err.problems.some((p) => p.startsWith('notify.rules[1].when.decision:')),
    );
  });

  test('the schema refuses unknown settings, bad webhook URLs and short secrets with their paths', () => {
    assert.throws(
      () =>
        validateConfig(
          {
            notify: {
              rules: [
                { name: 'w', topics: ['a.b'], webhook: { url: 'ftp://x', secret: 'short' }, colour: 'red' },
              ],
            },
          },
          'x',
        ),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.some((p) => p.startsWith('notify.rules[0].colour:')) &&
        err.problems.some((p) => p.startsWith('notify.rules[0].webhook.url:')) &&
        err.problems.some((p) => p.startsWith('notify.rules[0].webhook.secret:')),
    );
  });

  test('the mail folder is resolved against the working directory', () => {
    const config = compileConfig(validateConfig({}, 'x'), 'x', '/srv/sluice');
    assert.equal(config.notify.mailDir, '/srv/sluice/var/mail');
    assert.equal(config.notify.transport, 'file');
  });

  test('each mail brings its own topics and trigger', () => {
    const jobFailed = compileOne({ name: 'j', mail: 'job-failed', recipients: ['author'] });
    assert.deepEqual(jobFailed.topics, ['pipeline.node.updated']);
    assert.deepEqual(jobFailed.node, { result: ['fail'] });
    assert.equal(jobFailed.recipients.author, true);
    const report = compileOne({
      name: 'r',
      mail: 'run-report',
      recipients: ['maintainers', 'qa@example.org'],
    });
    assert.equal(report.runDone, true);
    assert.deepEqual(report.recipients, { addresses: ['qa@example.org'], author: false, maintainers: true });
    const decision = compileOne(
      { name: 'd', mail: 'decision-changed', recipients: ['Jane Doe <jane@example.org>'] },
      90,
    );
    assert.deepEqual(decision.topics, ['greenwave.decision.update']);
    assert.equal(decision.decision, 'changed');
    assert.equal(decision.debounceMs, 90_000);
    assert.equal(
      compileOne({ name: 'd2', mail: 'decision-changed', recipients: ['a@example.org'], debounceSeconds: 0 })
        .debounceMs,
      0,
    );
    const widened = compileOne({
      name: 'j2',
      mail: 'job-failed',
      recipients: ['a@example.org'],
      when: { node: { result: ['fail', 'incomplete'], kind: 'test' } },
    });
    assert.deepEqual(widened.node, { result: ['fail', 'incomplete'], kind: ['test'] });
  });
});

describe('notification rules: which messages they match', () => {
  const jobFailed = compileOne({ name: 'j', mail: 'job-failed', recipients: ['a@example.org'] });

  test('a job mail fires when the result becomes fail, not again while it stays so', () => {
    const failing = nodeEvent({
      id: 2,
      name: 'build',
      parent_id: 1,
      state: 'available',
      result: 'fail',
      previous_state: 'running',
      previous_result: null,
    });
    assert.equal(matchesMessage(jobFailed, 'pipeline.node.updated', failing), true);
    const closing = {
      ...failing,
      state: 'done' as const,
      previous_state: 'available' as const,
      previous_result: 'fail' as const,
    };
    assert.equal(
      matchesMessage(jobFailed, 'pipeline.node.updated', closing),
      false,
      'the same failure reaching done is no new failure',
    );
    assert.equal(matchesMessage(jobFailed, 'pipeline.node.updated', { ...failing, result: 'pass' }), false);
    assert.equal(
      matchesMessage(jobFailed, 'pipeline.node.created', failing),
      false,
      'the rule follows updates only',
    );
  });

  test('a run report fires when the root becomes done, and only the root', () => {
    const report = compileOne({ name: 'r', mail: 'run-report', recipients: ['a@example.org'] });
    const root = nodeEvent({
      id: 1,
      name: 'checkout',
      state: 'done',
      previous_state: 'closing',
      result: 'pass',
      previous_result: 'pass',
    });
    assert.equal(matchesMessage(report, 'pipeline.node.updated', root), true);
    assert.equal(matchesMessage(report, 'pipeline.node.updated', { ...root, previous_state: 'done' }), false);
    assert.equal(
      matchesMessage(report, 'pipeline.node.updated', {
        ...root,
        state: 'closing',
        previous_state: 'available',
      }),
      false,
    );
    assert.equal(
      matchesMessage(
        report,
        'pipeline.node.updated',
        nodeEvent({ id: 3, name: 'test', parent_id: 1, state: 'done', previous_state: 'running' }),
      ),
      false,
    );
  });

  test('match: dotted paths against one value or a list of them', () => {
    const r = compileOne({
      name: 'w',
      topics: ['greenwave.#'],
      when: {
        match: {
          decision_context: ['bodhi_update_push_stable', 'bodhi_update_push_testing'],
          'subject.0.type': 'koji_build',
        },
      },
      webhook: { url: 'http://h/x', secret: '0123456789abcdef' },
    });
    const d = decisionUpdate(SATISFIED, UNSATISFIED);
    assert.equal(matchesMessage(r, 'greenwave.decision.update', d), true);
    assert.equal(matchesMessage(r, 'greenwave.decision.update', { ...d, decision_context: 'other' }), false);
    assert.equal(
      matchesMessage(r, 'greenwave.decision.update', { ...d, subject: [{ type: 'compose' }] }),
      false,
    );
    assert.equal(matchesMessage(r, 'resultsdb.result.new', d), false);
  });

  test('decision conditions: changed, became-unsatisfied, became-satisfied', () => {
    const unsat = compileOne({
      name: 'u',
      mail: 'decision-changed',
      recipients: ['a@example.org'],
      when: { decision: 'became-unsatisfied' },
    });
    const any = compileOne({ name: 'c', mail: 'decision-changed', recipients: ['a@example.org'] });
    assert.equal(decisionMeets(unsat, SATISFIED, UNSATISFIED), true);
    assert.equal(decisionMeets(unsat, UNSATISFIED, SATISFIED), false);
    assert.equal(decisionMeets(any, UNSATISFIED, SATISFIED), true);
    assert.equal(decisionMeets(any, UNSATISFIED, UNSATISFIED), false, 'no change is nothing to tell');
  });
});

describe('decision changes', () => {
  test('result ids and the order of requirements are no change; another requirement is', () => {
    const again = { ...UNSATISFIED, unsatisfied_requirements: [failed('dist.rpmdeplint', 4242)] };
    assert.equal(sameReceivedDecision(UNSATISFIED, again), true);
    const two = { ...UNSATISFIED, unsatisfied_requirements: [failed('a', 1), missing('b')] };
    assert.equal(
      sameReceivedDecision(two, { ...two, unsatisfied_requirements: [missing('b'), failed('a', 2)] }),
      true,
    );
    assert.equal(
      sameReceivedDecision(UNSATISFIED, {
        ...UNSATISFIED,
        unsatisfied_requirements: [missing('dist.rpmdeplint')],
      }),
      false,
    );
    assert.equal(
      sameReceivedDecision(UNSATISFIED, {
        ...UNSATISFIED,
        unsatisfied_requirements: [failed('dist.rpmdeplint', 9, 'x86_64')],
      }),
      false,
    );
  });

  test('classification', () => {
    assert.equal(classifyChange(SATISFIED, UNSATISFIED), 'became-unsatisfied');
    assert.equal(classifyChange(UNSATISFIED, SATISFIED), 'became-satisfied');
    assert.equal(
      classifyChange(UNSATISFIED, { ...UNSATISFIED, unsatisfied_requirements: [missing('x')] }),
      'changed',
    );
    assert.equal(classifyChange(UNSATISFIED, UNSATISFIED), 'unchanged');
    assert.equal(classifyChange(null, UNSATISFIED), 'became-unsatisfied');
    assert.equal(changeMeets('changed', 'became-satisfied'), true);
    assert.equal(changeMeets('became-unsatisfied', 'became-satisfied'), false);
    assert.equal(changeMeets('changed', 'unchanged'), false);
  });
});

describe('recipients', () => {
  const settings = {
    people: { jdoe: 'Jane Doe <jane@example.org>' },
    authorDomain: null,
    maintainers: { bash: ['bash-maint@example.org', 'JANE@example.org'], 'rpms/zsh': ['zsh@example.org'] },
  };
  const all = { addresses: ['qa@example.org'], author: true, maintainers: true };

  test('fixed addresses, the author from people, the maintainers of the package; each address once', () => {
    const r = resolveRecipients(all, { author: 'jdoe', packages: ['rpms/bash', 'bash'] }, settings);
    assert.deepEqual(r.to, ['qa@example.org', 'Jane Doe <jane@example.org>', 'bash-maint@example.org']);
    assert.deepEqual(r.unresolved, []);
  });

  test('an author given as an address is used as it is; one without an address and no domain is reported', () => {
    assert.deepEqual(
      resolveRecipients({ ...all, maintainers: false }, { author: 'x@example.com', packages: [] }, settings)
        .to,
      ['qa@example.org', 'x@example.com'],
    );
    const r = resolveRecipients({ ...all, maintainers: false }, { author: 'ghost', packages: [] }, settings);
    assert.deepEqual(r.to, ['qa@example.org']);
    assert.match(r.unresolved[0]!, /author "ghost": not in notify\.people/);
    assert.deepEqual(
      resolveRecipients(
        { ...all, maintainers: false },
        { author: 'ghost', packages: [] },
        { ...settings, authorDomain: 'fedoraproject.org' },
      ).to,
      ['qa@example.org', 'ghost@fedoraproject.org'],
    );
  });

  test('an author from a message that is not one plain address adds no recipient', () => {
    for (const crafted of [
      'a@example.org, b@example.org',
      'Eve <eve@example.org>',
      'x@y.org\r\nBcc: z@w.org',
      'a@b@c.org',
    ]) {
      const r = resolveRecipients(
        { addresses: [], author: true, maintainers: false },
        { author: crafted, packages: [] },
        settings,
      );
      assert.deepEqual(r.to, [], crafted);
      assert.match(r.unresolved[0]!, /not one plain address/);
    }
  });

  test('maintainers: the first package name the map knows; none is reported', () => {
    assert.deepEqual(
      resolveRecipients(
        { addresses: [], author: false, maintainers: true },
        { author: null, packages: ['rpms/zsh', 'zsh'] },
        settings,
      ).to,
      ['zsh@example.org'],
    );
    const none = resolveRecipients(
      { addresses: [], author: false, maintainers: true },
      { author: null, packages: ['fish'] },
      settings,
    );
    assert.deepEqual(none.to, []);
    assert.match(none.unresolved[0]!, /maintainers: none configured for fish/);
  });

  test('package names of builds and repositories', () => {
    assert.equal(nvrName('bash-5.2.26-3.fc41'), 'bash');
    assert.equal(nvrName('python-requests-2.31.0-1.fc41'), 'python-requests');
    assert.deepEqual(decisionPackages('koji_build', 'bash-5.2.26-3.fc41'), ['bash-5.2.26-3.fc41', 'bash']);
    assert.deepEqual(decisionPackages('bodhi_update', 'FEDORA-2026-abc'), ['FEDORA-2026-abc']);
    assert.deepEqual(repoPackages('bash', 'rpms'), ['rpms/bash', 'bash']);
    assert.deepEqual(repoPackages('rpms/bash', null), ['rpms/bash', 'bash']);
    assert.deepEqual(repoPackages(null, null), []);
  });
});
