import { HEADERS, type HeaderValue } from './bus.js';

/** Bookkeeping of a dead letter's last life; a replayed message starts a fresh one. */
const DEAD_LETTER_HEADERS = [
  HEADERS.reason,
  HEADERS.deadAt,
  HEADERS.attempt,
  HEADERS.queue,
  HEADERS.notReplayed,
] as const;

/** A dead letter's headers as they go back on its queue. */
export function replayHeaders(headers: Record<string, HeaderValue>): Record<string, HeaderValue> {
  const out = { ...headers };
  for (const h of DEAD_LETTER_HEADERS) delete out[h];
  return out;
}

/** Whether `id` (as listed, or a message id) is one of the wanted ones; no wanted set = all. */
export function isWanted(wanted: ReadonlySet<string> | undefined, id: string, messageId: string): boolean {
  return !wanted || wanted.has(id) || wanted.has(messageId);
}

export function wantedIds(ids: string[] | undefined): ReadonlySet<string> | undefined {
  return ids?.length ? new Set(ids) : undefined;
}

/**
 * Why a letter naming `queue` cannot go back, before anything is sent: it names none (a
 * message put in the dead-letter queue by something other than Sluice), a name no queue can
 * have, or the dead-letter queue itself (it would only come straight back).
 */
export function refusalBeforeSending(queue: string, deadLetterQueue: string | undefined): string | undefined {
  if (!queue) return `it names no queue (no ${HEADERS.queue} header), so where it came from is unknown`;
  // AMQP names are short strings: a longer one cannot even be sent, and would fail every replay.
  if (Buffer.byteLength(queue) > 255) return `its queue name is longer than 255 bytes, so it is no queue`;
  if (deadLetterQueue !== undefined && queue === deadLetterQueue)
    return `its queue "${queue}" is the dead-letter queue itself`;
  return undefined;
}
