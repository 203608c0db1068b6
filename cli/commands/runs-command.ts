import type { NodeJson } from '../../pipeline/pipeline-node.js';
import { CONFIG_OPTION, cliConfig, parse, writeLine } from '../cli-context.js';
import { UsageError, type Command } from '../command.js';
import { clock, formatSeconds, summarizeRun, table } from '../run-view.js';
import { fetchJson } from '../server-get.js';

export const runsCommand: Command = {
  name: 'runs',
  summary: 'list recent pipeline runs, one line each',
  usage: `sluice runs [--repo REPO] [--branch BRANCH] [--limit N] [--json] [--config FILE]

Lists the running server's newest runs (GET /api/v1/runs), one line each: the run's number,
repo and branch, whether it is running, passed or failed, its jobs, when it started (local
time) and how long it took. --json prints each run's summary as a JSON line.`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      ...CONFIG_OPTION,
      repo: { type: 'string' },
      branch: { type: 'string' },
      limit: { type: 'string', short: 'n' },
      json: { type: 'boolean' },
    });
    if (positionals.length) throw new UsageError('expected no arguments');
    const limit = values.limit ?? '10';
    if (!/^\d+$/.test(limit) || Number(limit) < 1) throw new UsageError('--limit must be a positive number');
    const config = cliConfig(values.config, io);
    const query = new URLSearchParams({ limit });
    if (values.repo) query.set('repo', values.repo);
    if (values.branch) query.set('branch', values.branch);
    const roots = (await fetchJson<{ data: NodeJson[] }>(config, `/api/v1/runs?${query}`)).data;
    const runs = [];
    for (const root of roots) {
      const run = await fetchJson<{ nodes: NodeJson[] }>(config, `/api/v1/runs/${root.id}`);
      runs.push(summarizeRun(run.nodes));
    }
    if (values.json) {
      for (const r of runs) writeLine(io.stdout, { ...r, started: r.started.toISOString() });
      return 0;
    }
    if (runs.length === 0) {
      io.stdout.write('no runs yet; start one with: sluice run demo main\n');
      return 0;
    }
    const rows = [['RUN', 'REPO', 'BRANCH', 'STATUS', 'JOBS', 'STARTED', 'TOOK']];
    for (const r of runs)
      rows.push([
        String(r.id),
        r.repo,
        r.branch,
        r.status,
        `${r.jobs} (${r.passed} passed${r.failed ? `, ${r.failed} failed` : ''})`,
        clock(r.started),
        r.status === 'running' ? '' : formatSeconds(r.seconds),
      ]);
    io.stdout.write(table(rows));
    return 0;
  },
};
