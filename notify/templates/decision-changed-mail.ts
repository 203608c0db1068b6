import { classifyChange } from '../classify-decision-change.js';
import type {
  ReceivedDecisionState,
  DecisionUpdate,
  Requirement,
} from '../../gating/decision-update-message.js';
import { PAGE_PATHS, pageUrl } from '../../dashboard/page-paths.js';
import { html, link } from '../html.js';
import { mailContent } from '../mail-content.js';
import type { MailContent } from '../../db/mail-outbox.js';

export interface DecisionChangedInput {
  /** The decision now (the last of the changes the mail waited for). */
  decision: DecisionUpdate;
  /** The decision before the first of those changes. */
  before: ReceivedDecisionState | null;
  rule: string;
  /** The server's public base URL, for the subject's page, result links and the waiver request. */
  serverUrl: string;
}

/** "A gating decision changed": subject, context, before → after, what is unsatisfied and why, how to waive. */
export function decisionChangedMail({
  decision: d,
  before,
  rule,
  serverUrl,
}: DecisionChangedInput): MailContent {
  const change = classifyChange(before, d);
  const from = before ? verdict(before) : 'no decision';
  const to = verdict(d);
  const where = [d.product_version, d.decision_context].filter(Boolean).join(', ');
  const subject = `[sluice] gating ${d.subject_identifier} (${where}): ${from === to ? `still ${to}, requirements changed` : `${from} → ${to}`}`;
  const was = new Set((before?.unsatisfied_requirements ?? []).map(requirementKey));
  const now = new Set(d.unsatisfied_requirements.map(requirementKey));
  const unsatisfied = d.unsatisfied_requirements.map((r) => ({
    r,
    isNew: before !== null && !was.has(requirementKey(r)),
  }));
  const resolved = (before?.unsatisfied_requirements ?? []).filter((r) => !now.has(requirementKey(r)));
  const waivable = d.unsatisfied_requirements.filter((r) => r.testcase);
  const resultUrl = (r: Requirement) =>
    typeof r.result_id === 'number' ? `${serverUrl}/api/v2.0/results/${r.result_id}` : null;

  const facts: Array<[string, string]> = [
    ['Subject', `${d.subject_type} ${d.subject_identifier}`],
    ['Decision context', d.decision_context],
    ['Product version', d.product_version ?? '(any)'],
    ['Policies', d.applicable_policies.join(', ') || '(none)'],
    ['Before', before ? `${verdict(before)}: ${before.summary}` : 'no decision'],
    ['After', `${to}: ${d.summary}`],
    ...(d.testcase ? [['Changed by', `a result or waiver of ${d.testcase}`] as [string, string]] : []),
    ['Page', pageUrl(serverUrl, PAGE_PATHS.subject(d.subject_type, d.subject_identifier))],
  ];
  const width = Math.max(...facts.map(([k]) => k.length)) + 1;
  const waiveCommands = waivable.map((r) => waiveCommand(d, r));
  const lines = [
    change === 'became-unsatisfied'
      ? `The gating decision for ${d.subject_identifier} is no longer satisfied.`
      : change === 'became-satisfied'
        ? `The gating decision for ${d.subject_identifier} is satisfied now.`
        : `The gating decision for ${d.subject_identifier} changed.`,
    '',
    ...facts.map(([k, v]) => `${(`${k}:`).padEnd(width)} ${v}`),
  ];
  if (unsatisfied.length) {
    lines.push('', `Unsatisfied (${unsatisfied.length}):`);
    for (const { r, isNew } of unsatisfied)
      lines.push(
        `  - ${r.testcase ?? r.type}: ${why(r)}${isNew ? ' [new]' : ''}${resultUrl(r) ? `\n    ${resultUrl(r)}` : ''}`,
      );
  }
  if (resolved.length) {
    lines.push('', `No longer unsatisfied (${resolved.length}):`);
    for (const r of resolved) lines.push(`  - ${r.testcase ?? r.type} (was: ${why(r)})`);
  }
  if (waiveCommands.length) {
    lines.push(
      '',
      'To waive one (when the failure is understood and acceptable), with a token of scope waivers:write:',
      '',
      ...waiveCommands.map((c) => `  ${c}`),
      '',
      `or POST the waiver to WaiverDB's API, ${serverUrl}/api/v1.0/waivers/ :`,
      '',
      `  curl -X POST ${serverUrl}/api/v1.0/waivers/ -H 'Authorization: Bearer TOKEN' -H 'Content-Type: application/json' \\`,
      `    -d ${shellQuote(JSON.stringify(waiverBody(d, waivable[0]!)))}`,
    );
  }

  const body = html`<p>${lines[0]}</p>
<table>${facts.map(([k, v]) => html`<tr><th>${k}</th><td>${k === 'Page' ? link(v) : v}</td></tr>`)}</table>
${
  unsatisfied.length
    ? html`<p>Unsatisfied (${unsatisfied.length}):</p><ul>${unsatisfied.map(
        ({ r, isNew }) =>
          html`<li><b>${r.testcase ?? r.type}</b>: ${why(r)}${isNew ? html` <span class="fail">[new]</span>` : ''}${resultUrl(r) ? html` (${link(resultUrl(r), 'result')})` : ''}</li>`,
      )}</ul>`
    : ''
}
${resolved.length ? html`<p>No longer unsatisfied (${resolved.length}):</p><ul>${resolved.map((r) => html`<li>${r.testcase ?? r.type} (was: ${why(r)})</li>`)}</ul>` : ''}
${
  waiveCommands.length
    ? html`<p>To waive one (when the failure is understood and acceptable), with a token of scope <code>waivers:write</code>:</p>
<pre>${waiveCommands.join('\n')}</pre>
<p>or POST the waiver to WaiverDB's API, ${link(`${serverUrl}/api/v1.0/waivers/`)}:</p>
<pre>${JSON.stringify(waiverBody(d, waivable[0]!), null, 2)}</pre>`
    : ''
}`;
  return mailContent(subject, rule, lines.join('\n'), body);
}

function verdict(d: ReceivedDecisionState): string {
  return d.policies_satisfied ? 'satisfied' : 'unsatisfied';
}

/** Why a requirement is unsatisfied, in words (Greenwave's answer types). */
export function why(r: Requirement): string {
  const base = r.type.replace(/-waived$/, '');
  const waived = r.type.endsWith('-waived') ? ' (waived)' : '';
  switch (base) {
    case 'test-result-missing':
      return `no result yet${r.scenario ? ` for scenario ${r.scenario}` : ''}${waived}`;
    case 'test-result-failed':
      return `failed${r.scenario ? ` in scenario ${r.scenario}` : ''}${waived}`;
    case 'test-result-errored':
      return `errored${r.error_reason ? `: ${r.error_reason}` : ''}${waived}`;
    case 'test-result-incomplete':
      return `still running or queued${waived}`;
    case 'invalid-gating-yaml':
      return `the gating.yaml is invalid${r.details ? `: ${r.details}` : ''}`;
    case 'missing-gating-yaml':
      return 'the required gating.yaml is missing';
    case 'failed-fetch-gating-yaml':
      return `the gating.yaml could not be fetched${typeof r.error === 'string' ? `: ${r.error}` : ''}`;
    default:
      return r.type;
  }
}

function requirementKey(r: Requirement): string {
  return JSON.stringify([
    r.type,
    r.testcase ?? null,
    r.subject_type ?? null,
    r.subject_identifier ?? null,
    r.scenario ?? null,
  ]);
}

/** The subject a requirement is about (a build of an update, say), else the decision's. */
function requirementSubject(d: DecisionUpdate, r: Requirement): { type: string; identifier: string } {
  if (r.subject_type && r.subject_identifier)
    return { type: r.subject_type, identifier: r.subject_identifier };
  const item = r.item as { type?: unknown; item?: unknown; identifier?: unknown } | undefined;
  const id =
    typeof item?.item === 'string'
      ? item.item
      : typeof item?.identifier === 'string'
        ? item.identifier
        : null;
  if (typeof item?.type === 'string' && id) return { type: item.type, identifier: id };
  return { type: d.subject_type, identifier: d.subject_identifier };
}

function waiverBody(d: DecisionUpdate, r: Requirement): Record<string, unknown> {
  const s = requirementSubject(d, r);
  return {
    subject_type: s.type,
    subject_identifier: s.identifier,
    testcase: r.testcase,
    ...(r.scenario ? { scenario: r.scenario } : {}),
    product_version: d.product_version ?? 'PRODUCT_VERSION',
    comment: 'WHY',
  };
}

function waiveCommand(d: DecisionUpdate, r: Requirement): string {
  const s = requirementSubject(d, r);
  const args = [
    s.type,
    s.identifier,
    r.testcase!,
    '--product-version',
    d.product_version ?? 'PRODUCT_VERSION',
  ];
  if (r.scenario) args.push('--scenario', r.scenario);
  return `sluice waive ${args.map(shellQuote).join(' ')} --comment 'WHY'`;
}

/** Quoted for a POSIX shell when it needs to be, so that a pasted command does what it says. */
function shellQuote(s: string): string {
  return /^[A-Za-z0-9_.,:/@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
