import { isValidTopicPattern, topicMatches } from '../schemas/topic-pattern.js';
import type { MailTemplateName, MatchValue, NotifySettings, OneOrMore } from '../config/config-types.js';
import { changeMeets, classifyChange, type DecisionCondition } from './classify-decision-change.js';
import type { ReceivedDecisionState } from '../gating/decision-update-message.js';
import { NODE_TOPICS, type NodeEvent } from './node-event.js';
import { DECISION_UPDATE } from '../gating/decision-update-message.js';
import type { ChatFormat } from './templates/chat-text.js';

/** The topics each mail is made from: its template reads that body. */
const MAIL_TOPICS: Readonly<Record<MailTemplateName, readonly string[]>> = {
  'decision-changed': [DECISION_UPDATE.name],
  'job-failed': ['pipeline.node.updated'],
  'run-report': ['pipeline.node.updated'],
};

const NODE_PATTERNS = [...NODE_TOPICS, 'pipeline.node.*'];
const NODE_FIELDS = ['kind', 'name', 'job', 'state', 'result'] as const;
type NodeField = (typeof NODE_FIELDS)[number];
/** Fields whose match must be a change in this very message (KernelCI fires on transitions, never on "is in state"). */
const TRANSITION_FIELDS: ReadonlySet<NodeField> = new Set(['state', 'result']);

export interface CompiledRule {
  name: string;
  topics: string[];
  mail: MailTemplateName | null;
  recipients: { addresses: string[]; author: boolean; maintainers: boolean };
  webhook: { url: string; secret: string } | null;
  /** Posts to a chat room what the mail would tell (`about`), as a short text with links. */
  chat: { urlFile: string; format: ChatFormat; about: MailTemplateName } | null;
  /** For decision-changed mails: how long the first change waits for the ones after it. */
  debounceMs: number;
  decision: DecisionCondition | null;
  node: Partial<Record<NodeField, string[]>> | null;
  runDone: boolean;
  match: Array<{ path: string[]; values: MatchValue[] }>;
}

/**
 * The configured rules, checked beyond what the schema can say, with the conditions each mail
 * implies filled in: a job-failed mail is about a node whose result just became `fail` (unless
 * `when.node.result` says otherwise), a run report about a root that just became done, a
 * decision mail about a decision that changed.
 */
export function compileRules(settings: Pick<NotifySettings, 'rules' | 'debounceSeconds'>): {
  rules: CompiledRule[];
  problems: string[];
} {
  const problems: string[] = [];
  const rules: CompiledRule[] = [];
  const seen = new Map<string, number>();
  settings.rules.forEach((r, i) => {
    const at = `notify.rules[${i}]`;
    const before = problems.length;
    const other = seen.get(r.name);
    if (other !== undefined)
      problems.push(`${at}.name: "${r.name}" is the name of notify.rules[${other}] too`);
    seen.set(r.name, i);
    const mail = r.mail ?? null;
    if (!mail && !r.webhook && !r.chat)
      problems.push(`${at}: says neither mail nor webhook (nor chat), so it would do nothing`);
    // What the rule tells of, for mail and chat alike: one rule, one kind of news.
    const about = mail ?? r.chat?.about ?? null;
    if (r.chat && !about)
      problems.push(
        `${at}.chat.about: is required without mail (job-failed, decision-changed or run-report)`,
      );
    if (r.chat?.about && mail && r.chat.about !== mail)
      problems.push(
        `${at}.chat.about: "${r.chat.about}" differs from the rule's mail "${mail}"; use a rule for each`,
      );
    if (mail && r.recipients.length === 0)
      problems.push(`${at}.recipients: a rule with mail needs at least one recipient`);
    if (!mail && r.recipients.length > 0)
      problems.push(
        `${at}.mail: recipients are given but no mail to send them (job-failed, decision-changed or run-report)`,
      );
    const recipients = { addresses: [] as string[], author: false, maintainers: false };
    r.recipients.forEach((who, k) => {
      if (who === 'author') recipients.author = true;
      else if (who === 'maintainers') recipients.maintainers = true;
      else if (/^[^@\s]+@[^@\s]+$|<[^@\s<>]+@[^@\s<>]+>\s*$/.test(who)) recipients.addresses.push(who);
      else
        problems.push(`${at}.recipients[${k}]: "${who}" is neither an address nor "author" or "maintainers"`);
    });
    const topics = r.topics ?? (about ? [...MAIL_TOPICS[about]] : []);
    if (!r.topics && !about) problems.push(`${at}.topics: is required for a rule without mail`);
    topics.forEach((t, k) => {
      if (!isValidTopicPattern(t))
        problems.push(`${at}.topics[${k}]: "${t}" is not a topic pattern (dot-separated words, "*" or "#")`);
      else if (about && !MAIL_TOPICS[about].includes(t))
        problems.push(
          `${at}.topics[${k}]: the ${about} ${mail ? 'mail' : 'chat post'} is made from ${MAIL_TOPICS[about].join(', ')} messages, not "${t}"`,
        );
    });
    const when = r.when ?? {};
    const decision = when.decision ?? (about === 'decision-changed' ? 'changed' : null);
    if (decision && !topics.every((t) => t === DECISION_UPDATE.name))
      problems.push(
        `${at}.when.decision: applies to ${DECISION_UPDATE.name} only, and the rule follows ${topics.join(', ')}`,
      );
    let node = when.node ? compileNode(when.node) : null;
    if (about === 'job-failed' && !node?.result) node = { ...node, result: ['fail'] };
    const runDone = when.run === 'done' || about === 'run-report';
    if ((node || runDone) && !topics.every((t) => NODE_PATTERNS.includes(t))) {
      problems.push(
        `${at}.when: node and run conditions apply to ${NODE_TOPICS.join(', ')} only, and the rule follows ${topics.join(', ')}`,
      );
    }
    if (r.debounceSeconds !== undefined && mail !== 'decision-changed')
      problems.push(`${at}.debounceSeconds: only decision-changed mails wait for later changes`);
    const match = Object.entries(when.match ?? {}).map(([path, v]) => ({
      path: path.split('.'),
      values: Array.isArray(v) ? v : [v],
    }));
    if (problems.length > before) return;
    rules.push({
      name: r.name,
      topics,
      mail,
      recipients,
      webhook: r.webhook ?? null,
      chat: r.chat && about ? { urlFile: r.chat.urlFile, format: r.chat.format ?? 'slack', about } : null,
      debounceMs: mail === 'decision-changed' ? (r.debounceSeconds ?? settings.debounceSeconds) * 1000 : 0,
      decision,
      node,
      runDone,
      match,
    });
  });
  return { rules, problems };
}

/** Topic, `match`, node and run conditions: everything but the decision condition, which debouncing evaluates over a window. */
export function matchesMessage(rule: CompiledRule, topic: string, body: unknown): boolean {
  if (!rule.topics.some((p) => topicMatches(p, topic))) return false;
  for (const m of rule.match) if (!m.values.some((v) => Object.is(v, valueAt(body, m.path)))) return false;
  if (rule.node || rule.runDone) {
    const n = body as NodeEvent;
    if (rule.runDone && !(n.parent_id === null && n.state === 'done' && n.previous_state !== 'done'))
      return false;
    for (const field of NODE_FIELDS) {
      const wanted = rule.node?.[field];
      if (!wanted) continue;
      const value = n[field];
      if (typeof value !== 'string' || !wanted.includes(value)) return false;
      if (TRANSITION_FIELDS.has(field) && n[`previous_${field as 'state' | 'result'}`] === value)
        return false;
    }
  }
  return true;
}

/** The decision condition between two states; rules without one accept any change. */
export function decisionMeets(
  rule: CompiledRule,
  before: ReceivedDecisionState | null,
  after: ReceivedDecisionState,
): boolean {
  return changeMeets(rule.decision ?? 'changed', classifyChange(before, after));
}

function compileNode(node: Partial<Record<NodeField, OneOrMore>>): Partial<Record<NodeField, string[]>> {
  const out: Partial<Record<NodeField, string[]>> = {};
  for (const f of NODE_FIELDS) {
    const v = node[f];
    if (v !== undefined) out[f] = Array.isArray(v) ? v : [v];
  }
  return out;
}

function valueAt(body: unknown, path: string[]): unknown {
  let v = body;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}
