import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { HttpReceiver, slackVerdict } from '../support/http-receiver.js';
import {
  decisionUpdate,
  nodeEvent,
  REVISION,
  SATISFIED,
  SUBJECT,
  UNSATISFIED,
} from '../support/notify-fixtures.js';
import { notifyHarness } from '../support/notify-service.js';
import { waitFor } from '../support/wait-for.js';

const HOOK = '/services/T024BE7LD/B01ABCDEF/zdjD0b3aS7uWcVnYxN9Q';

function urlFile(url: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'sluice-chat-')), 'slack-url');
  writeFileSync(file, `${url}\n`, { mode: 0o600 });
  return file;
}

test('a decision change is posted to a Slack-compatible hook as readable text with links; the hook URL stays secret', {
  timeout: 30_000,
}, async (t) => {
  const slack = await HttpReceiver.create(t);
  slack.answer = (call) => slackVerdict(call, HOOK) ?? { status: 200, body: 'ok' };
  const file = urlFile(`${slack.base}${HOOK}`);
  const h = await notifyHarness(t, {
    rules: [
      {
        name: 'gating-to-chat',
        when: { decision: 'became-unsatisfied' },
        chat: { urlFile: file, about: 'decision-changed' },
      },
    ],
  });
  await h.publish('greenwave.decision.update', decisionUpdate(SATISFIED, UNSATISFIED));
  // Became satisfied: not what the rule posts about.
  await h.publish('greenwave.decision.update', decisionUpdate(UNSATISFIED, SATISFIED));

  const { data } = await waitFor('the post sent', async () => {
    const list = await h.outbox('?kind=chat');
    return list.data.length === 1 && list.data[0]!.state === 'sent' ? list : undefined;
  });
  assert.equal(slack.calls.length, 1);
  const call = slack.calls[0]!;
  assert.equal(call.status, 200, 'Slack took it');
  assert.equal(call.headers['content-type'], 'application/json');
  const { text } = JSON.parse(call.body) as { text: string };
  const subjectPage = `${h.base}/subjects/${SUBJECT.type}/${SUBJECT.id}`;
  assert.match(
    text,
    /^:no_entry: Gating for <[^|]+\|bash-5\.2\.26-3\.fc41> \(fedora-41, bodhi_update_push_stable\)/,
  );
  assert.ok(text.includes(`<${subjectPage}|${SUBJECT.id}>`), 'the subject links to its dashboard page');
  assert.ok(text.includes(`<${subjectPage}/history|decision history>`));
  assert.ok(text.includes('Unsatisfied: dist.rpmdeplint (test-result-failed)'));
  assert.ok(text.includes('Of 2 required tests, 1 test failed'));

  const entry = data[0]!;
  assert.equal(entry.rule, 'gating-to-chat');
  assert.equal(entry.template, 'decision-changed');
  assert.deepEqual(entry.recipients, [file], 'the outbox names the file, not the URL');
  const listing = JSON.stringify(await h.outbox());
  assert.ok(!listing.includes(HOOK), 'the hook URL is nowhere in the outbox listing');
});

test('a 429 waits as long as Retry-After says; a 5xx is retried with backoff; neither error shows the URL', {
  timeout: 30_000,
}, async (t) => {
  const slack = await HttpReceiver.create(t);
  let n = 0;
  slack.answer = (call) => {
    const bad = slackVerdict(call, HOOK);
    if (bad) return bad;
    n++;
    if (n === 1) return { status: 503, body: 'service_unavailable' };
    if (n === 2) return { status: 429, body: 'rate_limited', headers: { 'retry-after': '2' } };
    return { status: 200, body: 'ok' };
  };
  const file = urlFile(`${slack.base}${HOOK}`);
  const h = await notifyHarness(t, {
    rules: [
      { name: 'all-gating-to-chat', chat: { urlFile: file, about: 'decision-changed', format: 'markdown' } },
    ],
  });
  await h.publish('greenwave.decision.update', decisionUpdate(SATISFIED, UNSATISFIED));
  await waitFor('a refusal for a rate limit', async () => {
    const { data } = await h.outbox('?kind=chat');
    return data[0]?.last_error?.includes('HTTP 429') ? data : undefined;
  });
  const { data } = await h.outbox('?kind=chat');
  assert.match(
    data[0]!.last_error!,
    /^POST to the chat webhook in \S+slack-url: HTTP 429 rate_limited \(retry after 2 s\)$/,
  );
  assert.ok(!data[0]!.last_error!.includes(HOOK));
  await waitFor('the post sent', async () => (await h.outbox('?kind=chat&state=sent')).data.length === 1);
  const [first, second, third] = slack.calls;
  assert.equal(slack.calls.length, 3);
  // The harness retries after 100 ms, doubling: the 503 was retried at once, the 429 only when told.
  assert.ok(
    second!.at - first!.at < 1500,
    `a 5xx is retried after the backoff (${second!.at - first!.at} ms)`,
  );
  assert.ok(third!.at - second!.at >= 1900, `a 429 waits its Retry-After (${third!.at - second!.at} ms)`);
  const { text } = JSON.parse(third!.body) as { text: string };
  assert.ok(
    text.includes(`[${SUBJECT.id.replace(/_/g, '\\_')}](${h.base}/subjects/${SUBJECT.type}/${SUBJECT.id})`),
    `markdown links for Mattermost and Rocket.Chat: ${text}`,
  );
});

test('a rule with mail and chat tells a failed job both ways, once each, the chat post with its links', {
  timeout: 30_000,
}, async (t) => {
  const slack = await HttpReceiver.create(t);
  slack.answer = (call) => slackVerdict(call, HOOK) ?? { status: 200, body: 'ok' };
  const file = urlFile(`${slack.base}${HOOK}`);
  const h = await notifyHarness(t, {
    rules: [
      { name: 'job-failures', mail: 'job-failed', recipients: ['ops@example.org'], chat: { urlFile: file } },
    ],
  });
  const { nodes, transact } = h.service.ctx.pipeline;
  const root = transact(() =>
    nodes.create({
      kind: 'checkout',
      name: 'checkout',
      repo: 'rpms/bash',
      branch: 'rawhide',
      revision: REVISION,
    }),
  );
  const build = nodeEvent(
    {
      id: 3,
      run_id: root.id,
      name: 'build',
      parent_id: root.id,
      state: 'running',
      result: null,
      previous_state: null,
    },
    h.base,
  );
  const failed = {
    ...build,
    state: 'done',
    previous_state: 'running',
    result: 'fail',
    data: { builder: 'builder-7', exit_code: 2 },
  };
  await h.publish('pipeline.node.updated', failed);
  // Delivered again (a redelivery, a repeated update): no second post.
  await h.publish('pipeline.node.updated', { ...failed, previous_state: 'done', previous_result: 'fail' });
  await h.smtp.waitForMails(1);
  await waitFor('the post sent', async () => (await h.outbox('?kind=chat&state=sent')).data.length === 1);
  assert.equal(slack.calls.length, 1);
  const { text } = JSON.parse(slack.calls[0]!.body) as { text: string };
  assert.equal(
    text.split('\n')[0],
    `:x: *rpms/bash/rawhide ${REVISION.slice(0, 12)}*: job <${h.base}/nodes/3|build> failed on builder-7 (exit code 2)`,
  );
  assert.ok(text.includes(`<${h.base}/runs/${root.id}|run ${root.id}>`), text);
  assert.equal((await h.outbox('?kind=mail')).data.length, 1, 'and one mail');
});
