import { readFile } from 'node:fs/promises';
import type { ClaimedNotification, ChatPayload, MailOutbox } from '../db/mail-outbox.js';
import { DeliveryError } from '../errors/delivery-error.js';
import type { Delivered, Notice, NotificationChannel } from './notification-channel.js';
import { retryAfterMs } from './retry-after.js';
import { type ChatFormat, chatText } from './templates/chat-text.js';

export interface ChatTarget {
  /** A file holding the incoming webhook's URL: the URL is the secret (whoever has it can post). */
  urlFile: string;
  format: ChatFormat;
}

/** Statuses that say "later": timeouts and rate limits, besides 5xx. */
const RETRY_LATER = new Set([408, 425, 429]);

/**
 * Chat rooms through Slack-compatible incoming webhooks (Slack, Mattermost, Rocket.Chat): a POST
 * of `{"text": …}` as application/json, the form all three document. The URL is read from its
 * file at each attempt (a rotated secret is used at once) and never written anywhere: the outbox
 * keeps the file's path, and errors name the file, not the URL.
 */
export class ChatChannel implements NotificationChannel<ChatTarget> {
  readonly kind = 'chat' as const;
  readonly target = 'chat webhooks';

  constructor(
    private readonly outbox: MailOutbox,
    private readonly serverUrl: () => string,
    private readonly timeoutMs: number,
  ) {}

  enqueue(notice: Notice, to: ChatTarget, now: number): number | null {
    const text = chatText(notice, this.serverUrl(), to.format);
    if (text === null) return null;
    return this.outbox.addChat(
      {
        rule: notice.rule,
        template: notice.about,
        urlFile: to.urlFile,
        text,
        sourceId: notice.source.messageId,
        // Mail of the same rule has the key unprefixed: one of each, not one of either.
        ...(notice.dedupKey ? { dedupKey: `chat:${notice.dedupKey}` } : {}),
      },
      now,
    );
  }

  async deliver(n: ClaimedNotification): Promise<Delivered> {
    const { urlFile, body } = n.payload as ChatPayload;
    const what = `POST to the chat webhook in ${urlFile}`;
    let url: URL;
    try {
      url = new URL((await readFile(urlFile, 'utf8')).trim());
    } catch (err) {
      // A secret not mounted yet is worth waiting for; the reason shows in the outbox meanwhile.
      const code = (err as { code?: string }).code;
      throw new DeliveryError(
        `${what}: ${code ? `cannot read the file (${code})` : 'the file does not hold a URL'}`,
        false,
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new DeliveryError(`${what}: the file holds a ${url.protocol} URL, not http(s)`, false);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'sluice-chat' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      const reason = cause?.code ?? ((err as Error).name === 'TimeoutError' ? 'timed out' : 'no answer');
      throw new DeliveryError(`${what}: ${reason}`, false);
    }
    // Slack answers its refusals in words (invalid_payload, no_text, channel_is_archived).
    const said = (await res.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ').trim();
    if (res.ok) return { note: null };
    const wait = retryAfterMs(res.headers.get('retry-after'));
    const later = res.status >= 500 || RETRY_LATER.has(res.status);
    throw new DeliveryError(
      `${what}: HTTP ${res.status}${said ? ` ${said}` : ''}${later && wait !== undefined ? ` (retry after ${Math.ceil(wait / 1000)} s)` : ''}`,
      !later,
      later && wait !== undefined ? { retryAfterMs: wait } : {},
    );
  }
}
