import type { WebhookPayload } from '../db/mail-outbox.js';
import { DeliveryError } from '../errors/delivery-error.js';

/** Statuses that say "later" rather than "never": timeouts and rate limits. */
const RETRY_LATER = new Set([408, 425, 429]);

/**
 * POSTs one webhook call. 2xx = delivered; 5xx, 408/425/429, no answer or a timeout = retry later;
 * any other status (4xx, and a redirect, which is not followed because the body is signed for the
 * configured URL) = refused for good. `X-Sluice-Delivery` stays the same across retries, so a
 * receiver can drop a call it has already handled.
 */
export async function postWebhook(
  call: WebhookPayload,
  deliveryId: string,
  timeoutMs: number,
): Promise<string> {
  let res: Response;
  try {
    res = await fetch(call.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'sluice-webhook',
        ...call.headers,
        'x-sluice-delivery': deliveryId,
      },
      body: call.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new DeliveryError(
      `POST ${call.url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      false,
      { cause: err },
    );
  }
  const text = (await res.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ').trim();
  if (res.ok) return `HTTP ${res.status}`;
  const permanent = res.status < 500 && !RETRY_LATER.has(res.status);
  throw new DeliveryError(`POST ${call.url}: HTTP ${res.status}${text ? ` ${text}` : ''}`, permanent);
}
