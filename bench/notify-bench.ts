/**
 * bench/notify: mails per second through Sluice's notification outbox (each written in a
 * transaction of its own, as a consumer's effect writes it, then claimed, sent over a pooled
 * SMTP connection and marked sent) to a real SMTP server on loopback, next to a bare nodemailer
 * pooled send loop of the same mails to the same server, in the same run. The server runs in a
 * process of its own. Rounds alternate so that both sides see the same machine state; medians
 * are reported with their ratio.
 */
import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MailOutbox } from '../db/mail-outbox.js';
import { migrate } from '../db/migrate.js';
import { openDatabase } from '../db/open-database.js';
import { NotificationSender } from '../notify/notification-sender.js';
import { SmtpMailTransport } from '../notify/smtp-mail-transport.js';
import { decisionChangedMail } from '../notify/templates/decision-changed-mail.js';
import { benchConfig, benchLogger, median, rate } from './bench-support.js';

const N = Number(process.env.BENCH_MAILS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 5);
const FROM = 'Sluice <sluice@bench.example.org>';
const TO = ['maint@example.org', 'qa@example.org'];

/** The SMTP server process (bench/smtp-sink.ts) and what it has taken. */
class Sink {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<Sink> {
    const child = fork(fileURLToPath(new URL('./smtp-sink.js', import.meta.url)));
    const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
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
    const seen = new Map(await this.ask({ report: true }, (m) => m.seen as Array<[string, number]> | undefined));
    const twice = [...seen.values()].filter((c) => c !== 1).length;
    const missing = expected.filter((id) => !seen.has(id)).length;
    if (twice || missing || seen.size !== expected.length) throw new Error(`${side}: ${missing} mails missing, ${twice} not exactly once, ${seen.size} distinct`);
  }
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
    satisfied_requirements: [{ type: 'test-result-passed', testcase: 'fedora-ci.koji-build.tier0.functional', result_id: 6 }],
    unsatisfied_requirements: [{ type: 'test-result-failed', testcase: 'dist.rpmdeplint', result_id: 9, subject_type: 'koji_build', subject_identifier: 'bash-5.2.26-3.fc41', scenario: null }],
    applicable_policies: ['fedora-41-stable'],
    previous: { policies_satisfied: true, summary: 'All required tests passed', unsatisfied_requirements: [] },
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

async function sluiceRound(server: Sink, round: number): Promise<number> {
  const config = benchConfig({ notify: { ...smtpSettings(server.port), batchSize: 200 } }, `notify ${round}`);
  const db = openDatabase(config.db.path);
  migrate(db);
  const outbox = new MailOutbox(db, 'bench.example.org');
  const transport = new SmtpMailTransport(config.notify.smtp);
  const sender = new NotificationSender(outbox, db, transport, config.notify, benchLogger());
  sender.start();
  const add = db.transaction((i: number) => outbox.addMail({ rule: 'bench', template: 'decision-changed', from: FROM, to: TO, content: { ...content, subject: `${content.subject} #${i}` } }));
  const arrived = server.until(N);
  const started = performance.now();
  // Mails are written as a consumer writes them: one transaction each, as messages arrive
  // (in deliveries of 50 here), the sender woken after each commit.
  for (let i = 0; i < N; i++) {
    add(i);
    sender.kick();
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  await arrived;
  // Done when the outbox knows it, not only the server.
  while (outbox.counts().sent < N) await new Promise((r) => setImmediate(r));
  const ms = performance.now() - started;
  const ids = (db.prepare('SELECT message_id FROM mail_outbox').all() as Array<{ message_id: string }>).map((r) => r.message_id);
  await server.check(ids, 'sluice');
  await sender.stop();
  await transport.close();
  db.close();
  return rate(N, ms);
}

async function bareRound(server: Sink): Promise<number> {
  const transporter = nodemailer.createTransport({ pool: true, host: '127.0.0.1', port: server.port, maxConnections: CONNECTIONS, maxMessages: 100_000, logger: false });
  const ids = Array.from({ length: N }, () => `<${randomUUID()}@bench.example.org>`);
  const arrived = server.until(N);
  const started = performance.now();
  await Promise.all(
    ids.map((messageId, i) =>
      transporter.sendMail({ from: FROM, to: TO, subject: `${content.subject} #${i}`, text: content.text, html: content.html, messageId, headers: { 'Auto-Submitted': 'auto-generated' } }),
    ),
  );
  await arrived;
  const ms = performance.now() - started;
  await server.check(ids, 'bare nodemailer');
  transporter.close();
  return rate(N, ms);
}

const server = await Sink.start();
const sluice: number[] = [];
const bare: number[] = [];
// One warm-up of each (JIT, first connections), not counted.
await bareRound(server);
server.reset();
await sluiceRound(server, 0);
server.reset();
for (let round = 1; round <= ROUNDS; round++) {
  bare.push(await bareRound(server));
  server.reset();
  sluice.push(await sluiceRound(server, round));
  server.reset();
}
await server.stop();
const s = median(sluice);
const b = median(bare);
const ratio = s / b;
console.log(`notify bench: ${N} mails (${content.text.length + content.html.length} bytes of text + HTML each, ${TO.length} recipients) to a local SMTP server, pool of ${CONNECTIONS} connections, median of ${ROUNDS} rounds`);
console.log(`  sluice outbox → SMTP:      ${s} mails/s   (rounds: ${sluice.join(', ')})`);
console.log(`  bare nodemailer pool loop: ${b} mails/s   (rounds: ${bare.join(', ')})`);
console.log(`  ratio: ${ratio.toFixed(2)} (target ≥ 0.80) ${ratio >= 0.8 ? 'ok' : 'BELOW TARGET'}`);
