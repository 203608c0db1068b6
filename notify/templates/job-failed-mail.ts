import { PAGE_PATHS, pageUrl } from '../../dashboard/page-paths.js';
import { html, link } from '../html.js';
import type { LogTail } from '../job-log-source.js';
import { indent, mailContent, duration } from '../mail-content.js';
import type { MailContent } from '../../db/mail-outbox.js';
import type { NodeJson } from '../../pipeline/pipeline-node.js';
import { logUrl, repoBranch, shortRevision, type NodeEvent } from '../node-event.js';

export interface JobFailedInput {
  node: NodeEvent;
  /** The run's root (the checkout), for the change's repo, branch, revision and author. */
  root: NodeJson | null;
  log: LogTail;
  rule: string;
  /** The server's public base URL (server.publicUrl, else its own), for the link to the node's page. */
  serverUrl: string;
}

const VERB: Record<string, string> = {
  fail: 'failed',
  incomplete: 'did not complete',
  skip: 'was skipped',
  pass: 'passed',
};

/** "A job failed": what, where, the end of its log, links to the log and the artifacts. */
export function jobFailedMail({ node, root, log, rule, serverUrl }: JobFailedInput): MailContent {
  const change = root ?? node;
  const data = node.data ?? {};
  const verb = VERB[node.result ?? ''] ?? `ended ${node.result}`;
  const label = node.job && node.job !== node.name ? `${node.name} (job ${node.job})` : node.name;
  const subject = `[sluice] ${repoBranch(change)} ${shortRevision(change.revision)}: ${node.name} ${verb}`;
  const builder = str(data.builder);
  const author = str(change.data?.author);
  const reason = str(data.reason);
  const exit = typeof data.exit_code === 'number' ? String(data.exit_code) : null;
  const took = duration(typeof data.duration_ms === 'number' ? data.duration_ms : null);
  const logLink = logUrl(node);
  const page = pageUrl(serverUrl, PAGE_PATHS.node(String(node.id)));
  const artifacts = Object.entries(node.artifacts ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const facts: Array<[string, string | null]> = [
    ['Job', label],
    ['Kind', node.kind],
    ['Path', node.path.join(' › ')],
    ['Result', node.result],
    ['Reason', reason],
    ['Exit code', exit],
    ['Builder', builder],
    ['Duration', took || null],
    ['Change', `${repoBranch(change)} ${change.revision ?? ''}`.trim()],
    ['Author', author],
    ['Page', page],
    ['Node', node.href ?? null],
    ['Log', logLink],
  ];
  const shown = facts.filter((f): f is [string, string] => f[1] !== null && f[1] !== '');
  const width = Math.max(...shown.map(([k]) => k.length)) + 1;
  const nameWidth = Math.max(0, ...artifacts.map(([name]) => name.length));
  const tailTitle =
    log.text !== null
      ? `${log.truncated ? 'The end' : 'All'} of the log:`
      : `No log to quote: ${log.problem ?? 'none was kept'}.`;

  const text = [
    `Job ${label} ${verb}${builder ? ` on ${builder}` : ''}.`,
    '',
    ...shown.map(([k, v]) => `${(`${k}:`).padEnd(width)} ${v}`),
    ...(artifacts.length
      ? [
          '',
          'Artifacts:',
          ...artifacts.map(([name, a]) => `  ${a.url ? `${name.padEnd(nameWidth)}  ${a.url}` : name}`),
        ]
      : []),
    '',
    tailTitle,
    ...(log.text !== null ? ['', indent(log.text)] : []),
  ].join('\n');

  const body = html`<p>Job <b>${label}</b> <span class="fail">${verb}</span>${builder ? html` on ${builder}` : ''}.</p>
<table>${shown.map(([k, v]) => html`<tr><th>${k}</th><td>${k === 'Page' || k === 'Node' || k === 'Log' ? link(v) : v}</td></tr>`)}</table>
${artifacts.length ? html`<p>Artifacts:</p><ul>${artifacts.map(([name, a]) => html`<li>${link(a.url, name)}</li>`)}</ul>` : ''}
<p>${tailTitle}</p>
${log.text !== null ? html`<pre>${log.text}</pre>` : ''}`;
  return mailContent(subject, rule, text, body);
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
