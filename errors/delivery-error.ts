import { SluiceError } from './sluice-error.js';

/**
 * A mail or webhook call that did not go through. `permanent` when the other side refused this
 * very notification (SMTP 5xx to its envelope or content, HTTP 4xx): sending it again would get
 * the same answer, so it is marked failed with the reason. Otherwise (no connection, a timeout,
 * SMTP 4xx, HTTP 5xx) it is retried later; `retryAfterMs` when the other side said how much later
 * (HTTP 429 or 503 with Retry-After), which then counts instead of the sender's own backoff.
 */
export class DeliveryError extends SluiceError {
  readonly permanent: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, permanent: boolean, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(
      permanent ? 'DELIVERY_REFUSED' : 'DELIVERY_DEFERRED',
      message,
      options && 'cause' in options ? { cause: options.cause } : undefined,
    );
    this.permanent = permanent;
    this.retryAfterMs = options?.retryAfterMs;
  }
}
