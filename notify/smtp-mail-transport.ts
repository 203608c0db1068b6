import { readFileSync } from 'node:fs';
import nodemailer, { type Transporter } from 'nodemailer';
import type { SmtpSettings } from '../config/config-types.js';
import { DeliveryError } from '../errors/delivery-error.js';
import { messageOptions, type MailReceipt, type MailTransport, type OutgoingMail } from './mail-transport.js';

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  message?: string;
}

/**
 * SMTP through nodemailer's pool: a few connections kept open and reused, timeouts in seconds
 * rather than nodemailer's minutes. nodemailer's own logger stays off, so that neither the
 * credentials nor the AUTH exchange can reach a log.
 */
export class SmtpMailTransport implements MailTransport {
  readonly kind = 'smtp' as const;
  readonly target: string;
  private readonly transporter: Transporter;

  constructor(settings: SmtpSettings) {
    const password = settings.passwordFile
      ? readFileSync(settings.passwordFile, 'utf8').trim()
      : settings.password;
    this.target = `smtp${settings.secure ? 's' : ''}://${settings.host}:${settings.port}${settings.user ? ` as ${settings.user}` : ''}`;
    this.transporter = nodemailer.createTransport({
      pool: true,
      host: settings.host,
      port: settings.port,
      secure: settings.secure,
      requireTLS: settings.requireTLS,
      tls: {
        rejectUnauthorized: settings.tlsRejectUnauthorized,
        ...(settings.tlsCaFile ? { ca: readFileSync(settings.tlsCaFile) } : {}),
      },
      ...(settings.user ? { auth: { user: settings.user, pass: password ?? '' } } : {}),
      maxConnections: settings.maxConnections,
      maxMessages: settings.maxMessagesPerConnection,
      connectionTimeout: settings.connectionTimeoutMs,
      greetingTimeout: settings.greetingTimeoutMs,
      socketTimeout: settings.socketTimeoutMs,
      dnsTimeout: settings.connectionTimeoutMs,
      logger: false,
      debug: false,
    });
  }

  async send(mail: OutgoingMail): Promise<MailReceipt> {
    try {
      const info = await this.transporter.sendMail(messageOptions(mail));
      const errors = (info as { rejectedErrors?: SmtpFailure[] }).rejectedErrors ?? [];
      const rejected = (info.rejected ?? []) as Array<string | { address: string }>;
      const refused = rejected.map(
        (r, i) => `${typeof r === 'string' ? r : r.address}: ${errors[i]?.response ?? 'refused'}`,
      );
      return { response: String(info.response ?? ''), refused };
    } catch (err) {
      throw classifySmtpError(err);
    }
  }

  async close(): Promise<void> {
    this.transporter.close();
  }
}

/**
 * Permanent only when the server refused this mail: a 5xx answer to its envelope or its content.
 * A 5xx at login or greeting says the server or our settings are wrong, not the mail, so it is
 * retried (and logged) like an outage; 503 is a protocol hiccup that a new connection clears.
 */
export function classifySmtpError(err: unknown): DeliveryError {
  const e = (err ?? {}) as SmtpFailure;
  const code = e.responseCode;
  const refusedMail =
    (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') &&
    typeof code === 'number' &&
    code >= 500 &&
    code < 600 &&
    code !== 503;
  const said = e.response ? e.response.replace(/\s+/g, ' ').trim() : (e.message ?? String(err));
  const text = `${e.code ?? 'ERROR'}${e.command ? ` at ${e.command}` : ''}: ${said}`;
  return new DeliveryError(text, refusedMail, { cause: err });
}
