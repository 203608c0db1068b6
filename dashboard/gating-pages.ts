import type { StoredDecisionChange } from '../db/decision-history-store.js';
import type { UpdateJson } from '../updates/update-json.js';
import type { WaiverJson } from '../waivers/waiver-json.js';
import { html, type Html, type HtmlValue } from './html.js';
import { badge, layout, notice, when } from './layout.js';
import { PAGE_PATHS } from './page-paths.js';

/** How one required test stands, in the words a maintainer reads on the subject page. */
export type TestStatus =
  | 'passed'
  | 'failed'
  | 'errored'
  | 'missing'
  | 'queued'
  | 'running'
  | 'waived'
  | 'invalid-gating-yaml'
  | 'missing-gating-yaml'
  | 'failed-fetch-gating-yaml';

export interface RequirementRow {
  testcase: string;
  scenario: string | null;
  status: TestStatus;
  /** What was waived (failed, missing…), for a waived row. */
  waivedWas: string | null;
  resultId: number | null;
  /** The pipeline node that produced the result, when one did: its log is on the node's page. */
  nodeId: string | null;
  detail: string | null;
}

export interface ContextDecision {
  context: string;
  productVersion: string;
  /** Undefined when no decision could be made; `error` says why. */
  satisfied?: boolean;
  summary: string;
  rows: RequirementRow[];
  error?: string;
}

/**
 * A write from a page: the page's script posts the form's fields as JSON to the API route
 * `action` with the session's CSRF token in X-CSRF-Token (the API's own checks and permissions
 * apply); `kind` says how the fields become the body.
 */
export interface ApiForm {
  action: string;
  kind: 'waive' | 'replay' | 'retry';
  hidden: Record<string, string>;
  /** The session's CSRF token; empty when the server is open (no authentication configured). */
  csrf: string;
}

export interface SubjectPageData {
  subjectType: string;
  identifier: string;
  decisions: ContextDecision[];
  waivers: WaiverJson[];
  /** Shown when the person may waive; undefined otherwise (with `waiveHint` saying how to). */
  waive?: ApiForm;
  waiveHint?: HtmlValue;
  message?: { text: string; error: boolean };
  user?: string | null;
}

const ORDER: Record<string, number> = { failed: 0, errored: 1, missing: 2, running: 3, queued: 4 };

export function subjectPage(d: SubjectPageData): Html {
  const title = `${d.subjectType} ${d.identifier}`;
  const body = html`<h1><span class="muted">${d.subjectType}</span> ${d.identifier}</h1>
<p><a href="${PAGE_PATHS.decisionHistory(d.subjectType, d.identifier)}">Decision history (why it changed)</a> ·
<a href="${PAGE_PATHS.results()}?${new URLSearchParams({ item: d.identifier, type: d.subjectType }).toString()}">All results</a></p>
${d.message ? notice(d.message.text, d.message.error) : ''}
${d.decisions.length === 0 ? notice('No policy applies to this subject: nothing gates it.') : ''}
${d.decisions.map((c) => decisionSection(c, d))}
<h2>Waivers</h2>
${waiversTable(d.waivers)}`;
  return layout({ title, section: null, body, user: d.user });
}

function decisionSection(c: ContextDecision, d: SubjectPageData): Html {
  const id = `ctx-${c.context}-${c.productVersion}`.replace(/[^\w-]/g, '_');
  const rows = [...c.rows].sort((a, b) => (ORDER[a.status] ?? 9) - (ORDER[b.status] ?? 9));
  const waivable = rows.filter((r) => ['failed', 'errored', 'missing'].includes(r.status));
  return html`<section aria-labelledby="${id}">
<h2 id="${id}">${c.context} <span class="muted">· ${c.productVersion}</span></h2>
<p class="verdict" data-decision="${c.context}/${c.productVersion}">${
    c.error !== undefined
      ? html`${badge('undecided')} ${c.error}`
      : html`${badge(c.satisfied ? 'passed' : rows.some((r) => r.status === 'failed' || r.status === 'errored' || r.status.endsWith('gating-yaml')) ? 'failed' : 'waiting')} ${c.summary}`
  }</p>
${
  rows.length === 0
    ? ''
    : html`<table><caption class="muted">Required tests at ${c.context} for ${c.productVersion}</caption>
<thead><tr><th scope="col">Test case</th><th scope="col">Scenario</th><th scope="col">Status</th><th scope="col">Result</th><th scope="col">Log</th></tr></thead>
<tbody>${rows.map(
        (r) => html`<tr data-testcase="${r.testcase}"><td>${r.testcase}</td><td>${r.scenario ?? ''}</td>
<td>${badge(r.status)}${r.waivedWas ? html` <span class="muted">(was ${r.waivedWas})</span>` : ''}${
          r.detail ? html` <span class="muted">${r.detail}</span>` : ''
        }</td>
<td>${r.resultId !== null ? html`<a href="${PAGE_PATHS.result(r.resultId)}">result #${r.resultId}</a>` : html`<span class="muted">none</span>`}</td>
<td>${r.nodeId !== null ? html`<a href="${PAGE_PATHS.node(r.nodeId)}#log-heading">log</a>` : html`<span class="muted">—</span>`}</td></tr>`,
      )}</tbody></table>`
}
${waivable.length > 0 ? waiveForm(c, waivable, d) : ''}
</section>`;
}

function waiveForm(c: ContextDecision, rows: RequirementRow[], d: SubjectPageData): Html {
  if (!d.waive) return d.waiveHint ? html`<p class="muted">${d.waiveHint}</p>` : html``;
  const f = d.waive;
  const fid = `waive-${c.context}-${c.productVersion}`.replace(/[^\w-]/g, '_');
  return html`<details><summary>Waive a test at ${c.context} for ${c.productVersion}</summary>
${apiFormOpen(f, `Waive a test at ${c.context} for ${c.productVersion}`)}
<input type="hidden" name="product_version" value="${c.productVersion}">
<label for="${fid}-tc">Test case</label>
<select id="${fid}-tc" name="testcase">${rows.map((r) => html`<option value="${r.testcase}">${r.testcase} (${r.status})</option>`)}</select>
<label for="${fid}-reason">Reason (required)</label>
<textarea id="${fid}-reason" name="comment" required minlength="1" rows="3" cols="60"></textarea>
<p><button type="submit">Waive</button></p>
<p class="form-error" role="alert"></p>
</form></details>`;
}

/** The opening of a form the page's script sends to the API (see ApiForm). */
export function apiFormOpen(f: ApiForm, label: string): Html {
  return html`<form class="stack" method="post" action="${f.action}" data-api-form="${f.kind}" data-csrf="${f.csrf}" aria-label="${label}">
${Object.entries(f.hidden).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}`;
}

export function waiversTable(waivers: readonly WaiverJson[]): Html {
  if (waivers.length === 0) return notice('No waivers.');
  return html`<table><thead><tr><th scope="col">Waiver</th><th scope="col">Subject</th><th scope="col">Test case</th><th scope="col">Product version</th><th scope="col">Waived</th><th scope="col">By</th><th scope="col">Reason</th><th scope="col">When</th></tr></thead>
<tbody>${waivers.map(
    (
      w,
    ) => html`<tr><td>#${w.id}</td><td><a href="${PAGE_PATHS.subject(w.subject_type, w.subject_identifier)}">${w.subject_type} ${w.subject_identifier}</a></td>
<td>${w.testcase}${w.scenario ? html` <span class="muted">${w.scenario}</span>` : ''}</td><td>${w.product_version}</td>
<td>${w.waived ? 'yes' : 'revoked'}</td><td>${w.username}${w.proxied_by ? html` <span class="muted">via ${w.proxied_by}</span>` : ''}</td>
<td>${w.comment}</td><td>${when(w.timestamp)}</td></tr>`,
  )}</tbody></table>`;
}

export function updatePage(u: UpdateJson, rows: RequirementRow[], user?: string | null): Html {
  const body = html`<h1>Update ${u.id}</h1>
<p class="verdict">Gating status: ${badge(u.test_gating_status)} <span class="muted">since ${when(u.test_gating_status_since)}</span></p>
<p>${u.decision.summary}</p>
<dl class="meta"><dt>Product version</dt><dd>${u.product_version}</dd><dt>Request</dt><dd>${u.request}</dd>
<dt>Decision contexts</dt><dd>${u.decision_contexts.join(', ')}</dd><dt>Submitter</dt><dd>${u.submitter}</dd>
<dt>Missing results deadline</dt><dd>${when(u.missing_results_deadline)}</dd></dl>
<h2>Builds</h2>
<ul>${u.builds.map((b) => html`<li><a href="${PAGE_PATHS.subject('koji_build', b)}">${b}</a></li>`)}</ul>
<p><a href="${PAGE_PATHS.subject('bodhi_update', u.id)}">The update as a subject</a></p>
<h2>Required tests</h2>
${rows.length === 0 ? notice('No requirements.') : requirementsTable(rows)}`;
  return layout({ title: `Update ${u.id}`, section: null, body, user });
}

function requirementsTable(rows: RequirementRow[]): Html {
  return html`<table><thead><tr><th scope="col">Test case</th><th scope="col">Status</th><th scope="col">Result</th></tr></thead>
<tbody>${rows.map(
    (r) =>
      html`<tr><td>${r.testcase}</td><td>${badge(r.status)}</td><td>${
        r.resultId !== null ? html`<a href="${PAGE_PATHS.result(r.resultId)}">#${r.resultId}</a>` : ''
      }</td></tr>`,
  )}</tbody></table>`;
}

/** A page that could not be shown: what was asked for and why not, in the page's frame. */
export function problemPage(title: string, message: string, user?: string | null): Html {
  return layout({ title, section: null, body: html`<h1>${title}</h1>${notice(message, true)}`, user });
}

export interface HistoryPageData {
  subjectType: string;
  identifier: string;
  changes: StoredDecisionChange[];
  /** The next (older) page, when there is one. */
  older: string | null;
  user?: string | null;
}

/** The "why": every change of the subject's decisions, newest first, with what caused it. */
export function historyPage(d: HistoryPageData): Html {
  const subject = PAGE_PATHS.subject(d.subjectType, d.identifier);
  const state = (s: StoredDecisionChange['after'] | null) =>
    s === null
      ? html`${badge('none')} no decision before`
      : html`${badge(s.policies_satisfied ? 'passed' : 'failed')} ${s.summary}`;
  const body = html`<h1>Decision history of <span class="muted">${d.subjectType}</span> ${d.identifier}</h1>
<p><a href="${subject}">The subject's decisions now</a></p>
${
  d.changes.length === 0
    ? notice('No decision of this subject has changed yet.')
    : html`<ol class="timeline" reversed>${d.changes.map(
        (
          c,
        ) => html`<li data-change="${c.id}"><h2>${when(c.at)}: ${c.context} <span class="muted">· ${c.productVersion}</span></h2>
<dl class="meta"><dt>Before</dt><dd>${state(c.before)}</dd><dt>After</dt><dd>${state(c.after)}</dd>
<dt>Caused by</dt><dd>${
          c.cause.kind === 'result'
            ? html`<a href="${PAGE_PATHS.result(c.cause.id)}">result #${c.cause.id}</a>`
            : html`<a href="${PAGE_PATHS.waivers()}?${new URLSearchParams({
                subject_identifier: c.subjectIdentifier,
                testcase: c.cause.testcase,
              }).toString()}">waiver #${c.cause.id}</a>`
        } of ${c.cause.testcase}${c.cause.by ? html` by ${c.cause.by}` : ''}, ${when(c.cause.at)}</dd>
${
  c.after.unsatisfied_requirements.length
    ? html`<dt>Still unsatisfied</dt><dd>${c.after.unsatisfied_requirements
        .map((r) => `${String(r.testcase ?? r.type)} (${String(r.type).replace(/^test-result-/, '')})`)
        .join(', ')}</dd>`
    : ''
}</dl></li>`,
      )}</ol>`
}
${d.older ? html`<p><a href="${d.older}">Older changes</a></p>` : ''}`;
  return layout({ title: `History of ${d.identifier}`, section: null, body, user: d.user });
}
