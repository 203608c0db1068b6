import type { Logger } from 'pino';
import type { MailTemplateName, NotifySettings } from '../config/config-types.js';
import type { ClaimedNotification, MailContent, MailOutbox, MailPayload } from '../db/mail-outbox.js';
import { DeliveryError } from '../errors/delivery-error.js';
import type { MailTransport } from './mail-transport.js';
import type { Delivered, Notice, NotificationChannel } from './notification-channel.js';
import type { CompiledRule } from './notify-rules.js';
import { resolveRecipients } from './resolve-recipients.js';
import { decisionChangedMail } from './templates/decision-changed-mail.js';
import { jobFailedMail } from './templates/job-failed-mail.js';
import { runReportMail } from './templates/run-report-mail.js';

export interface MailTarget {
  template: MailTemplateName;
  recipients: CompiledRule['recipients'];
  /** A debounced decision mail: the window it opens. */
  window?: { debounceKey: string; baseline: string; dueAt: number };
}

/** Mail: rendered by the mail templates, addressed by the rule's recipients, sent by SMTP or to files. */
export class MailChannel implements NotificationChannel<MailTarget> {
  readonly kind = 'mail' as const;

  constructor(
    private readonly outbox: MailOutbox,
    private readonly transport: MailTransport,
    private readonly settings: Pick<NotifySettings, 'from' | 'people' | 'authorDomain' | 'maintainers'>,
    private readonly serverUrl: () => string,
    private readonly log: Logger,
  ) {}

  get target(): string {
    return this.transport.target;
  }

  content(notice: Notice): MailContent | null {
    switch (notice.about) {
      case 'job-failed':
        return jobFailedMail({
          node: notice.node,
          root: notice.root,
          log: notice.log,
          rule: notice.rule,
          serverUrl: this.serverUrl(),
        });
      case 'run-report':
        return runReportMail(notice.report, notice.rule);
      case 'decision-changed':
        return decisionChangedMail({
          decision: notice.decision,
          before: notice.before,
          rule: notice.rule,
          serverUrl: this.serverUrl(),
        });
      case 'message':
        return null;
    }
  }

  enqueue(notice: Notice, to: MailTarget, now: number): number | null {
    const content = this.content(notice);
    if (!content) return null;
    const { to: addresses, unresolved } = resolveRecipients(to.recipients, notice.facts, this.settings);
    if (unresolved.length)
      this.log.info(
        { rule: notice.rule, unresolved },
        'some recipients of a notification rule have no address',
      );
    return this.outbox.addMail(
      {
        rule: notice.rule,
        template: to.template,
        from: this.settings.from,
        to: addresses,
        content,
        sourceId: notice.source.messageId,
        ...(notice.dedupKey ? { dedupKey: notice.dedupKey } : {}),
        ...(to.window ?? {}),
        // Nobody to send to is a configuration problem: kept as a failed mail, so that it shows.
        ...(addresses.length === 0 ? { failed: `no recipient: ${unresolved.join('; ')}` } : {}),
      },
      now,
    );
  }

  /** Puts a later state into a debounced mail's open window, or cancels it with the reason. */
  replaceWindow(
    windowId: number,
    notice: Notice,
    to: MailTarget,
    cancelled: string | undefined,
    now: number,
  ) {
    const content = this.content(notice);
    if (!content) return false;
    return this.outbox.replaceWindow(
      windowId,
      {
        rule: notice.rule,
        template: to.template,
        to: resolveRecipients(to.recipients, notice.facts, this.settings).to,
        from: this.settings.from,
        content,
        sourceId: notice.source.messageId,
        ...(cancelled ? { cancelled } : {}),
      },
      now,
    );
  }

  async deliver(n: ClaimedNotification): Promise<Delivered> {
    const mail = n.payload as MailPayload;
    if (mail.to.length === 0) throw new DeliveryError('the mail has no recipient', true);
    const receipt = await this.transport.send({ ...mail, messageId: n.messageId });
    return { note: receipt.refused.length ? `sent; refused for ${receipt.refused.join('; ')}` : null };
  }
}
