import path from 'node:path';
import schedule from 'node-schedule';
import { guessProductVersions } from '../gating/product-versions.js';
import { matrixCombinations } from './job-matrix.js';
import { TemplateError, commandTemplateProblems, renderTemplate, templateNames } from './template.js';
import type { JobSettings, PipelineSettings } from '../config/pipeline-types.js';

const COMMAND_VALUES = new Set([
  'repo',
  'branch',
  'revision',
  'namespace',
  'run_id',
  'node_id',
  'parent_id',
  'job',
  'attempt',
  'server_url',
  'parent.artifacts_url',
  'parent.artifact_urls',
]);
const PREFIXED = ['parent.data.', 'run.data.'];

/**
 * The checks the schema cannot make, each as `path: reason`: unknown template values, values
 * placed in a command where no quoting keeps them literal (pipeline/shell-context.ts), labels
 * no builder has, duplicate names, cron expressions that do not parse, a job waiting for a kind
 * of node nothing creates. Paths are resolved against the configuration's folder.
 */
export function compilePipeline(p: PipelineSettings, cwd: string, problems: string[]): PipelineSettings {
  const at = (...parts: Array<string | number>) =>
    `pipeline${parts.map((x) => (typeof x === 'number' ? `[${x}]` : `.${x}`)).join('')}`;
  duplicates(
    p.builders.map((b) => b.name),
    (i, name) => problems.push(`${at('builders', i, 'name')}: "${name}" is used by an earlier builder`),
  );
  duplicates(
    p.jobs.map((j) => j.name),
    (i, name) => problems.push(`${at('jobs', i, 'name')}: "${name}" is used by an earlier job`),
  );
  duplicates(
    p.repos.map((r) => `${r.namespace ?? ''}/${r.name}`),
    (i) => problems.push(`${at('repos', i, 'name')}: this repo is listed twice`),
  );
  p.builders.forEach((b, i) => {
    if (b.type !== 'ssh') return;
    for (const key of ['host', 'user', 'privateKeyFile', 'hostKey'] as const) {
      if (b[key] === undefined) problems.push(`${at('builders', i, key)}: is required for an ssh builder`);
    }
  });
  if (!cronOk(p.sweepCron)) problems.push(`${at('sweepCron')}: "${p.sweepCron}" is not a cron expression`);
  p.repos.forEach((r, i) => {
    if (r.poll !== null && !cronOk(r.poll))
      problems.push(`${at('repos', i, 'poll')}: "${r.poll}" is not a cron expression`);
    if (r.poll !== null && r.url === null)
      problems.push(`${at('repos', i, 'url')}: is required to poll the repo`);
  });
  p.schedules.forEach((s, i) => {
    if (!cronOk(s.cron)) problems.push(`${at('schedules', i, 'cron')}: "${s.cron}" is not a cron expression`);
  });
  // Runs start as a checkout (a push, a poll, a run by hand) or an image (a registry's push).
  const kinds = new Set([
    'checkout',
    'image',
    ...p.schedules.map((s) => s.kind),
    ...p.jobs.map((j) => j.kind),
  ]);
  p.jobs.forEach((job, i) => {
    if (!kinds.has(job.on.kind))
      problems.push(
        `${at('jobs', i, 'on', 'kind')}: no node of kind "${job.on.kind}" is ever created (there are: ${[...kinds].join(', ')})`,
      );
    checkTemplate(job.command, commandValues(job), at('jobs', i, 'command'), problems);
    checkQuoting(job, at('jobs', i, 'command'), problems);
    checkTemplate(job.subject.item, commandValues(job, true), at('jobs', i, 'subject', 'item'), problems);
    for (const [k, label] of job.runsOn.entries())
      checkTemplate(label, commandValues(job), at('jobs', i, 'runsOn', k), problems);
    for (const combo of matrixCombinations(job.matrix)) {
      let labels: string[];
      try {
        labels = job.runsOn.map((l) =>
          renderTemplate(l, (name) => combo[name.slice('matrix.'.length)], 'plain'),
        );
      } catch {
        continue; // a label from the parent's outputs is only known when the job starts
      }
      if (!p.builders.some((b) => labels.every((l) => b.labels.includes(l)))) {
        problems.push(`${at('jobs', i, 'runsOn')}: no builder has all of the labels ${labels.join(', ')}`);
        break;
      }
    }
  });
  return {
    ...p,
    jobs: p.jobs.map((job, i) => {
      if (job.knownGood === null || job.knownGood.productVersion !== null) return job;
      const guessed = guessProductVersions(job.knownGood.release, true)[0];
      if (guessed === undefined) {
        problems.push(
          `${at('jobs', i, 'knownGood', 'productVersion')}: is required: no product version can be guessed from release "${job.knownGood.release}"`,
        );
        return job;
      }
      return { ...job, knownGood: { ...job.knownGood, productVersion: guessed } };
    }),
    logsDir: path.resolve(cwd, p.logsDir),
    artifactsDir: path.resolve(cwd, p.artifactsDir),
    builders: p.builders.map((b) =>
      b.privateKeyFile ? { ...b, privateKeyFile: path.resolve(cwd, b.privateKeyFile) } : b,
    ),
  };
}

function commandValues(job: JobSettings, subject = false): (name: string) => boolean {
  return (name) =>
    COMMAND_VALUES.has(name) ||
    PREFIXED.some((prefix) => name.startsWith(prefix) && name.length > prefix.length) ||
    (name === 'known_good' && job.knownGood !== null) ||
    (subject && name.startsWith('data.')) ||
    matrixValues(job)(name);
}

function matrixValues(job: JobSettings): (name: string) => boolean {
  return (name) => name.startsWith('matrix.') && Object.hasOwn(job.matrix, name.slice('matrix.'.length));
}

function checkTemplate(
  template: string,
  known: (name: string) => boolean,
  where: string,
  problems: string[],
): void {
  try {
    for (const name of templateNames(template)) {
      if (!known(name)) problems.push(`${where}: {{ ${name} }} is not a value this template can use`);
    }
  } catch (err) {
    if (err instanceof TemplateError) problems.push(`${where}: ${err.message}`);
    else throw err;
  }
}

/** A value where the shell would not read it literally (a comment, a here-document, `…`, ...). */
function checkQuoting(job: JobSettings, where: string, problems: string[]): void {
  try {
    for (const p of commandTemplateProblems(job.command)) problems.push(`${where}: job "${job.name}", ${p}`);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err; // checkTemplate has said why
  }
}

function duplicates(names: string[], report: (index: number, name: string) => void): void {
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (seen.has(n)) report(i, n);
    seen.add(n);
  });
}

function cronOk(expression: string): boolean {
  const job = schedule.scheduleJob({ rule: expression, tz: 'Etc/UTC' }, () => {});
  if (!job) return false;
  job.cancel();
  return true;
}
