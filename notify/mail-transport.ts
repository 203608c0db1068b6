import type { MailPayload } from '../db/mail-outbox.js';

/** A mail ready to go: the outbox payload with the Message-ID it was stored under. */
export interface OutgoingMail extends MailPayload {
  messageId: string;
}

export interface MailReceipt {
  /** What the server answered, or where the file went. */
  response: string;
  /** Recipients the server refused while it took the mail for the others, with its reasons. */
  refused: string[];
}

/**
 * One interface, two implementations: SMTP (nodemailer, pooled) and the embedded default that
 * writes each mail to a file. `send` throws DeliveryError, permanent or not.
 */
export interface MailTransport {
  readonly kind: 'smtp' | 'file';
  /** Where mail goes, for logs and `sluice mail test`; never holds a credential. */
  readonly target: string;
  send(mail: OutgoingMail): Promise<MailReceipt>;
  close(): Promise<void>;
}

/** nodemailer's message options for a mail; both transports compose it the same way. */
export function messageOptions(mail: OutgoingMail) {
  return {
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    // RFC 3834: tells auto-responders (vacation replies) not to answer.
    headers: { 'Auto-Submitted': 'auto-generated', ...mail.headers },
  };
}
