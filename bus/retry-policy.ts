import type { RetrySettings } from '../config/config-types.js';

export type FailureStep =
  | { action: 'retry'; delayMs: number; nextAttempt: number }
  | { action: 'dead-letter'; reason: string };

/** After `attempt` failed (1-based): wait and try again, or give up with the last error. */
export function afterFailure(attempt: number, settings: RetrySettings, error: string): FailureStep {
  if (attempt >= settings.maxAttempts) {
    return {
      action: 'dead-letter',
      reason: `handler failed ${attempt} time${attempt === 1 ? '' : 's'}; last error: ${error}`,
    };
  }
  const delayMs = Math.min(
    settings.maxDelayMs,
    Math.round(settings.delayMs * settings.backoffFactor ** (attempt - 1)),
  );
  return { action: 'retry', delayMs, nextAttempt: attempt + 1 };
}
