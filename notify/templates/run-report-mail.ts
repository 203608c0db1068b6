import { html, link } from '../html.js';
import { duration, mailContent, plural, textTable } from '../mail-content.js';
import type { MailContent } from '../../db/mail-outbox.js';
import type { NodeJson } from '../../pipeline/pipeline-node.js';
import { logUrl, repoBranch, shortRevision } from '../node-event.js';
import type { FailingTest, RunReport } from '../run-report-source.js';

const RESULTS = ['pass', 'fail', 'skip', 'incomplete'] as const;

/**
 * A run's report when its root is done, in the manner of KernelCI's: the subject counts jobs and
 * failures, then a summary, a table of the jobs with their results, and the failing tests with
 * links. A job re-run is shown once, as its last attempt.
 */
export function runReportMail(report: RunReport, rule: string): MailContent {
  const { root } = report;
  const retried = new Set(
    report.nodes.map((n) => n.retry_of).filter((id): id is number => typeof id === 'number'),
  );
  const jobs = report.nodes.filter((n) => n.parent_id !== null && !retried.has(n.id));
  const counts = Object.fromEntries(
    RESULTS.map((r) => [r, jobs.filter((j) => j.result === r).length]),
  ) as Record<(typeof RESULTS)[number], number>;
  const unfinished = jobs.filter((j) => j.state !== 'done' && j.result === null).length;
  const subject = `[sluice] ${repoBranch(root)} ${shortRevision(root.revision)}: ${plural(jobs.length, 'job')}, ${plural(counts.fail, 'failure')}`;
  const author = typeof root.data?.author === 'string' ? root.data.author : null;
  const commit = typeof root.data?.message === 'string' ? root.data.message.split('\n')[0]! : null;
  const started = Date.parse(root.created);
  const ended = Date.parse(root.updated);
  const tally = `${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped, ${counts.incomplete} incomplete${unfinished ? `, ${unfinished} unfinished` : ''}`;
  const facts: Array<[string, string]> = [
    ['Run', `${root.run_id} (${root.kind === root.name ? root.kind : `${root.kind} ${root.name}`})`],
    ['Change', `${repoBranch(root)} ${root.revision ?? ''}`.trim()],
    ...(author ? [['Author', author] as [string, string]] : []),
    ...(commit ? [['Commit', commit] as [string, string]] : []),
    ['Jobs', `${jobs.length}: ${tally}`],
    ['Verdict', verdictText(root)],
    ['Time', `${root.created} → ${root.updated} (${duration(ended - started) || '0s'})`],
    ...(root.href ? [['Details', root.href] as [string, string]] : []),
  ];
  const width = Math.max(...facts.map(([k]) => k.length)) + 1;
  const rows = jobs.map((j) => [
    jobName(j, root),
    `${j.result ?? j.state}${j.data?.voting === false ? ' (non-voting)' : ''}${j.data?.flaky === true ? ' (flaky)' : ''}`,
    jobDuration(j),
    str(j.data?.builder) ?? '',
  ]);
  const failingCount = `${report.failingTests.length}${report.moreFailingTests ? '+' : ''}`;
  const failed = jobs.filter((j) => j.result === 'fail' || j.result === 'incomplete');
  const flaky = jobs.filter((j) => j.data?.flaky === true);
  const prev = report.previous ?? null;
  // KernelCI's regression view: a failure the branch's previous run had too is not news.
  const failedJobs = jobs.filter((j) => j.result === 'fail');
  const newJobs = prev ? failedJobs.filter((j) => !prev.failedJobs.includes(jobName(j, root))) : [];
  const oldJobs = prev ? failedJobs.filter((j) => prev.failedJobs.includes(jobName(j, root))) : [];
  const newTests = prev ? report.failingTests.filter((t) => !prev.failingTestcases.includes(t.testcase)) : [];
  const oldTests = prev ? report.failingTests.filter((t) => prev.failingTestcases.includes(t.testcase)) : [];
  const testLine = (t: FailingTest) =>
    `  ${t.outcome.padEnd(6)} ${t.testcase}${t.note ? ` (${t.note})` : ''}${t.url ? `\n         ${t.url}` : ''}`;

  const text = [
    `Run ${root.run_id} of ${repoBranch(root)} ${shortRevision(root.revision)} is done: ${plural(jobs.length, 'job')}, ${plural(counts.fail, 'failure')}.`,
    '',
    ...facts.map(([k, v]) => `${(`${k}:`).padEnd(width)} ${v}`),
    '',
    jobs.length ? textTable(['job', 'result', 'duration', 'builder'], rows) : 'No jobs ran.',
    ...(failed.length
      ? [
          '',
          'Logs of the jobs that did not pass:',
          ...failed.map((j) => `  ${jobName(j, root)}: ${logUrl(j) ?? '(no log)'}`),
        ]
      : []),
    ...(flaky.length
      ? [
          '',
          'Flaky jobs (failed, then passed when re-run):',
          ...flaky.map((j) => `  ${jobName(j, root)} (attempt ${j.retry_count + 1})`),
        ]
      : []),
    ...(prev && failedJobs.length
      ? [
          '',
          `New failures (not failing on the branch's previous run, ${prev.runId}): ${newJobs.length ? newJobs.map((j) => jobName(j, root)).join(', ') : 'none'}`,
          `Already failing on run ${prev.runId}: ${oldJobs.length ? oldJobs.map((j) => jobName(j, root)).join(', ') : 'none'}`,
        ]
      : []),
    ...(prev && report.failingTests.length
      ? [
          ...(newTests.length
            ? ['', `New failing tests (${newTests.length}):`, ...newTests.map(testLine)]
            : []),
          ...(oldTests.length
            ? [
                '',
                `Tests already failing on run ${prev.runId} (${oldTests.length}):`,
                ...oldTests.map(testLine),
              ]
            : []),
          ...(report.moreFailingTests ? ['  … and more (see the results API)'] : []),
        ]
      : []),
    ...(!prev && report.failingTests.length
      ? [
          '',
          `Failing tests (${failingCount}):`,
          ...report.failingTests.map(
            (t) =>
              `  ${t.outcome.padEnd(6)} ${t.testcase}${t.note ? ` (${t.note})` : ''}${t.url ? `\n         ${t.url}` : ''}`,
          ),
          ...(report.moreFailingTests ? ['  … and more (see the results API)'] : []),
        ]
      : []),
  ].join('\n');

  const body = html`<p>Run ${root.run_id} of <b>${repoBranch(root)}</b> ${shortRevision(root.revision)} is done: ${plural(jobs.length, 'job')}, <span class="${counts.fail ? 'fail' : 'pass'}">${plural(counts.fail, 'failure')}</span>.</p>
<table>${facts.map(([k, v]) => html`<tr><th>${k}</th><td>${k === 'Details' ? link(v) : v}</td></tr>`)}</table>
<h3>Jobs</h3>
${
  jobs.length
    ? html`<table><tr><th>job</th><th>result</th><th>duration</th><th>builder</th><th>log</th></tr>${jobs.map(
        (j, i) =>
          html`<tr><td>${link(j.href, rows[i]![0])}</td><td class="${j.result === 'pass' ? 'pass' : j.result === 'fail' ? 'fail' : ''}">${rows[i]![1]}</td><td>${rows[i]![2]}</td><td>${rows[i]![3]}</td><td>${link(logUrl(j), 'log')}</td></tr>`,
      )}</table>`
    : html`<p>No jobs ran.</p>`
}
${
  flaky.length
    ? html`<h3>Flaky jobs</h3><p>Failed, then passed when re-run: ${flaky.map((j, i) => html`${i ? ', ' : ''}${link(j.href, jobName(j, root))}`)}</p>`
    : ''
}
${
  prev && failedJobs.length
    ? html`<h3>New failures</h3><p>${newJobs.length ? newJobs.map((j) => jobName(j, root)).join(', ') : 'none'} (not failing on the branch's previous run, ${prev.runId})</p><h3>Already failing</h3><p>${oldJobs.length ? oldJobs.map((j) => jobName(j, root)).join(', ') : 'none'} (failing on run ${prev.runId} too)</p>`
    : ''
}
${
  report.failingTests.length
    ? html`<h3>Failing tests (${failingCount})</h3><table><tr><th>outcome</th><th>test</th><th>note</th></tr>${report.failingTests.map(
        (t) =>
          html`<tr><td class="fail">${t.outcome}</td><td>${link(t.url, t.testcase)}</td><td>${t.note}</td></tr>`,
      )}</table>${report.moreFailingTests ? html`<p>… and more (see the results API)</p>` : ''}`
    : ''
}`;
  return mailContent(subject, rule, text, body);
}

/** A job's path below the root (`build › test-x86_64`), which tells matrix jobs apart. */
function jobName(j: NodeJson, root: NodeJson): string {
  const path = j.path[0] === root.name ? j.path.slice(1) : j.path;
  return path.length ? path.join(' › ') : j.name;
}

function jobDuration(j: NodeJson): string {
  if (typeof j.data?.duration_ms === 'number') return duration(j.data.duration_ms);
  return j.state === 'done' ? duration(Date.parse(j.updated) - Date.parse(j.created)) : '';
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** The run's verdict (its root's result) and why. */
function verdictText(root: NodeJson): string {
  const why = str(root.data?.verdict_reason);
  return `${root.result ?? 'not decided yet'}${why ? ` (${why})` : ''}`;
}
