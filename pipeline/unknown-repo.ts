import { didYouMean } from '../config/did-you-mean.js';
import type { PipelineSettings } from '../config/pipeline-types.js';
import { matchesAny } from './glob.js';

/**
 * Why a run of `repo` by hand would be an empty one (a checkout node and nothing else, which
 * looks like a run that did nothing), or null when the pipeline knows the repo: it is one of
 * `pipeline.repos`, or a job starts on the checkout of it. Usually a typo: the answer names the
 * closest repos the pipeline knows.
 */
export function unknownRepoProblem(pipeline: PipelineSettings, repo: string): string | null {
  if (pipeline.repos.some((r) => r.name === repo)) return null;
  const starters = pipeline.jobs.filter((j) => j.on.kind === 'checkout');
  if (starters.some((j) => j.repos.length === 0 || matchesAny(repo, j.repos, false))) return null;
  const known = [
    ...new Set([
      ...pipeline.repos.map((r) => r.name),
      ...starters.flatMap((j) => j.repos).filter((p) => !/[*?[]/.test(p)),
    ]),
  ];
  const hint = didYouMean(repo, known);
  const otherwise = known.length > 0 ? ` (the pipeline knows ${known.join(', ')})` : '';
  return `no pipeline job starts on a checkout of "${repo}"${hint || otherwise}`;
}
