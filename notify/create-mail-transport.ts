import type { NotifySettings } from '../config/config-types.js';
import { FileMailTransport } from './file-mail-transport.js';
import type { MailTransport } from './mail-transport.js';
import { SmtpMailTransport } from './smtp-mail-transport.js';

export function createMailTransport(settings: NotifySettings): MailTransport {
  return settings.transport === 'smtp'
    ? new SmtpMailTransport(settings.smtp)
    : new FileMailTransport(settings.mailDir);
}
