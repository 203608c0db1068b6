import type { Statement, Transaction } from 'better-sqlite3';
import { newMessageId } from '../schemas/message-id.js';
import type { Db } from './open-database.js';

export const OUTBOX_STATES = ['pending', 'sending', 'sent', 'failed', 'cancelled'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];
export const NOTIFICATION_KINDS = ['mail', 'webhook', 'chat'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** What the sender hands to a mail transport. */
export interface MailPayload {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

/** What the sender POSTs: the body exactly as signed, with its headers. */
export interface WebhookPayload {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/**
 * What the sender POSTs to a chat's incoming webhook. The URL is a secret (whoever has it can
 * post), so the outbox keeps only the file it is read from, at each attempt.
 */
export interface ChatPayload {
  urlFile: string;
  /** The JSON body: `{"text": …}`. */
  body: string;
}

/** A mail as a template makes it: the same content as plain text and as HTML. */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

export interface NewMail {
  rule: string;
  template: string;
  from: string;
  to: string[];
  content: MailContent;
  /** The bus message that caused it. */
  sourceId?: string;
  /** At most one notification per key, ever (a run's report). */
  dedupKey?: string;
  /** A debounced mail's window: later changes of the same thing find it by this key. */
  debounceKey?: string;
  /** JSON of the state before the first change of the window. */
  baseline?: string;
  dueAt?: number;
  /** Stored as failed with this reason instead of being sent (there is nobody to send it to). */
  failed?: string;
}

export interface NewWebhook {
  rule: string;
  url: string;
  body: string;
  headers: Record<string, string>;
  sourceId?: string;
  dedupKey?: string;
}

export interface NewChat {
  rule: string;
  /** What the post is about (job-failed, decision-changed, run-report). */
  template: string;
  urlFile: string;
  text: string;
  sourceId?: string;
  dedupKey?: string;
}

export interface ClaimedNotification {
  id: number;
  kind: NotificationKind;
  messageId: string;
  attempts: number;
  payload: MailPayload | WebhookPayload | ChatPayload;
}

export interface OpenWindow {
  id: number;
  baseline: string | null;
  dueAt: number;
}

/** A notification as `GET /api/v1/outbox` shows it. */
export interface OutboxEntryJson {
  id: number;
  kind: NotificationKind;
  rule: string;
  template: string | null;
  message_id: string;
  source_message_id: string | null;
  state: OutboxState;
  /** Addresses of a mail, the URL of a webhook call, the file holding a chat's webhook URL. */
  recipients: string[];
  subject: string;
  attempts: number;
  last_error: string | null;
  created: string;
  updated: string;
  due: string;
  sent: string | null;
}

export interface OutboxFilter {
  states: OutboxState[];
  kind?: NotificationKind | undefined;
  rule?: string | undefined;
  limit: number;
  /** Only entries with a smaller id: the next page of a listing, newest first. */
  beforeId?: number | undefined;
}

interface Row {
  id: number;
  kind: NotificationKind;
  rule: string;
  template: string | null;
  message_id: string;
  source_id: string | null;
  state: OutboxState;
  recipients: string;
  subject: string;
  created_at: number;
  updated_at: number;
  due_at: number;
  attempts: number;
  last_error: string | null;
  sent_at: number | null;
}

/**
 * Mails and webhook calls waiting to go out, in SQLite. Rows are added inside the transaction of
 * the consumer's effect, so a notification exists exactly when the change it tells of does. The
 * sender claims due rows (pending → sending), then marks each sent, due again later, or failed;
 * a process that died while sending leaves rows in `sending`, which `releaseClaims` makes due at
 * start, and they go out under the same Message-ID, so a repeat is recognisable as one.
 */
export class MailOutbox {
  private readonly sql: {
    insert: Statement;
    insertPayload: Statement<[number, string, string, string | null]>;
    updatePayload: Statement<[string, string, string | null, number]>;
    openWindow: Statement<[string, number]>;
    replaceWindow: Statement;
    due: Statement<[number, number]>;
    stale: Statement<[number, number]>;
    claim: Statement<[number, string]>;
    sent: Statement<[number, string | null, number, number]>;
    retry: Statement<[string, number, number, number]>;
    failed: Statement<[string, number, number]>;
    release: Statement<[]>;
    requeue: Statement<[number, number, number]>;
    get: Statement<[number]>;
    counts: Statement<[]>;
    nextDue: Statement<[]>;
    prune: Statement<[number]>;
  };

  private readonly claimTx: Transaction<
    (limit: number, now: number, staleBefore: number) => ClaimedNotification[]
  >;
  private readonly insertTx: Transaction<
    (row: Record<string, string | number | null>, payload: StoredPayload) => number | null
  >;
  private readonly replaceTx: Transaction<
    (row: Record<string, string | number | null>, payload: StoredPayload) => boolean
  >;

  constructor(
    private readonly db: Db,
    private readonly messageIdDomain: string,
  ) {
    this.sql = {
      insert: db.prepare(
        `INSERT INTO mail_outbox (kind, rule, template, message_id, source_id, dedup_key, debounce_key, baseline, state, recipients, subject, created_at, updated_at, due_at, last_error)
         VALUES (@kind, @rule, @template, @message_id, @source_id, @dedup_key, @debounce_key, @baseline, @state, @recipients, @subject, @now, @now, @due_at, @last_error)
         ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING`,
      ),
      insertPayload: db.prepare(
        'INSERT INTO mail_outbox_payload (outbox_id, head, body, html) VALUES (?, ?, ?, ?)',
      ),
      updatePayload: db.prepare(
        'UPDATE mail_outbox_payload SET head = ?, body = ?, html = ? WHERE outbox_id = ?',
      ),
      openWindow: db.prepare(
        `SELECT id, baseline, due_at FROM mail_outbox
         WHERE debounce_key = ? AND state IN ('pending', 'cancelled') AND attempts = 0 AND due_at > ? ORDER BY id DESC LIMIT 1`,
      ),
      replaceWindow: db.prepare(
        `UPDATE mail_outbox SET state = @state, recipients = @recipients, subject = @subject, source_id = @source_id,
           last_error = @note, updated_at = @now WHERE id = @id AND state IN ('pending', 'cancelled') AND attempts = 0`,
      ),
      due: db.prepare(
        `SELECT o.id, o.kind, o.message_id, o.attempts, p.head, p.body, p.html FROM mail_outbox AS o JOIN mail_outbox_payload AS p ON p.outbox_id = o.id
         WHERE o.state = 'pending' AND o.due_at <= ? ORDER BY o.due_at, o.id LIMIT ?`,
      ),
      stale: db.prepare(
        `SELECT o.id, o.kind, o.message_id, o.attempts, p.head, p.body, p.html FROM mail_outbox AS o JOIN mail_outbox_payload AS p ON p.outbox_id = o.id
         WHERE o.state = 'sending' AND o.updated_at < ? ORDER BY o.updated_at, o.id LIMIT ?`,
      ),
      claim: db.prepare(
        `UPDATE mail_outbox SET state = 'sending', updated_at = ? WHERE id IN (SELECT value FROM json_each(?))`,
      ),
      sent: db.prepare(
        `UPDATE mail_outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = ?, updated_at = ? WHERE id = ?`,
      ),
      retry: db.prepare(
        `UPDATE mail_outbox SET state = 'pending', attempts = attempts + 1, last_error = ?, due_at = ?, updated_at = ? WHERE id = ?`,
      ),
      failed: db.prepare(
        `UPDATE mail_outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, updated_at = ? WHERE id = ?`,
      ),
      release: db.prepare(`UPDATE mail_outbox SET state = 'pending' WHERE state = 'sending'`),
      requeue: db.prepare(
        `UPDATE mail_outbox SET state = 'pending', due_at = ?, updated_at = ? WHERE id = ? AND state = 'failed'`,
      ),
      get: db.prepare('SELECT * FROM mail_outbox WHERE id = ?'),
      counts: db.prepare('SELECT state, COUNT(*) AS n FROM mail_outbox GROUP BY state'),
      nextDue: db.prepare(`SELECT MIN(due_at) AS due FROM mail_outbox WHERE state = 'pending'`),
      prune: db.prepare(
        `DELETE FROM mail_outbox WHERE state IN ('sent', 'failed', 'cancelled') AND updated_at < ?`,
      ),
    };
    this.claimTx = db.transaction((limit: number, now: number, staleBefore: number) => {
      type Claimable = Pick<Row, 'id' | 'kind' | 'message_id' | 'attempts'> & StoredPayload;
      const stale = this.sql.stale.all(staleBefore, limit) as Claimable[];
      const rows =
        stale.length < limit
          ? [...stale, ...(this.sql.due.all(now, limit - stale.length) as Claimable[])]
          : stale;
      if (rows.length) this.sql.claim.run(now, JSON.stringify(rows.map((r) => r.id)));
      return rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        messageId: r.message_id,
        attempts: r.attempts,
        payload: fromStored(r.kind, r),
      }));
    });
    this.insertTx = db.transaction((row: Record<string, string | number | null>, payload: StoredPayload) =>
      this.insertRows(row, payload),
    );
    this.replaceTx = db.transaction((row: Record<string, string | number | null>, payload: StoredPayload) =>
      this.replaceRows(row, payload),
    );
  }

  /** The new row's id, or null when a notification with its dedup key exists already. */
  addMail(m: NewMail, now = Date.now()): number | null {
    const payload = mailPayload(m.rule, m.template, m.from, m.to, m.content);
    return this.insert(
      {
        kind: 'mail',
        rule: m.rule,
        template: m.template,
        message_id: `<${newMessageId(now)}@${this.messageIdDomain}>`,
        source_id: m.sourceId ?? null,
        dedup_key: m.dedupKey ?? null,
        debounce_key: m.debounceKey ?? null,
        baseline: m.baseline ?? null,
        state: m.failed ? 'failed' : 'pending',
        last_error: m.failed ?? null,
        recipients: JSON.stringify(m.to),
        subject: m.content.subject,
        now,
        due_at: m.dueAt ?? now,
      },
      toStored(payload),
    );
  }

  addWebhook(w: NewWebhook, now = Date.now()): number | null {
    const payload: StoredPayload = {
      head: JSON.stringify({ url: w.url, headers: w.headers }),
      body: w.body,
      html: null,
    };
    return this.insert(
      {
        kind: 'webhook',
        rule: w.rule,
        template: null,
        message_id: newMessageId(now),
        source_id: w.sourceId ?? null,
        dedup_key: w.dedupKey ?? null,
        debounce_key: null,
        baseline: null,
        state: 'pending',
        last_error: null,
        recipients: JSON.stringify([w.url]),
        subject: `POST ${w.url}`,
        now,
        due_at: now,
      },
      payload,
    );
  }

  addChat(c: NewChat, now = Date.now()): number | null {
    return this.insert(
      {
        kind: 'chat',
        rule: c.rule,
        template: c.template,
        message_id: newMessageId(now),
        source_id: c.sourceId ?? null,
        dedup_key: c.dedupKey ?? null,
        debounce_key: null,
        baseline: null,
        state: 'pending',
        last_error: null,
        recipients: JSON.stringify([c.urlFile]),
        subject: c.text.split('\n', 1)[0]!.slice(0, 200),
        now,
        due_at: now,
      },
      { head: JSON.stringify({ urlFile: c.urlFile }), body: JSON.stringify({ text: c.text }), html: null },
    );
  }

  /** A debounced mail whose window is still open (not yet due, never tried), cancelled ones included. */
  openWindow(debounceKey: string, now = Date.now()): OpenWindow | undefined {
    const r = this.sql.openWindow.get(debounceKey, now) as
      | { id: number; baseline: string | null; due_at: number }
      | undefined;
    return r && { id: r.id, baseline: r.baseline, dueAt: r.due_at };
  }

  /**
   * Puts a later state into an open window: the mail becomes this one (pending), or, when the
   * state went back to where the window started, `cancelled` with the reason (a later change in
   * the window may still revive it). The due time stays: a window does not grow.
   */
  replaceWindow(
    id: number,
    change: {
      rule: string;
      template: string;
      to: string[];
      from: string;
      content: MailContent;
      sourceId?: string;
      cancelled?: string;
    },
    now = Date.now(),
  ): boolean {
    const payload = toStored(
      mailPayload(change.rule, change.template, change.from, change.to, change.content),
    );
    const row = {
      id,
      state: change.cancelled ? 'cancelled' : 'pending',
      recipients: JSON.stringify(change.to),
      subject: change.content.subject,
      source_id: change.sourceId ?? null,
      note: change.cancelled ?? null,
      now,
    };
    return this.db.inTransaction ? this.replaceRows(row, payload) : this.replaceTx(row, payload);
  }

  /**
   * Takes up to `limit` notifications for sending (they become `sending`): first those claimed
   * before `staleBefore` and never settled (their process died or hung; processes sharing the
   * store cannot tell a dead one from a slow one sooner), then the due ones, oldest due first.
   */
  claimDue(limit: number, now = Date.now(), staleBefore = 0): ClaimedNotification[] {
    return this.claimTx(limit, now, staleBefore);
  }

  /** `note`: what the server said that is worth keeping although the mail went (recipients it refused). */
  markSent(id: number, note: string | null, now = Date.now()): void {
    this.sql.sent.run(now, note, now, id);
  }

  markRetry(id: number, error: string, dueAt: number, now = Date.now()): void {
    this.sql.retry.run(error, dueAt, now, id);
  }

  markFailed(id: number, error: string, now = Date.now()): void {
    this.sql.failed.run(error, now, id);
  }

  /** At start, when this process is the store's only sender: what it was sending when it died is due again. Returns how many. */
  releaseClaims(): number {
    return this.sql.release.run().changes;
  }

  /** Puts a failed notification back in line (an operator fixed the cause). */
  requeueFailed(id: number, now = Date.now()): boolean {
    return this.sql.requeue.run(now, now, id).changes === 1;
  }

  get(id: number): OutboxEntryJson | undefined {
    const r = this.sql.get.get(id) as Row | undefined;
    return r && entryJson(r);
  }

  list(filter: OutboxFilter): OutboxEntryJson[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (filter.states.length) {
      where.push(`state IN (${filter.states.map(() => '?').join(', ')})`);
      args.push(...filter.states);
    }
    if (filter.kind) {
      where.push('kind = ?');
      args.push(filter.kind);
    }
    if (filter.rule) {
      where.push('rule = ?');
      args.push(filter.rule);
    }
    if (filter.beforeId !== undefined) {
      where.push('id < ?');
      args.push(filter.beforeId);
    }
    const sql = `SELECT * FROM mail_outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, filter.limit) as Row[]).map(entryJson);
  }

  counts(): Record<OutboxState, number> {
    const out = Object.fromEntries(OUTBOX_STATES.map((s) => [s, 0])) as Record<OutboxState, number>;
    for (const r of this.sql.counts.all() as Array<{ state: OutboxState; n: number }>) out[r.state] = r.n;
    return out;
  }

  /** When the next pending notification is due, or null when none is. */
  nextDue(): number | null {
    return (this.sql.nextDue.get() as { due: number | null }).due;
  }

  /** Forgets finished notifications last touched before `olderThanMs` ago. */
  prune(olderThanMs: number, now = Date.now()): number {
    return this.sql.prune.run(now - olderThanMs).changes;
  }

  // Inside a caller's transaction (a consumer's effect) a savepoint of our own would only cost.
  private insert(row: Record<string, string | number | null>, payload: StoredPayload): number | null {
    return this.db.inTransaction ? this.insertRows(row, payload) : this.insertTx(row, payload);
  }

  private insertRows(row: Record<string, string | number | null>, payload: StoredPayload): number | null {
    const r = this.sql.insert.run(row);
    if (r.changes === 0) return null;
    const id = Number(r.lastInsertRowid);
    this.sql.insertPayload.run(id, payload.head, payload.body, payload.html);
    return id;
  }

  private replaceRows(row: Record<string, string | number | null>, payload: StoredPayload): boolean {
    if (this.sql.replaceWindow.run(row).changes === 0) return false;
    this.sql.updatePayload.run(payload.head, payload.body, payload.html, row.id as number);
    return true;
  }
}

/** The large parts are columns of their own, so that claiming a mail parses only its head. */
interface StoredPayload {
  head: string;
  body: string;
  html: string | null;
}

function toStored(m: MailPayload): StoredPayload {
  return {
    head: JSON.stringify({ from: m.from, to: m.to, subject: m.subject, headers: m.headers }),
    body: m.text,
    html: m.html,
  };
}

function fromStored(kind: NotificationKind, p: StoredPayload): MailPayload | WebhookPayload | ChatPayload {
  const head = JSON.parse(p.head) as Record<string, unknown>;
  if (kind === 'chat') return { urlFile: head.urlFile as string, body: p.body };
  if (kind === 'webhook')
    return { url: head.url as string, headers: head.headers as Record<string, string>, body: p.body };
  return {
    ...(head as Pick<MailPayload, 'from' | 'to' | 'subject' | 'headers'>),
    text: p.body,
    html: p.html ?? '',
  };
}

/** Headers let people filter Sluice's mails by the rule that sent them. */
function mailPayload(
  rule: string,
  template: string,
  from: string,
  to: string[],
  content: MailContent,
): MailPayload {
  return {
    from,
    to,
    subject: content.subject,
    text: content.text,
    html: content.html,
    headers: { 'X-Sluice-Rule': rule, 'X-Sluice-Mail': template },
  };
}

function entryJson(r: Row): OutboxEntryJson {
  return {
    id: r.id,
    kind: r.kind,
    rule: r.rule,
    template: r.template,
    message_id: r.message_id,
    source_message_id: r.source_id,
    state: r.state,
    recipients: JSON.parse(r.recipients) as string[],
    subject: r.subject,
    attempts: r.attempts,
    last_error: r.last_error,
    created: iso(r.created_at),
    updated: iso(r.updated_at),
    due: iso(r.due_at),
    sent: r.sent_at === null ? null : iso(r.sent_at),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
