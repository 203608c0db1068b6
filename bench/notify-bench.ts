/**
 * bench/notify: mails per second through Sluice's notification outbox (written as a consumer's
 * effect writes them, then claimed, sent over a pooled SMTP connection and marked sent) to a
 * real SMTP server on loopback, next to a bare nodemailer
 * pooled send loop of the same mails to the same server, in the same run. The server runs in a
 * process of its own. Rounds alternate so that both sides see the same machine state; medians
 * are reported with their ratio.
 */
import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MailOutbox } from '../db/mail-outbox.js';
import { migrate } from '../db/migrate.js';
import { openDatabase } from '../db/open-database.js';
import { NotificationSender } from '../notify/notification-sender.js';
import { MailChannel } from '../notify/mail-channel.js';
import { WebhookChannel } from '../notify/webhook-channel.js';
import { ChatChannel } from '../notify/chat-channel.js';
import { SmtpMailTransport } from '../notify/smtp-mail-transport.js';
import { decisionChangedMail } from '../notify/templates/decision-changed-mail.js';
import { benchConfig, benchLogger, median, rate } from './bench-support.js';

const N = Number(process.env.BENCH_MAILS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 5);
const FROM = 'Sluice <sluice@bench.example.org>';
const TO = ['maint@example.org', 'qa@example.org'];
const HEADERS = {
  'Auto-Submitted': 'auto-generated',
  'X-Sluice-Rule': 'bench',
  'X-Sluice-Mail': 'decision-changed',
};

/** The SMTP server process (bench/smtp-sink.ts) and what it has taken. */
class Sink {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<Sink> {
    const child = fork(fileURLToPath(new URL('./smtp-sink.js', import.meta.url)));
    const port = await new Promise<number>((resolve) =>
      child.once('message', (m: { port: number }) => resolve(m.port)),
    );
    return new Sink(child, port);
  }

  private ask<T>(message: object, answer: (m: Record<string, unknown>) => T | undefined): Promise<T> {
    return new Promise((resolve) => {
      const on = (m: Record<string, unknown>) => {
        const v = answer(m);
        if (v === undefined) return;
        this.child.off('message', on);
        resolve(v);
      };
      this.child.on('message', on);
      this.child.send(message);
    });
  }

  until(count: number): Promise<number> {
    return this.ask({ expect: count }, (m) => m.reached as number | undefined);
  }

  reset(): void {
    this.child.send({ reset: true });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.send({ stop: true });
    });
  }

  /** Every mail arrived exactly once. */
  async check(expected: string[], side: string): Promise<void> {
    const seen = new Map(
      await this.ask({ report: true }, (m) => m.seen as Array<[string, number]> | undefined),
    );
    const twice = [...seen.values()].filter((c) => c !== 1).length;
    const missing = expected.filter((id) => !seen.has(id)).length;
    if (twice || missing || seen.size !== expected.length)
      throw new Error(`${side}: ${missing} mails missing, ${twice} not exactly once, ${seen.size} distinct`);
  }
}

/** Mails per second, and this process's CPU per mail (the SMTP server's is in its own process). */
interface Round {
  rate: number;
  cpuMsPerMail: number;
}

/** A gating-decision mail as the product makes it, the content both sides send. */
const content = decisionChangedMail({
  decision: {
    subject_type: 'koji_build',
    subject_identifier: 'bash-5.2.26-3.fc41',
    subject: [{ type: 'koji_build', item: 'bash-5.2.26-3.fc41' }],
    decision_context: 'bodhi_update_push_stable',
    product_version: 'fedora-41',
    policies_satisfied: false,
    summary: 'Of 2 required tests, 1 test failed',
    satisfied_requirements: [
      { type: 'test-result-passed', testcase: 'fedora-ci.koji-build.tier0.functional', result_id: 6 },
    ],
    unsatisfied_requirements: [
      {
        type: 'test-result-failed',
        testcase: 'dist.rpmdeplint',
        result_id: 9,
        subject_type: 'koji_build',
        subject_identifier: 'bash-5.2.26-3.fc41',
        scenario: null,
      },
    ],
    applicable_policies: ['fedora-41-stable'],
    previous: {
      policies_satisfied: true,
      summary: 'All required tests passed',
      unsatisfied_requirements: [],
    },
  },
  before: { policies_satisfied: true, summary: 'All required tests passed', unsatisfied_requirements: [] },
  rule: 'bench',
  serverUrl: 'https://sluice.example.org',
});

const smtpSettings = (port: number) => ({
  transport: 'smtp' as const,
  from: FROM,
  smtp: { host: '127.0.0.1', port, maxConnections: CONNECTIONS, maxMessagesPerConnection: 100_000 },
});

/**
 * Mails written as consumers write them, 50 messages' worth at a time (they arrive in deliveries):
 * `grouped`, as the RabbitMQ consumer commits what arrived together, one transaction with a
 * savepoint per message; otherwise a transaction per mail, as the embedded bus commits each.
 */
async function sluiceRound(server: Sink, round: number, grouped: boolean): Promise<Round> {
  const config = benchConfig({ notify: { ...smtpSettings(server.port), batchSize: 200 } }, `notify ${round}`);
  const db = openDatabase(config.db.path);
  migrate(db);
  const outbox = new MailOutbox(db, 'bench.example.org');
  const transport = new SmtpMailTransport(config.notify.smtp);
  const logger = benchLogger();
  const channels = {
    mail: new MailChannel(outbox, transport, config.notify, () => 'https://sluice.example.org', logger),
    webhook: new WebhookChannel(outbox, config.notify.httpTimeoutMs),
    chat: new ChatChannel(outbox, () => 'https://sluice.example.org', config.notify.httpTimeoutMs),
  };
  const sender = new NotificationSender(outbox, db, channels, config.notify, logger);
  sender.start();
  const add = db.transaction((i: number) =>
    outbox.addMail({
      rule: 'bench',
      template: 'decision-changed',
      from: FROM,
      to: TO,
      content: { ...content, subject: `${content.subject} #${i}` },
    }),
  );
  const delivery = db.transaction((first: number) => {
    for (let i = first; i < first + 50 && i < N; i++) add(i);
  });
  const arrived = server.until(N);
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let first = 0; first < N; first += 50) {
    if (grouped) delivery(first);
    else for (let i = first; i < first + 50 && i < N; i++) add(i);
    sender.kick();
    await new Promise((r) => setImmediate(r));
  }
  await arrived;
  // Done when the outbox knows it, not only the server.
  while (outbox.counts().sent < N) await new Promise((r) => setImmediate(r));
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const ids = (db.prepare('SELECT message_id FROM mail_outbox').all() as Array<{ message_id: string }>).map(
    (r) => r.message_id,
  );
  await server.check(ids, 'sluice');
  await sender.stop();
  await transport.close();
  db.close();
  return { rate: rate(N, ms), cpuMsPerMail: (used.user + used.system) / 1000 / N };
}

/**
 * The baseline: the same mails straight into nodemailer's pool, `window` at a time (every one at
 * once when the window is N), no store. The better of the two windows is the baseline.
 */
async function bareRound(server: Sink, window: number): Promise<Round> {
  const transporter = nodemailer.createTransport({
    pool: true,
    host: '127.0.0.1',
    port: server.port,
    maxConnections: CONNECTIONS,
    maxMessages: 100_000,
    logger: false,
  });
  const ids = Array.from({ length: N }, () => `<${randomUUID()}@bench.example.org>`);
  const send = (i: number) =>
    // The same mail as Sluice's, byte for byte but the Message-ID: its headers included.
    transporter.sendMail({
      from: FROM,
      to: TO,
      subject: `${content.subject} #${i}`,
      text: content.text,
      html: content.html,
      messageId: ids[i],
      headers: HEADERS,
    });
  const arrived = server.until(N);
  const started = performance.now();
  const cpu = process.cpuUsage();
  let next = 0;
  const worker = async () => {
    while (next < N) await send(next++);
  };
  await Promise.all(Array.from({ length: Math.min(window, N) }, worker));
  await arrived;
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await server.check(ids, 'bare nodemailer');
  transporter.close();
  return { rate: rate(N, ms), cpuMsPerMail: (used.user + used.system) / 1000 / N };
}

const server = await Sink.start();
const grouped: Round[] = [];
const single: Round[] = [];
const bareAll: Round[] = [];
const bareWindow: Round[] = [];
// One warm-up of each (JIT, first connections), not counted.
await bareRound(server, N);
server.reset();
await sluiceRound(server, 0, true);
server.reset();
for (let round = 1; round <= ROUNDS; round++) {
  bareAll.push(await bareRound(server, N));
  server.reset();
  bareWindow.push(await bareRound(server, 200));
  server.reset();
  grouped.push(await sluiceRound(server, round, true));
  server.reset();
  single.push(await sluiceRound(server, round, false));
  server.reset();
}
await server.stop();
const rates = (rounds: Round[]) => rounds.map((r) => r.rate);
const cpu = (rounds: Round[]) => median(rounds.map((r) => r.cpuMsPerMail));
const best = (rounds: Round[]) => Math.max(...rates(rounds));
const mid = (rounds: Round[]) => median(rates(rounds));
const bare = mid(bareAll) >= mid(bareWindow) ? bareAll : bareWindow;
const line = (label: string, rounds: Round[]) =>
  `  ${label.padEnd(62)} median ${String(mid(rounds)).padStart(5)}, best ${String(best(rounds)).padStart(5)} mails/s, ${cpu(rounds).toFixed(3)} ms CPU a mail   (rounds: ${rates(rounds).join(', ')})`;
const ratio = (rounds: Round[], of: (r: Round[]) => number) => {
  const r = of(rounds) / of(bare);
  return `${r.toFixed(2)}${Number(r.toFixed(2)) >= 0.8 ? '' : ' (below target)'}`;
};
const cpuRatio = (rounds: Round[]) => (cpu(bare) / cpu(rounds)).toFixed(2);
console.log(
  `notify bench: ${N} mails (${content.text.length + content.html.length} bytes of text + HTML each, ${TO.length} recipients) to a local SMTP server, pool of ${CONNECTIONS} connections, ${ROUNDS} rounds; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs`,
);
console.log(line('sluice outbox → SMTP, written 50 to a transaction (RabbitMQ):', grouped));
console.log(line('sluice outbox → SMTP, each written in its own (embedded bus):', single));
console.log(line(`bare nodemailer pool loop, all ${N} at once:`, bareAll));
console.log(line('bare nodemailer pool loop, 200 at a time:', bareWindow));
console.log(`  ratio to the faster bare loop (target ≥ 0.80), rate median / rate best / CPU a mail:`);
console.log(
  `    written 50 to a transaction: ${ratio(grouped, mid)} / ${ratio(grouped, best)} / ${cpuRatio(grouped)}`,
);
console.log(
  `    each in its own transaction: ${ratio(single, mid)} / ${ratio(single, best)} / ${cpuRatio(single)}`,
);
