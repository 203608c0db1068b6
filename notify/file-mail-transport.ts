import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { DeliveryError } from '../errors/delivery-error.js';
import { messageOptions, type MailReceipt, type MailTransport, type OutgoingMail } from './mail-transport.js';

/**
 * The embedded default: each mail, composed exactly as it would be sent, becomes an .eml file
 * under the mail folder (any mail client opens one). The file is named after the Message-ID, so
 * a mail sent again after a crash overwrites itself instead of appearing twice.
 */
export class FileMailTransport implements MailTransport {
  readonly kind = 'file' as const;
  readonly target: string;
  private readonly composer: Transporter;
  private made = false;

  constructor(private readonly dir: string) {
    this.target = dir;
    this.composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  /** Where a mail with this Message-ID is written. */
  fileFor(messageId: string): string {
    return path.join(this.dir, `${messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9._@-]/g, '_')}.eml`);
  }

  async send(mail: OutgoingMail): Promise<MailReceipt> {
    const file = this.fileFor(mail.messageId);
    try {
      const info = await this.composer.sendMail(messageOptions(mail));
      if (!this.made) {
        mkdirSync(this.dir, { recursive: true });
        this.made = true;
      }
      // Written beside and renamed, so that a reader never sees half a mail.
      const partial = `${file}.partial`;
      writeFileSync(partial, info.message as Buffer);
      renameSync(partial, file);
    } catch (err) {
      throw new DeliveryError(`cannot write ${file}: ${(err as Error).message}`, false, { cause: err });
    }
    return { response: `written to ${file}`, refused: [] };
  }

  async close(): Promise<void> {
    this.composer.close();
  }
}
