import type { CompiledConfig } from '../config/config-types.js';
import { usesDemoPipeline } from '../config/demo-policy.js';
import type { Policy } from '../gating/policy.js';

export interface BannerFacts {
  version: string;
  url: string;
  config: CompiledConfig;
  busDetail: string;
  policies: readonly Policy[];
  roles: readonly string[];
}

/**
 * What a person starting Sluice on a terminal wants to know first: where it answers, what it
 * runs on, what it loaded, and what to try next. Logs stay JSON lines on stderr for machines;
 * this goes to the terminal only.
 */
export function startupBanner(f: BannerFacts): string {
  const { config } = f;
  const files = [...new Set(f.policies.map((p) => p.file).filter((x): x is string => !!x))];
  const jobs = config.pipeline.enabled ? config.pipeline.jobs.length : 0;
  const repos = config.pipeline.repos.map((r) => r.name);
  const demo = usesDemoPipeline(config.pipeline);
  const lines = [
    `Sluice ${f.version} is serving at ${f.url}`,
    `  config    ${config.source}`,
    `  roles     ${f.roles.join(', ')}`,
    `  bus       ${f.busDetail}`,
    `  store     ${config.db.path}`,
    `  policies  ${f.policies.length}${files.length ? ` (${files.join(', ')})` : ''}`,
    `  pipeline  ${jobs} job${jobs === 1 ? '' : 's'}${repos.length ? `, repos: ${repos.join(', ')}` : ''}`,
    demo
      ? '  try       sluice run demo main   (in another terminal; sluice is node dist/cli/main.js)'
      : '  try       sluice runs            (in another terminal; sluice is node dist/cli/main.js)',
    '  logs      JSON lines on stderr',
    '',
  ];
  return lines.join('\n');
}
