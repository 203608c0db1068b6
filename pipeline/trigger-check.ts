import type { PipelineSettings } from '../config/pipeline-types.js';
import { needsCycles, needsOf } from './job-needs.js';

export interface TriggerProblem {
  /** Where in `pipeline`, e.g. ['jobs', 2, 'on', 'state']. */
  path: Array<string | number>;
  problem: string;
}

/**
 * Triggers that can never fire, found before anything runs. KernelCI's nodes take children only
 * while running or available, so a job on `closing` or `done` would be refused its node every
 * time; a running node has no result yet; a run's root has none until the run is done (then it
 * is the verdict and the root takes no children); a name no node of that kind ever has; `needs`
 * naming no job, the job itself, or a cycle of jobs waiting for each other.
 */
export function triggerProblems(p: Pick<PipelineSettings, 'jobs' | 'schedules'>): TriggerProblem[] {
  const out: TriggerProblem[] = [];
  const jobNames = new Set(p.jobs.map((j) => j.name));
  // Runs start at a checkout (a push, a poll, by hand), an image (a registry's push) or a schedule.
  const rootKinds = new Set(['checkout', 'image', ...p.schedules.map((s) => s.kind)]);
  const jobKinds = new Set(p.jobs.map((j) => j.kind));
  const namesOfKind = (kind: string): Set<string> =>
    new Set([
      ...(kind === 'checkout' || kind === 'image' ? [kind] : []),
      ...p.schedules.filter((s) => s.kind === kind).map((s) => s.name),
      ...p.jobs.filter((j) => j.kind === kind).map((j) => j.name),
    ]);
  p.jobs.forEach((job, i) => {
    const says = (path: Array<string | number>, problem: string) =>
      out.push({ path: ['jobs', i, ...path], problem: `job "${job.name}" can never start: ${problem}` });
    const needs = needsOf(job);
    if (!job.on && needs.length === 0)
      says(['on'], 'it has neither `on` (a node event) nor `needs` (jobs to wait for)');
    if (job.on && needs.length)
      says(
        ['needs'],
        'it has both `on` and `needs`; a job starts either on a node event or when its needs are met',
      );
    needs.forEach((n, k) => {
      if (n.job === job.name) says(['needs', k], 'it needs itself');
      else if (!jobNames.has(n.job))
        says(['needs', k], `no job is named "${n.job}" (there are: ${[...jobNames].join(', ')})`);
    });
    const on = job.on;
    if (!on) return;
    if (on.state === 'closing' || on.state === 'done')
      says(
        ['on', 'state'],
        `a node that is ${on.state} takes no children (KernelCI), so its node would be refused every time; use state: available`,
      );
    if (on.state === 'running' && on.result !== undefined)
      says(['on', 'result'], `a running node has no result yet, so result: ${on.result} never matches`);
    if (on.result !== undefined && rootKinds.has(on.kind) && !jobKinds.has(on.kind))
      says(
        ['on', 'result'],
        `a run's root (${on.kind}) has no result until the run is done (its verdict), and then it takes no children`,
      );
    if (on.name !== undefined) {
      const names = namesOfKind(on.kind);
      if (names.size && !names.has(on.name))
        says(
          ['on', 'name'],
          `no node of kind "${on.kind}" is named "${on.name}" (there are: ${[...names].join(', ')})`,
        );
    }
  });
  // A job that needs itself is said above.
  for (const cycle of needsCycles(p.jobs).filter((c) => c.length > 2)) {
    const i = p.jobs.findIndex((j) => j.name === cycle[0]);
    out.push({
      path: ['jobs', i, 'needs'],
      problem: `jobs wait for each other in a cycle, so none of them can ever start: ${cycle.join(' → ')}`,
    });
  }
  return out;
}
