import type { Logger } from 'pino';
import type { MailTemplateName } from '../config/config-types.js';
import { DECISION_UPDATE } from '../gating/decision-update-message.js';
import { classifyChange, decisionBaseline } from './classify-decision-change.js';
import type { ReceivedDecisionState, DecisionUpdate } from '../gating/decision-update-message.js';
import type { LogTail } from './job-log-source.js';
import type { NodeJson } from '../pipeline/pipeline-node.js';
import type { MailChannel, MailTarget } from './mail-channel.js';
import type { ChatChannel } from './chat-channel.js';
import type { WebhookChannel } from './webhook-channel.js';
import type { Notice } from './notification-channel.js';
import type { MailOutbox } from '../db/mail-outbox.js';
import type { NodeEvent } from './node-event.js';
import { decisionMeets, matchesMessage, type CompiledRule } from './notify-rules.js';
import { decisionPackages, repoPackages, type RecipientFacts } from './resolve-recipients.js';
import type { RunReportSource } from './run-report-source.js';

export interface NotifierParts {
  rules: CompiledRule[];
  channels: { mail: MailChannel; webhook: WebhookChannel; chat: ChatChannel };
  /** For the debounce windows of decision mails. */
  outbox: MailOutbox;
  reports: RunReportSource;
  log: Logger;
}

export interface IncomingMessage {
  messageId: string;
  topic: string;
  body: unknown;
}

/**
 * Turns one message into the notifications its rules ask for, written to the outbox by each
 * rule's channels (mail, webhook, chat). Runs inside the consumer's effect (one transaction with
 * the message id), so it does no I/O of its own: a failed job's log tail is fetched before and
 * handed in. Returns how many rows it added or changed.
 */
export class Notifier {
  constructor(private readonly parts: NotifierParts) {}

  /** The rules this message matches (topic and field conditions); the caller fetches what they need. */
  matching(topic: string, body: unknown): CompiledRule[] {
    return this.parts.rules.filter((r) => matchesMessage(r, topic, body));
  }

  notify(message: IncomingMessage, rules: CompiledRule[], logTail: LogTail | null, now = Date.now()): number {
    const { channels } = this.parts;
    let changed = 0;
    const count = (id: number | null | boolean) => (id === null || id === false ? 0 : 1);
    for (const rule of rules) {
      if (rule.webhook && this.decisionWanted(rule, message))
        changed += count(
          channels.webhook.enqueue(
            { about: 'message', ...this.common(rule, message, { author: null, packages: [] }) },
            rule.webhook,
            now,
          ),
        );
      const about = rule.mail ?? rule.chat?.about;
      if (!about) continue;
      const notice = this.notice(rule, about, message, logTail);
      if (!notice) continue;
      if (rule.mail) {
        const to: MailTarget = { template: rule.mail, recipients: rule.recipients };
        changed +=
          notice.about === 'decision-changed' && rule.debounceMs > 0
            ? this.debouncedMail(rule, notice, to, now)
            : notice.about === 'decision-changed' && !this.decisionWanted(rule, message)
              ? 0
              : count(channels.mail.enqueue(notice, to, now));
      }
      // Chat tells each change as it comes: a room reads along, it has no inbox to keep tidy.
      if (rule.chat && this.decisionWanted(rule, message))
        changed += count(channels.chat.enqueue(notice, rule.chat, now));
    }
    return changed;
  }

  private decisionWanted(rule: CompiledRule, message: IncomingMessage): boolean {
    if (!rule.decision || message.topic !== DECISION_UPDATE.name) return true;
    const d = message.body as DecisionUpdate;
    return decisionMeets(rule, d.previous, d);
  }

  private common(rule: CompiledRule, message: IncomingMessage, facts: RecipientFacts) {
    return {
      rule: rule.name,
      source: { messageId: message.messageId, topic: message.topic, body: message.body },
      facts,
    };
  }

  /** What the rule's mail or chat tells of this message, with what it is made from. */
  private notice(
    rule: CompiledRule,
    about: MailTemplateName,
    message: IncomingMessage,
    logTail: LogTail | null,
  ): Notice | null {
    switch (about) {
      case 'decision-changed': {
        const d = message.body as DecisionUpdate;
        return {
          about,
          decision: d,
          before: d.previous,
          ...this.common(rule, message, {
            author: null,
            packages: decisionPackages(d.subject_type, d.subject_identifier),
          }),
        };
      }
      case 'job-failed': {
        const node = message.body as NodeEvent;
        const root = this.parts.reports.node(node.run_id) ?? null;
        return {
          about,
          node,
          root,
          log: logTail ?? { text: null, truncated: false, problem: 'the log was not fetched' },
          dedupKey: `job-failed:${rule.name}:${node.id}`,
          ...this.common(rule, message, runFacts(node, root)),
        };
      }
      case 'run-report': {
        const root = message.body as NodeEvent;
        const report = this.parts.reports.runReport(root.id);
        if (!report) {
          this.parts.log.error(
            { rule: rule.name, node: root.id },
            'no report could be made for a finished run',
          );
          return null;
        }
        return {
          about,
          report,
          dedupKey: `run-report:${rule.name}:${root.run_id}`,
          ...this.common(rule, message, runFacts(root, root)),
        };
      }
    }
  }

  /**
   * A decision mail waits out its window: the first change opens it (when the rule wants that
   * change), later changes of the same subject, context and product version rewrite it from the
   * state before the first one to the latest, and when that is no change the rule cares for, it
   * is cancelled, until a change inside the window revives it.
   */
  private debouncedMail(
    rule: CompiledRule,
    notice: Extract<Notice, { about: 'decision-changed' }>,
    to: MailTarget,
    now: number,
  ): number {
    const d = notice.decision;
    const mail = this.parts.channels.mail;
    const key = [
      rule.name,
      d.subject_type,
      d.subject_identifier,
      d.decision_context,
      d.product_version ?? '',
    ].join('\u001f');
    const window = this.parts.outbox.openWindow(key, now);
    if (!window) {
      if (!decisionMeets(rule, d.previous, d)) return 0;
      const baseline = d.previous ? decisionBaseline(d.previous) : null;
      const id = mail.enqueue(
        { ...notice, before: baseline },
        {
          ...to,
          window: { debounceKey: key, baseline: JSON.stringify(baseline), dueAt: now + rule.debounceMs },
        },
        now,
      );
      return id === null ? 0 : 1;
    }
    const baseline = JSON.parse(window.baseline ?? 'null') as ReceivedDecisionState | null;
    const change = classifyChange(baseline, d);
    const cancelled = decisionMeets(rule, baseline, d)
      ? undefined
      : change === 'unchanged'
        ? 'the decision went back to what it was before the first change in its window: nothing to tell'
        : `from before the window to now the decision ${change.replace('-', ' ')}, which rule "${rule.name}" does not mail about`;
    return mail.replaceWindow(window.id, { ...notice, before: baseline }, to, cancelled, now) ? 1 : 0;
  }
}

/** Who and what a pipeline mail is about: the run's author and its repository. */
function runFacts(node: NodeJson, root: NodeJson | null): RecipientFacts {
  const source = root ?? node;
  const author = source.data?.author ?? node.data?.author;
  const namespace = source.data?.namespace;
  return {
    author: typeof author === 'string' && author ? author : null,
    packages: repoPackages(source.repo ?? node.repo, typeof namespace === 'string' ? namespace : null),
  };
}
