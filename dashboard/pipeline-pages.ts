import type { PipelineNode } from '../pipeline/pipeline-node.js';
import type { StoredResult } from '../results/result-json.js';
import { type ApiForm, apiFormOpen } from './gating-pages.js';
import { html, trusted, type Html } from './html.js';
import { badge, bytes, duration, layout, notice, when } from './layout.js';
import { PAGE_PATHS } from './page-paths.js';

export interface RunsFilter {
  repo: string;
  branch: string;
  result: string;
}

export interface RunRow {
  root: PipelineNode;
  /** The run's most recently changed node, for the "latest" column. */
  latest: { name: string; state: string; result: string | null } | undefined;
  /** Over all its nodes (see runVerdict): the root's own result is only its checkout's. */
  verdict: string;
}

const VERDICTS = ['pass', 'fail', 'incomplete', 'running'];

/** Runs newest first, filtered; rows follow node changes live (the script listens to the event stream). */
export function runsPage(
  rows: RunRow[],
  filter: RunsFilter,
  next: string | null,
  user?: string | null,
): Html {
  const body = html`<h1>Runs</h1>
<form class="filters" method="get" action="${PAGE_PATHS.runs()}" role="search" aria-label="Filter runs">
<label>Repository <input name="repo" value="${filter.repo}"></label>
<label>Branch <input name="branch" value="${filter.branch}"></label>
<label>Verdict <select name="result"><option value="">any</option>${VERDICTS.map(
    (r) => html`<option value="${r}"${filter.result === r ? html` selected` : ''}>${r}</option>`,
  )}</select></label>
<button type="submit">Filter</button>
</form>
<div data-live-nodes="all" data-refresh="runs-table">
${runsTable(rows)}
</div>
${next ? html`<p><a href="${next}">Older runs</a></p>` : ''}`;
  return layout({ title: 'Runs', section: 'runs', body, user });
}

function runsTable(rows: RunRow[]): Html {
  if (rows.length === 0) return html`<div id="runs-table">${notice('No runs match.')}</div>`;
  return html`<table id="runs-table"><caption class="muted">Active and recent runs, newest first</caption>
<thead><tr><th scope="col">Run</th><th scope="col">Repository</th><th scope="col">Branch</th><th scope="col">Revision</th><th scope="col">State</th><th scope="col">Verdict</th><th scope="col">Latest change</th><th scope="col">Started</th></tr></thead>
<tbody>${rows.map(
    ({ root, latest, verdict }) => html`<tr data-node-id="${root.id}" data-run-id="${root.id}">
<td><a href="${PAGE_PATHS.run(String(root.id))}">#${root.id}</a></td>
<td>${root.repo ?? ''}</td><td>${root.branch ?? ''}</td><td class="mono">${(root.revision ?? '').slice(0, 12)}</td>
<td>${badge(root.state, 'state')}</td><td>${badge(verdict)}</td>
<td data-field="activity">${latest ? `${latest.name} ${latest.state}${latest.result ? ` (${latest.result})` : ''}` : ''}</td>
<td>${when(root.createdAt)}</td></tr>`,
  )}</tbody></table>`;
}

/** How a run stands over all its nodes: a failed one fails it, an unfinished one leaves it running. */
export function runVerdict(nodes: readonly PipelineNode[]): 'pass' | 'fail' | 'incomplete' | 'running' {
  if (nodes.some((n) => n.result === 'fail')) return 'fail';
  if (nodes.some((n) => n.result === null)) return 'running';
  if (nodes.some((n) => n.result === 'incomplete')) return 'incomplete';
  return 'pass';
}

export function runPage(root: PipelineNode, nodes: PipelineNode[], user?: string | null): Html {
  const children = new Map<number | null, PipelineNode[]>();
  for (const n of nodes) {
    const list = children.get(n.parentId) ?? [];
    list.push(n);
    children.set(n.parentId, list);
  }
  const tree = (n: PipelineNode): Html => {
    const kids = children.get(n.id) ?? [];
    return html`<li data-node-id="${n.id}"><a href="${PAGE_PATHS.node(String(n.id))}">${n.name}</a>
<span class="muted">${n.kind}</span> ${badge(n.state, 'state')} ${badge(n.result, 'result')}
<span class="muted">builder <span data-field="builder">${str(n.data.builder) ?? '—'}</span>,
took ${duration(num(n.data.duration_ms))}${n.retryCount > 0 ? `, retry ${n.retryCount}` : ''}</span>
${kids.length ? html`<ul>${kids.map(tree)}</ul>` : ''}</li>`;
  };
  const verdict = runVerdict(nodes);
  const body = html`<h1>Run #${root.id}: ${root.repo ?? ''} ${root.branch ?? ''}</h1>
<div data-live-nodes="${root.id}" data-refresh="run-live"><div id="run-live">
<p class="verdict">Verdict: ${badge(verdict)}</p>
<dl class="meta"><dt>Revision</dt><dd class="mono">${root.revision ?? '—'}</dd>
<dt>Started</dt><dd>${when(root.createdAt)}</dd><dt>Updated</dt><dd>${when(root.updatedAt)}</dd>
<dt>Jobs</dt><dd>${nodes.length - 1}</dd></dl>
<h2 id="tree-heading">Nodes</h2>
<ul class="tree" id="run-tree" aria-labelledby="tree-heading">${tree(root)}${(children.get(null) ?? [])
    .filter((n) => n.id !== root.id)
    .map(tree)}</ul>
<h2>Jobs</h2>
<table><thead><tr><th scope="col">Node</th><th scope="col">Job</th><th scope="col">State</th><th scope="col">Result</th><th scope="col">Builder</th><th scope="col">Duration</th><th scope="col">Retries</th></tr></thead>
<tbody>${nodes
    .filter((n) => n.parentId !== null)
    .map(
      (
        n,
      ) => html`<tr data-node-id="${n.id}"><td><a href="${PAGE_PATHS.node(String(n.id))}">${n.path.join(' › ')}</a></td>
<td>${n.job ?? ''}</td><td>${badge(n.state, 'state')}</td><td>${badge(n.result, 'result')}</td>
<td data-field="builder">${str(n.data.builder) ?? '—'}</td><td>${duration(num(n.data.duration_ms))}</td><td class="num">${n.retryCount}</td></tr>`,
    )}</tbody></table></div></div>`;
  return layout({ title: `Run #${root.id}`, section: 'runs', body, user });
}

export interface LogView {
  /** Rendered HTML of the shown part. */
  html: string;
  from: number;
  to: number;
  size: number;
  pageBytes: number;
}

export interface NodePageData {
  node: PipelineNode;
  log: LogView;
  /** Where the page's script asks for what the log gains, while the job runs. */
  followUrl: string | null;
  artifactUrl: (name: string) => string;
  results: StoredResult[];
  /** The "Run again" button's form, for someone who may (runs:write); undefined shows none. */
  retry?: ApiForm;
  user?: string | null;
}

export function nodePage(d: NodePageData): Html {
  const { node, log } = d;
  const subject = node.data.subject as { type?: unknown; item?: unknown } | undefined;
  const self = PAGE_PATHS.node(String(node.id));
  const earlier = log.from > 0 ? Math.max(0, log.from - log.pageBytes) : null;
  const later = log.to < log.size ? log.to : null;
  const body = html`<h1>${node.path.join(' › ')} <span class="muted">(node #${node.id})</span></h1>
<div data-node-id="${node.id}">
<dl class="meta"><dt>Run</dt><dd><a href="${PAGE_PATHS.run(String(node.runId))}">#${node.runId}</a></dd>
<dt>Job</dt><dd>${node.job ?? '—'}</dd><dt>State</dt><dd>${badge(node.state, 'state')}</dd>
<dt>Result</dt><dd>${badge(node.result, 'result')}</dd>
<dt>Builder</dt><dd data-field="builder">${str(node.data.builder) ?? '—'}</dd>
<dt>Duration</dt><dd>${duration(num(node.data.duration_ms))}</dd><dt>Retries</dt><dd>${node.retryCount}</dd>
${node.data.reason ? html`<dt>Reason</dt><dd>${String(node.data.reason)}</dd>` : ''}
${node.retryOf !== null ? html`<dt>Retry of</dt><dd><a href="${PAGE_PATHS.node(String(node.retryOf))}">node #${node.retryOf}</a></dd>` : ''}
${
  subject && typeof subject.type === 'string' && typeof subject.item === 'string'
    ? html`<dt>Subject</dt><dd><a href="${PAGE_PATHS.subject(subject.type, subject.item)}">${subject.type} ${subject.item}</a></dd>`
    : ''
}</dl></div>
${
  d.retry && node.job !== null && node.result !== null
    ? html`${apiFormOpen(d.retry, `Run ${node.name} again`)}<button type="submit" class="secondary">Run this job again</button> <span class="form-error" role="alert"></span></form>`
    : ''
}
<h2 id="log-heading">Log</h2>
<p class="muted">Bytes ${log.from}–${log.to} of ${log.size}. <a href="/api/v1/nodes/${node.id}/log">Raw log</a></p>
<nav class="pager" aria-label="Log pages">${earlier !== null ? html`<a href="${self}?log_from=${earlier}#log-heading">Earlier part</a>` : ''}${
    later !== null ? html`<a href="${self}?log_from=${later}#log-heading">Later part</a>` : ''
  }</nav>
<pre class="log" id="log" tabindex="0" aria-labelledby="log-heading"${
    d.followUrl ? html` data-follow="${d.followUrl}" data-next="${log.to}"` : ''
  }>${trusted(log.html)}</pre>
<h2>Artifacts</h2>
${
  Object.keys(node.artifacts).length === 0
    ? notice('No artifacts.')
    : html`<table><thead><tr><th scope="col">File</th><th scope="col">Size</th><th scope="col">SHA-256</th></tr></thead><tbody>${Object.entries(
        node.artifacts,
      ).map(
        ([name, a]) =>
          html`<tr><td><a href="${d.artifactUrl(name)}">${name}</a></td><td class="num">${bytes(a.size)}</td><td class="mono">${a.sha256.slice(0, 16)}…</td></tr>`,
      )}</tbody></table>`
}
<h2>Test results</h2>
${d.results.length === 0 ? notice('No test results stored from this job.') : resultsTable(d.results)}`;
  return layout({ title: `Node #${node.id}`, section: 'runs', body, user: d.user });
}

export function resultsTable(results: StoredResult[]): Html {
  return html`<table><thead><tr><th scope="col">Result</th><th scope="col">Test case</th><th scope="col">Outcome</th><th scope="col">Item</th><th scope="col">Submitted</th></tr></thead>
<tbody>${results.map(
    (r) => html`<tr><td><a href="${PAGE_PATHS.result(r.id)}">#${r.id}</a></td><td>${r.testcase.name}</td>
<td>${badge(r.outcome)}</td><td>${(r.data.type ?? [])[0] ?? ''} ${(r.data.item ?? [])[0] ?? ''}</td><td>${when(r.submit_time)}</td></tr>`,
  )}</tbody></table>`;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
function num(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}
