import { html } from '../html.js';
import { mailContent } from '../mail-content.js';
import type { MailContent } from '../../db/mail-outbox.js';

/** What `sluice mail test` sends: proof that the settings reach a mailbox, and which settings. */
export function testMail(target: string, config: string, now: Date): MailContent {
  const text = `This is a test mail from Sluice, sent ${now.toISOString()} through ${target}.\nConfiguration: ${config}\n\nIf you read this, Sluice can send its notifications.`;
  const body = html`<p>This is a test mail from Sluice, sent ${now.toISOString()} through <code>${target}</code>.</p>
<p>Configuration: <code>${config}</code></p>
<p>If you read this, Sluice can send its notifications.</p>`;
  return mailContent('[sluice] test mail', 'sluice mail test', text, body);
}
