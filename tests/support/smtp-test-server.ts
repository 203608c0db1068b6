import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { freePort } from './cli.js';
import { waitFor } from './wait-for.js';

export interface ReceivedMail {
  /** The envelope: who the client said the mail is from and for. */
  from: string;
  to: string[];
  raw: Buffer;
  parsed: ParsedMail;
  messageId: string;
  subject: string;
  text: string;
  html: string;
}

/** A refusal as the server says it: the code and the words after it. */
export interface Refusal {
  code: number;
  message: string;
}

/**
 * accept: kept and answered 250; hold: not kept, never answered (the client is left waiting);
 * swallow: kept but never answered (the mail is in, the answer lost on the way back); or a refusal.
 */
export type DataVerdict = 'accept' | Refusal | 'hold' | 'swallow';

/**
 * A real SMTP server (smtp-server, nodemailer's sibling) on a loopback port of its own, that
 * keeps every mail it accepted, parsed as a mail client would. Tests make it refuse recipients
 * (`rcpt`), refuse or hold mails at DATA (`data`), go away (`stop`) and come back on the same
 * port (`start`).
 */
export class SmtpTestServer {
  readonly received: ReceivedMail[] = [];
  /** Every mail whose data arrived, accepted or not (what a refused or held attempt carried). */
  readonly attempts: Array<{ messageId: string; verdict: string }> = [];
  rcpt: (address: string) => Refusal | undefined = () => undefined;
  data: (mail: ReceivedMail) => DataVerdict = () => 'accept';
  private server: SMTPServer | undefined;
  private readonly held: Array<() => void> = [];

  private constructor(
    readonly port: number,
    private readonly login: { user: string; pass: string } | undefined,
  ) {}

  /**
   * Listening unless `listening: false` (the port is then reserved for a later `start`). With
   * `login`, the server asks for AUTH (PLAIN/LOGIN, allowed without TLS on loopback) and takes
   * only those credentials.
   */
  static async create({
    listening = true,
    login,
  }: {
    listening?: boolean;
    login?: { user: string; pass: string };
  } = {}): Promise<SmtpTestServer> {
    const s = new SmtpTestServer(await freePort(), login);
    if (listening) await s.start();
    return s;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const login = this.login;
    const server = new SMTPServer({
      authOptional: !login,
      allowInsecureAuth: true,
      authMethods: ['PLAIN', 'LOGIN'],
      onAuth: (auth, _session, callback) => {
        if (login && auth.username === login.user && auth.password === login.pass)
          callback(null, { user: auth.username });
        else callback(Object.assign(new Error('5.7.8 authentication failed'), { responseCode: 535 }));
      },
      disabledCommands: ['STARTTLS'],
      // No reverse DNS of the client: on a machine without DNS each lookup waits for its timeout.
      disableReverseLookup: true,
      logger: false,
      // Stopping must be an outage now, not after connections drain on their own.
      closeTimeout: 50,
      size: 10 * 1024 * 1024,
      onRcptTo: (address: SMTPServerAddress, _session, callback) => {
        const refusal = this.rcpt(address.address);
        callback(refusal ? smtpError(refusal) : undefined);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          void simpleParser(raw).then((parsed) => {
            const mail: ReceivedMail = {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              raw,
              parsed,
              messageId: parsed.messageId ?? '',
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
            };
            const verdict = this.data(mail);
            this.attempts.push({
              messageId: mail.messageId,
              verdict: typeof verdict === 'string' ? verdict : String(verdict.code),
            });
            if (verdict === 'accept') {
              this.received.push(mail);
              callback();
            } else if (verdict === 'hold' || verdict === 'swallow') {
              if (verdict === 'swallow') this.received.push(mail);
              // Never answered: the client waits until it gives up or dies.
              this.held.push(() => callback(smtpError({ code: 421, message: 'shutting down' })));
            } else callback(smtpError(verdict));
          });
        });
      },
    });
    server.on('error', () => {}); // a client dropping its connection is not the test's failure
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** Stops listening and drops every connection: an outage. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const release of this.held.splice(0)) release();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Accepted mails with this Message-ID. */
  withId(messageId: string): ReceivedMail[] {
    return this.received.filter((m) => m.messageId === messageId);
  }

  async waitForMails(count: number, timeoutMs = 20_000): Promise<ReceivedMail[]> {
    await waitFor(`${count} mails at the SMTP server`, () => this.received.length >= count, timeoutMs);
    return this.received;
  }
}

function smtpError(r: Refusal): Error {
  return Object.assign(new Error(r.message), { responseCode: r.code });
}
