import type { StoredResult } from '../results/result-json.js';
import type { WaiverJson } from '../waivers/waiver-json.js';
import { waiversTable } from './gating-pages.js';
import { html, type Html } from './html.js';
import { badge, layout, notice, when } from './layout.js';
import { PAGE_PATHS } from './page-paths.js';
import { resultsTable } from './pipeline-pages.js';

export interface SearchPage<T> {
  /** The form's values as given (shown back in the form). */
  values: Record<string, string>;
  items: T[];
  /** A refusal of the filters, naming the field. */
  error?: string;
  next: string | null;
  prev: string | null;
  total?: number;
  user?: string | null;
}

function field(name: string, label: string, values: Record<string, string>, hint?: string): Html {
  return html`<label>${label} <input name="${name}" value="${values[name] ?? ''}"${hint ? html` placeholder="${hint}"` : ''}></label>`;
}

function pager(p: SearchPage<unknown>): Html {
  return html`<nav class="pager" aria-label="Pages">${p.prev ? html`<a href="${p.prev}">Newer</a>` : ''}${
    p.next ? html`<a href="${p.next}">Older</a>` : ''
  }</nav>`;
}

const OUTCOMES = ['', 'PASSED', 'FAILED', 'ERROR', 'INFO', 'NEEDS_INSPECTION', 'QUEUED', 'RUNNING'];

/** Results searched with ResultsDB's own filters (the form's names are the API's parameters). */
export function resultsSearchPage(p: SearchPage<StoredResult>): Html {
  const body = html`<h1>Results</h1>
<form class="filters" method="get" action="${PAGE_PATHS.results()}" role="search" aria-label="Search results">
${field('item', 'Item', p.values)}${field('type', 'Type', p.values, 'koji_build')}
${field('testcases', 'Test case', p.values, 'name, or with * as a pattern')}
<label>Outcome <select name="outcome">${OUTCOMES.map(
    (o) => html`<option value="${o}"${p.values.outcome === o ? html` selected` : ''}>${o || 'any'}</option>`,
  )}</select></label>
${field('since', 'Submitted since', p.values, '2026-01-01 or start,end')}
<button type="submit">Search</button></form>
${p.error ? notice(p.error, true) : p.items.length === 0 ? notice('No results match.') : resultsTable(p.items)}
${pager(p)}`;
  return layout({ title: 'Results', section: 'results', body, user: p.user });
}

export function resultPage(r: StoredResult, user?: string | null): Html {
  const item = (r.data.item ?? [])[0];
  const type = (r.data.type ?? [])[0];
  const nodeId = (r.data.node_id ?? [])[0];
  const body = html`<h1>Result #${r.id}: ${r.testcase.name}</h1>
<p class="verdict">Outcome: ${badge(r.outcome)}</p>
<dl class="meta"><dt>Test case</dt><dd>${r.testcase.name}${
    r.testcase.ref_url ? html` (<a href="${safeUrl(r.testcase.ref_url)}">about</a>)` : ''
  }</dd>
<dt>Submitted</dt><dd>${when(r.submit_time)}</dd>
${item && type ? html`<dt>Subject</dt><dd><a href="${PAGE_PATHS.subject(type, item)}">${type} ${item}</a></dd>` : ''}
${nodeId ? html`<dt>Job</dt><dd><a href="${PAGE_PATHS.node(nodeId)}">node #${nodeId}</a> (<a href="${PAGE_PATHS.node(nodeId)}#log-heading">log</a>)</dd>` : ''}
<dt>Note</dt><dd>${r.note ?? '—'}</dd>
<dt>Reference</dt><dd>${r.ref_url ? html`<a href="${safeUrl(r.ref_url)}">${r.ref_url}</a>` : '—'}</dd>
<dt>API</dt><dd><a href="${new URL(r.href).pathname}">JSON</a></dd></dl>
<h2>Data</h2>
<table><thead><tr><th scope="col">Key</th><th scope="col">Values</th></tr></thead><tbody>${Object.entries(
    r.data,
  ).map(([k, vs]) => html`<tr><td>${k}</td><td>${vs.join(', ')}</td></tr>`)}</tbody></table>
<h2>Groups</h2>
${r.groups.length === 0 ? notice('In no group.') : html`<ul>${r.groups.map((g) => html`<li><a href="${PAGE_PATHS.results()}?groups=${encodeURIComponent(g)}">${g}</a></li>`)}</ul>`}`;
  return layout({ title: `Result #${r.id}`, section: 'results', body, user });
}

/** Waivers searched with WaiverDB's own filters. */
export function waiversSearchPage(p: SearchPage<WaiverJson>): Html {
  const body = html`<h1>Waivers</h1>
<form class="filters" method="get" action="${PAGE_PATHS.waivers()}" role="search" aria-label="Search waivers">
${field('subject_identifier', 'Item', p.values)}${field('subject_type', 'Type', p.values, 'koji_build')}
${field('testcase', 'Test case', p.values)}${field('product_version', 'Product version', p.values)}
${field('username', 'By', p.values)}${field('since', 'Since', p.values, '2026-01-01 or start,end')}
<button type="submit">Search</button></form>
${p.error ? notice(p.error, true) : html`<p class="muted">${p.total ?? p.items.length} waivers match.</p>${waiversTable(p.items)}`}
${pager(p)}`;
  return layout({ title: 'Waivers', section: 'waivers', body, user: p.user });
}

/** Only http(s) links are made links: a `javascript:` ref_url is hostile input. */
export function safeUrl(url: string): string {
  return /^https?:\/\//i.test(url) ? url : '#';
}
