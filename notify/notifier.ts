import type { Logger } from 'pino';
import type { MailTemplateName, NotifySettings } from '../config/config-types.js';
import type { MailOutbox } from '../db/mail-outbox.js';
import { classifyChange, decisionBaseline } from './classify-decision-change.js';
import type { ReceivedDecisionState, DecisionUpdate } from '../gating/decision-update-message.js';
import type { LogTail } from './job-log-source.js';
import type { MailContent } from '../db/mail-outbox.js';
import type { NodeJson } from '../pipeline/pipeline-node.js';
import type { NodeEvent } from './node-event.js';
import { decisionMeets, matchesMessage, type CompiledRule } from './notify-rules.js';
import {
  decisionPackages,
  repoPackages,
  resolveRecipients,
  type RecipientFacts,
} from './resolve-recipients.js';
import type { RunReportSource } from './run-report-source.js';
import { decisionChangedMail } from './templates/decision-changed-mail.js';
import { jobFailedMail } from './templates/job-failed-mail.js';
import { runReportMail } from './templates/run-report-mail.js';
import { signBody, SIGNATURE_HEADER } from './webhook-signature.js';

export interface NotifierParts {
  rules: CompiledRule[];
  settings: NotifySettings;
  /** The server's base URL, for links in mails. */
  serverUrl: string;
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
 * Turns one message into the notifications its rules ask for, written to the outbox. Runs inside
 * the consumer's effect (one transaction with the message id), so it does no I/O of its own: a
 * failed job's log tail is fetched before and handed in. Returns how many rows it added or changed.
 */
export class Notifier {
  constructor(private readonly parts: NotifierParts) {}

  /** The rules this message matches (topic and field conditions); the caller fetches what they need. */
  matching(topic: string, body: unknown): CompiledRule[] {
    return this.parts.rules.filter((r) => matchesMessage(r, topic, body));
  }

  notify(message: IncomingMessage, rules: CompiledRule[], logTail: LogTail | null, now = Date.now()): number {
    let changed = 0;
    for (const rule of rules) {
      if (rule.webhook && this.webhookWanted(rule, message.body))
        changed += this.webhook(rule, rule.webhook, message, now);
      if (rule.mail) changed += this.mail(rule, rule.mail, message, logTail, now);
    }
    return changed;
  }

  private webhookWanted(rule: CompiledRule, body: unknown): boolean {
    if (!rule.decision) return true;
    const d = body as DecisionUpdate;
    return decisionMeets(rule, d.previous, d);
  }

  private webhook(
    rule: CompiledRule,
    hook: { url: string; secret: string },
    message: IncomingMessage,
    now: number,
  ): number {
    const body = JSON.stringify(message.body);
    const id = this.parts.outbox.addWebhook(
      {
        rule: rule.name,
        url: hook.url,
        body,
        headers: {
          [SIGNATURE_HEADER]: signBody(hook.secret, body),
          'X-Sluice-Topic': message.topic,
          'X-Sluice-Message-Id': message.messageId,
        },
        sourceId: message.messageId,
      },
      now,
    );
    return id === null ? 0 : 1;
  }

  private mail(
    rule: CompiledRule,
    template: MailTemplateName,
    message: IncomingMessage,
    logTail: LogTail | null,
    now: number,
  ): number {
    switch (template) {
      case 'decision-changed':
        return this.decisionMail(rule, message, now);
      case 'job-failed': {
        const node = message.body as NodeEvent;
        const root = this.parts.reports.node(node.run_id) ?? null;
        const content = jobFailedMail({
          node,
          root,
          log: logTail ?? { text: null, truncated: false, problem: 'the log was not fetched' },
          rule: rule.name,
          serverUrl: this.parts.serverUrl,
        });
        return this.addMail(rule, template, content, runFacts(node, root), message, now, {
          dedupKey: `job-failed:${rule.name}:${node.id}`,
        });
      }
      case 'run-report': {
        const root = message.body as NodeEvent;
        const report = this.parts.reports.runReport(root.id);
        if (!report) {
          this.parts.log.error(
            { rule: rule.name, node: root.id },
            'no report could be made for a finished run',
          );
          return 0;
        }
        const content = runReportMail(report, rule.name);
        return this.addMail(rule, template, content, runFacts(root, root), message, now, {
          dedupKey: `run-report:${rule.name}:${root.run_id}`,
        });
      }
    }
  }

  /**
   * A decision mail waits out its window: the first change opens it (when the rule wants that
   * change), later changes of the same subject, context and product version rewrite it from the
   * state before the first one to the latest, and when that is no change the rule cares for, it
   * is cancelled, until a change inside the window revives it.
   */
  private decisionMail(rule: CompiledRule, message: IncomingMessage, now: number): number {
    const d = message.body as DecisionUpdate;
    const facts: RecipientFacts = {
      author: null,
      packages: decisionPackages(d.subject_type, d.subject_identifier),
    };
    const render = (before: ReceivedDecisionState | null) =>
      decisionChangedMail({ decision: d, before, rule: rule.name, serverUrl: this.parts.serverUrl });
    if (rule.debounceMs === 0) {
      return decisionMeets(rule, d.previous, d)
        ? this.addMail(rule, 'decision-changed', render(d.previous), facts, message, now, {})
        : 0;
    }
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
      return this.addMail(rule, 'decision-changed', render(baseline), facts, message, now, {
        debounceKey: key,
        baseline: JSON.stringify(baseline),
        dueAt: now + rule.debounceMs,
      });
    }
    const baseline = JSON.parse(window.baseline ?? 'null') as ReceivedDecisionState | null;
    const change = classifyChange(baseline, d);
    const cancelled = decisionMeets(rule, baseline, d)
      ? undefined
      : change === 'unchanged'
        ? 'the decision went back to what it was before the first change in its window: nothing to tell'
        : `from before the window to now the decision ${change.replace('-', ' ')}, which rule "${rule.name}" does not mail about`;
    const to = resolveRecipients(rule.recipients, facts, this.parts.settings).to;
    const replaced = this.parts.outbox.replaceWindow(
      window.id,
      {
        rule: rule.name,
        template: 'decision-changed',
        to,
        from: this.parts.settings.from,
        content: render(baseline),
        sourceId: message.messageId,
        ...(cancelled ? { cancelled } : {}),
      },
      now,
    );
    return replaced ? 1 : 0;
  }

  private addMail(
    rule: CompiledRule,
    template: MailTemplateName,
    content: MailContent,
    facts: RecipientFacts,
    message: IncomingMessage,
    now: number,
    extra: { dedupKey?: string; debounceKey?: string; baseline?: string; dueAt?: number },
  ): number {
    const { to, unresolved } = resolveRecipients(rule.recipients, facts, this.parts.settings);
    if (unresolved.length)
      this.parts.log.info(
        { rule: rule.name, unresolved },
        'some recipients of a notification rule have no address',
      );
    const id = this.parts.outbox.addMail(
      {
        rule: rule.name,
        template,
        from: this.parts.settings.from,
        to,
        content,
        sourceId: message.messageId,
        ...extra,
        // Nobody to send to is a configuration problem: kept as a failed mail, so that it shows.
        ...(to.length === 0 ? { failed: `no recipient: ${unresolved.join('; ')}` } : {}),
      },
      now,
    );
    return id === null ? 0 : 1;
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
