import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { MailOutbox, type MailPayload, type WebhookPayload } from '../../db/mail-outbox.js';
import { migrate } from '../../db/migrate.js';
import { openDatabase } from '../../db/open-database.js';
import { testConfig } from '../support/test-config.js';

function setup(t: TestContext) {
  const db = openDatabase(testConfig().db.path);
  migrate(db);
  t.after(() => db.close());
  return { db, outbox: new MailOutbox(db, 'ci.example.org') };
}

const content = (n: number) => ({ subject: `mail ${n}`, text: `text ${n}`, html: `<p>html ${n}</p>` });
const mail = (n: number, extra: object = {}) => ({
  rule: 'r',
  template: 'decision-changed',
  from: 'sluice@ci.example.org',
  to: ['a@example.org'],
  content: content(n),
  ...extra,
});

describe('the notification outbox store', () => {
  test('a mail is stored pending under a Message-ID of the configured domain, and claimed with its content', (t) => {
    const { outbox } = setup(t);
    const id = outbox.addMail(mail(1), 1000)!;
    const entry = outbox.get(id)!;
    assert.equal(entry.state, 'pending');
    assert.match(entry.message_id, /^<[0-9a-f-]{36}@ci\.example\.org>$/);
    assert.deepEqual(outbox.claimDue(10, 999), [], 'not due before its time');
    const [claimed] = outbox.claimDue(10, 1000);
    assert.equal(claimed!.messageId, entry.message_id);
    assert.deepEqual(claimed!.payload as MailPayload, {
      from: 'sluice@ci.example.org',
      to: ['a@example.org'],
      subject: 'mail 1',
      text: 'text 1',
      html: '<p>html 1</p>',
      headers: { 'X-Sluice-Rule': 'r', 'X-Sluice-Mail': 'decision-changed' },
    });
    assert.equal(outbox.get(id)!.state, 'sending');
    assert.deepEqual(outbox.claimDue(10, 5000), [], 'a claimed mail is not claimed twice');
  });

  test('a dedup key admits one notification, ever', (t) => {
    const { outbox } = setup(t);
    assert.ok(outbox.addMail(mail(1, { dedupKey: 'run-report:r:7' })));
    assert.equal(outbox.addMail(mail(2, { dedupKey: 'run-report:r:7' })), null);
    assert.ok(outbox.addMail(mail(3, { dedupKey: 'run-report:r:8' })));
    assert.ok(outbox.addMail(mail(4)) && outbox.addMail(mail(5)), 'mails without a key are not limited');
    assert.equal(outbox.list({ states: [], limit: 100 }).length, 4);
  });

  test('claims of a process that died are due again at start; sent, retried, failed and requeued as told', (t) => {
    const { outbox } = setup(t);
    const [a, b, c] = [outbox.addMail(mail(1), 0)!, outbox.addMail(mail(2), 0)!, outbox.addMail(mail(3), 0)!];
    assert.equal(outbox.claimDue(10, 0).length, 3);
    assert.equal(outbox.releaseClaims(), 3);
    assert.equal(outbox.claimDue(10, 0).length, 3);
    outbox.markSent(a, null, 10);
    outbox.markRetry(b, '451 later', 500, 10);
    outbox.markFailed(c, '550 no', 10);
    assert.deepEqual(outbox.counts(), { pending: 1, sending: 0, sent: 1, failed: 1, cancelled: 0 });
    assert.deepEqual(
      [outbox.get(b)!.attempts, outbox.get(b)!.last_error, outbox.get(b)!.due],
      [1, '451 later', new Date(500).toISOString()],
    );
    assert.equal(outbox.nextDue(), 500);
    assert.equal(outbox.requeueFailed(a), false, 'only failed ones go back in line');
    assert.equal(outbox.requeueFailed(c, 20), true);
    assert.deepEqual(
      outbox.list({ states: ['pending'], limit: 10 }).map((e) => e.id),
      [c, b],
    );
  });

  test('a claim never settled is taken again once it is older than the claim timeout, before anything newer', (t) => {
    const { outbox } = setup(t);
    const abandoned = outbox.addMail(mail(1), 0)!;
    outbox.claimDue(10, 100); // claimed at 100 by a process that then died
    const fresh = outbox.addMail(mail(2), 200)!;
    assert.deepEqual(
      outbox.claimDue(10, 300, 50).map((n) => n.id),
      [fresh],
      'a claim made at 100 is not stale before 100',
    );
    outbox.releaseClaims(); // (back to the start: both pending, then both claimed at 300)
    outbox.claimDue(10, 300);
    assert.deepEqual(
      outbox.claimDue(10, 400, 250).map((n) => n.id),
      [],
      'claims of 300 are alive at 400',
    );
    const retaken = outbox.claimDue(1, 9000, 8000);
    assert.deepEqual(
      retaken.map((n) => n.id),
      [abandoned],
      'the oldest abandoned claim first',
    );
    assert.equal(outbox.get(abandoned)!.state, 'sending');
    assert.equal(
      outbox.get(abandoned)!.updated,
      new Date(9000).toISOString(),
      'claimed anew, so not taken a third time',
    );
  });

  test('a debounce window: found while open, rewritten or cancelled, never after it closed or was tried', (t) => {
    const { outbox } = setup(t);
    const id = outbox.addMail(mail(1, { debounceKey: 'k', baseline: '{"x":1}', dueAt: 1000 }), 0)!;
    assert.deepEqual(outbox.openWindow('k', 500), { id, baseline: '{"x":1}', dueAt: 1000 });
    assert.equal(outbox.openWindow('other', 500), undefined);
    assert.equal(
      outbox.replaceWindow(
        id,
        {
          rule: 'r',
          template: 't',
          from: 'f@x.org',
          to: ['b@example.org'],
          content: content(2),
          cancelled: 'back where it was',
        },
        600,
      ),
      true,
    );
    assert.deepEqual([outbox.get(id)!.state, outbox.get(id)!.last_error], ['cancelled', 'back where it was']);
    assert.ok(outbox.openWindow('k', 700), 'a cancelled mail inside its window can be revived');
    outbox.replaceWindow(
      id,
      { rule: 'r', template: 't', from: 'f@x.org', to: ['b@example.org'], content: content(3) },
      800,
    );
    const e = outbox.get(id)!;
    assert.deepEqual(
      [e.state, e.subject, e.recipients, e.last_error],
      ['pending', 'mail 3', ['b@example.org'], null],
    );
    assert.equal(outbox.openWindow('k', 1000), undefined, 'closed at its due time');
    const [claimed] = outbox.claimDue(10, 1000);
    assert.equal((claimed!.payload as MailPayload).text, 'text 3');
  });

  test('a webhook call keeps its body byte for byte', (t) => {
    const { outbox } = setup(t);
    const body = '{"b":1,"a":"ü\\n"}';
    outbox.addWebhook(
      { rule: 'w', url: 'http://h/x', body, headers: { 'X-Sluice-Signature': 'sha256=00' } },
      0,
    );
    const [claimed] = outbox.claimDue(10, 0);
    assert.deepEqual(claimed!.payload as WebhookPayload, {
      url: 'http://h/x',
      body,
      headers: { 'X-Sluice-Signature': 'sha256=00' },
    });
    assert.equal(claimed!.kind, 'webhook');
  });

  test('pruning forgets finished notifications with their content, and keeps the rest', (t) => {
    const { db, outbox } = setup(t);
    const old = outbox.addMail(mail(1), 0)!;
    outbox.claimDue(10, 0);
    outbox.markSent(old, null, 0);
    const waiting = outbox.addMail(mail(2), 0)!;
    assert.equal(outbox.prune(1000, 5000), 1);
    assert.equal(outbox.get(old), undefined);
    assert.ok(outbox.get(waiting));
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM mail_outbox_payload').get() as { n: number }).n, 1);
  });
});
