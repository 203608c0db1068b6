import type { ClaimedNotification, MailOutbox, WebhookPayload } from '../db/mail-outbox.js';
import type { Delivered, Notice, NotificationChannel } from './notification-channel.js';
import { postWebhook } from './webhook-poster.js';
import { SIGNATURE_HEADER, signBody } from './webhook-signature.js';

export interface WebhookTarget {
  url: string;
  secret: string;
}

/**
 * Raw webhooks, for machines: the bus message's body exactly as it came, signed with the rule's
 * secret (X-Sluice-Signature), whatever the notice is about. People read the chat channel.
 */
export class WebhookChannel implements NotificationChannel<WebhookTarget> {
  readonly kind = 'webhook' as const;
  readonly target = 'webhook receivers';

  constructor(
    private readonly outbox: MailOutbox,
    private readonly timeoutMs: number,
  ) {}

  enqueue(notice: Notice, to: WebhookTarget, now: number): number | null {
    const body = JSON.stringify(notice.source.body);
    return this.outbox.addWebhook(
      {
        rule: notice.rule,
        url: to.url,
        body,
        headers: {
          [SIGNATURE_HEADER]: signBody(to.secret, body),
          'X-Sluice-Topic': notice.source.topic,
          'X-Sluice-Message-Id': notice.source.messageId,
        },
        sourceId: notice.source.messageId,
        ...(notice.dedupKey ? { dedupKey: `webhook:${notice.dedupKey}` } : {}),
      },
      now,
    );
  }

  async deliver(n: ClaimedNotification): Promise<Delivered> {
    await postWebhook(n.payload as WebhookPayload, n.messageId, this.timeoutMs);
    return { note: null };
  }
}
