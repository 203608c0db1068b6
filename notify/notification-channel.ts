import type { ClaimedNotification, NotificationKind } from '../db/mail-outbox.js';
import type { DecisionUpdate, ReceivedDecisionState } from '../gating/decision-update-message.js';
import type { NodeJson } from '../pipeline/pipeline-node.js';
import type { LogTail } from './job-log-source.js';
import type { NodeEvent } from './node-event.js';
import type { RecipientFacts } from './resolve-recipients.js';
import type { RunReport } from './run-report-source.js';

/** What a notification tells, with everything each channel renders it from. */
export type NoticeAbout =
  | { about: 'job-failed'; node: NodeEvent; root: NodeJson | null; log: LogTail }
  | { about: 'run-report'; report: RunReport }
  | { about: 'decision-changed'; decision: DecisionUpdate; before: ReceivedDecisionState | null }
  /** The bus message as it is, for machines (raw webhooks). */
  | { about: 'message' };

/**
 * One notification a rule asked for, before any channel has rendered it: what it is about, the
 * message that caused it, and who it concerns. Each channel turns it into its own outbox row.
 */
export type Notice = NoticeAbout & {
  rule: string;
  source: { messageId: string; topic: string; body: unknown };
  facts: RecipientFacts;
  /** At most one notification per key and channel, ever (a job's failure, a run's report). */
  dedupKey?: string;
};

export interface Delivered {
  /** What the other side said that is worth keeping although the notification went. */
  note: string | null;
}

/**
 * A way of telling people or machines: mail, raw webhooks, chat. Each is used the same two
 * ways. `enqueue` runs inside the transaction of the message that caused the notification (so it
 * exists exactly when that change does) and only writes the outbox: no I/O. `deliver` is called
 * by the sender (notify/notification-sender.ts) for a claimed row of this channel's kind; it
 * throws DeliveryError, permanent when the other side refused this very notification, otherwise
 * to be retried with backoff (or after the `retryAfterMs` the other side asked for). The sender
 * owns claiming, retries, giving up and recording: no channel does its own.
 */
export interface NotificationChannel<Target> {
  readonly kind: NotificationKind;
  /** Where this channel sends, for logs and /readyz; never a secret. */
  readonly target: string;
  /** The new row's id, or null when the channel adds nothing (a duplicate, nothing it tells). */
  enqueue(notice: Notice, to: Target, now: number): number | null;
  deliver(n: ClaimedNotification): Promise<Delivered>;
}

/** A channel of each kind, as the sender dispatches to them. */
export type ChannelsByKind = {
  [K in NotificationKind]: Pick<NotificationChannel<unknown>, 'kind' | 'target' | 'deliver'>;
};
