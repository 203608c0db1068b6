import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { MailOutbox } from '../../db/mail-outbox.js';
import { migrate } from '../../db/migrate.js';
import { type Db, openDatabase } from '../../db/open-database.js';
import { ChatChannel } from '../../notify/chat-channel.js';
import { MailChannel } from '../../notify/mail-channel.js';
import type { Notice } from '../../notify/notification-channel.js';
import { NotificationSender } from '../../notify/notification-sender.js';
import { SmtpMailTransport } from '../../notify/smtp-mail-transport.js';
import { WebhookChannel } from '../../notify/webhook-channel.js';
import { HttpReceiver, slackVerdict } from './http-receiver.js';
import { decisionUpdate, SATISFIED, UNSATISFIED } from './notify-fixtures.js';
import { fastSmtp } from './notify-service.js';
import { SmtpTestServer } from './smtp-test-server.js';
import { silentLogger, testConfig } from './test-config.js';

/** What a channel's far side does with the next attempts. */
export type Mood = 'accept' | 'later' | 'never';

/** One channel, wired as the service wires it, with a real far side on loopback. */
export interface ChannelDeployment {
  db: Db;
  outbox: MailOutbox;
  sender: NotificationSender;
  /** Writes notice #n through the channel, in a transaction of its own; the row id or null. */
  enqueue(n: number, dedupKey?: string): number | null;
  /** Notice #n made a notification inside a transaction that then rolled back. */
  enqueueAndRollBack(n: number): void;
  /** Accepted deliveries: which notice each carried, and what a retry of it keeps the same. */
  received(): Array<{ n: number; identity: string }>;
  /** Every attempt the far side saw, accepted or not, in order. */
  attempts(): Array<{ identity: string; at: number }>;
  mood: Mood;
  /** The far side goes away; `start` brings it back on the same address. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** What the outbox says of a notification the far side refused for good. */
  refusal: RegExp;
}

export interface ChannelFactory {
  name: string;
  open(t: TestContext): Promise<ChannelDeployment>;
}

const SERVER_URL = 'https://sluice.example.org';

/** Notice #n: a decision that became unsatisfied, its number in the summary every channel shows. */
export function sampleNotice(n: number, dedupKey?: string): Notice {
  const d = decisionUpdate(SATISFIED, {
    ...UNSATISFIED,
    summary: `Sample ${n} summary: 1 of 2 required tests failed`,
  });
  return {
    about: 'decision-changed',
    decision: d,
    before: d.previous,
    rule: 'contract',
    source: { messageId: `source-${n}`, topic: 'greenwave.decision.update', body: d },
    facts: { author: null, packages: [] },
    ...(dedupKey ? { dedupKey } : {}),
  };
}

const sampleNumber = (text: string): number => Number(/Sample (\d+) summary/.exec(text)?.[1] ?? NaN);

function store(
  t: TestContext,
  channels:
    | ConstructorParameters<typeof NotificationSender>[2]
    | ((o: MailOutbox) => ConstructorParameters<typeof NotificationSender>[2]),
) {
  const config = testConfig();
  const db = openDatabase(config.db.path);
  migrate(db);
  const outbox = new MailOutbox(db, 'ci.example.org');
  const byKind = typeof channels === 'function' ? channels(outbox) : channels;
  const sender = new NotificationSender(
    outbox,
    db,
    byKind,
    {
      batchSize: 10,
      pollIntervalMs: 50,
      claimTimeoutMs: 60_000,
      retry: { delayMs: 100, maxDelayMs: 400, maxAttempts: 50 },
    },
    silentLogger(),
  );
  t.after(async () => {
    await sender.stop();
    db.close();
  });
  return { db, outbox, sender };
}

function transactional(db: Db, add: (n: number, dedupKey?: string) => number | null) {
  return {
    enqueue: (n: number, dedupKey?: string) => db.transaction(() => add(n, dedupKey))(),
    enqueueAndRollBack(n: number) {
      try {
        db.transaction(() => {
          add(n);
          throw new Error('the effect failed after the notification was written');
        })();
      } catch {}
    },
  };
}

/** Each of the three, and what differs between them: only here. */
export const channelFactories: ChannelFactory[] = [
  {
    name: 'mail (SMTP)',
    async open(t) {
      const smtp = await SmtpTestServer.create();
      t.after(() => smtp.stop());
      const settings = testConfig({ notify: fastSmtp(smtp.port) }).notify;
      const transport = new SmtpMailTransport(settings.smtp);
      t.after(() => transport.close());
      let mail!: MailChannel;
      const s = store(t, (outbox) => {
        mail = new MailChannel(outbox, transport, settings, () => SERVER_URL, silentLogger());
        return {
          mail,
          webhook: new WebhookChannel(outbox, 1000),
          chat: new ChatChannel(outbox, () => SERVER_URL, 1000),
        };
      });
      const d: ChannelDeployment = {
        ...s,
        ...transactional(s.db, (n, key) =>
          mail.enqueue(
            sampleNotice(n, key),
            {
              template: 'decision-changed',
              recipients: { addresses: ['dev@example.org'], author: false, maintainers: false },
            },
            Date.now(),
          ),
        ),
        received: () => smtp.received.map((m) => ({ n: sampleNumber(m.text), identity: m.messageId })),
        attempts: () => smtp.attempts.map((a) => ({ identity: a.messageId, at: 0 })),
        mood: 'accept',
        stop: () => smtp.stop(),
        start: () => smtp.start(),
        refusal: /554 5\.7\.1 rejected as spam/,
      };
      smtp.data = () =>
        d.mood === 'accept'
          ? 'accept'
          : d.mood === 'later'
            ? { code: 451, message: '4.3.0 try again later' }
            : { code: 554, message: '5.7.1 rejected as spam' };
      return d;
    },
  },
  {
    name: 'webhook',
    async open(t) {
      const r = await HttpReceiver.create(t);
      let webhook!: WebhookChannel;
      const s = store(t, (outbox) => {
        webhook = new WebhookChannel(outbox, 1000);
        const mail = new MailChannel(
          outbox,
          {
            kind: 'file',
            target: 'none',
            send: () => Promise.reject(new Error('no')),
            close: async () => {},
          },
          testConfig().notify,
          () => SERVER_URL,
          silentLogger(),
        );
        return { mail, webhook, chat: new ChatChannel(outbox, () => SERVER_URL, 1000) };
      });
      const d: ChannelDeployment = {
        ...s,
        ...transactional(s.db, (n, key) =>
          webhook.enqueue(
            sampleNotice(n, key),
            { url: `${r.base}/hooks/gating`, secret: 'a-webhook-secret-of-some-length' },
            Date.now(),
          ),
        ),
        received: () =>
          r.calls
            .filter((c) => c.status === 200)
            .map((c) => ({ n: sampleNumber(c.body), identity: String(c.headers['x-sluice-delivery']) })),
        attempts: () => r.calls.map((c) => ({ identity: String(c.headers['x-sluice-delivery']), at: c.at })),
        mood: 'accept',
        stop: () => r.stop(),
        start: () => r.start(),
        refusal: /^POST http:\/\/127\.0\.0\.1:\d+\/hooks\/gating: HTTP 410 gone$/,
      };
      r.answer = () =>
        d.mood === 'accept'
          ? { status: 200, body: 'ok' }
          : d.mood === 'later'
            ? { status: 503, body: 'busy' }
            : { status: 410, body: 'gone' };
      return d;
    },
  },
  {
    name: 'chat (Slack-compatible)',
    async open(t) {
      const r = await HttpReceiver.create(t);
      const hookPath = '/services/T0001/B0001/secretsecretsecret';
      const dir = mkdtempSync(path.join(tmpdir(), 'sluice-chat-'));
      const urlFile = path.join(dir, 'chat-url');
      writeFileSync(urlFile, `${r.base}${hookPath}\n`);
      let chat!: ChatChannel;
      const s = store(t, (outbox) => {
        chat = new ChatChannel(outbox, () => SERVER_URL, 1000);
        const mail = new MailChannel(
          outbox,
          {
            kind: 'file',
            target: 'none',
            send: () => Promise.reject(new Error('no')),
            close: async () => {},
          },
          testConfig().notify,
          () => SERVER_URL,
          silentLogger(),
        );
        return { mail, webhook: new WebhookChannel(outbox, 1000), chat };
      });
      const d: ChannelDeployment = {
        ...s,
        ...transactional(s.db, (n, key) =>
          chat.enqueue(sampleNotice(n, key), { urlFile, format: 'slack' }, Date.now()),
        ),
        // Slack's hooks take no delivery id: a retry is the same post, byte for byte.
        received: () =>
          r.calls
            .filter((c) => c.status === 200)
            .map((c) => ({
              n: sampleNumber((JSON.parse(c.body) as { text: string }).text),
              identity: c.body,
            })),
        attempts: () => r.calls.map((c) => ({ identity: c.body, at: c.at })),
        mood: 'accept',
        stop: () => r.stop(),
        start: () => r.start(),
        refusal: /^POST to the chat webhook in \S+chat-url: HTTP 410 channel_is_archived$/,
      };
      r.answer = (call) =>
        slackVerdict(call, hookPath) ??
        (d.mood === 'accept'
          ? { status: 200, body: 'ok' }
          : d.mood === 'later'
            ? { status: 503, body: 'service_unavailable' }
            : { status: 410, body: 'channel_is_archived' });
      return d;
    },
  },
];
