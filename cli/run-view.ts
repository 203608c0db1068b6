import type { NodeJson } from '../pipeline/pipeline-node.js';

/** What a person wants to know of a run at a glance, from its nodes. */
export interface RunSummary {
  id: number;
  repo: string;
  branch: string;
  /** running until every node is done; then failed when a job failed or did not finish, else passed. */
  status: 'running' | 'passed' | 'failed';
  jobs: number;
  passed: number;
  failed: number;
  started: Date;
  /** Seconds from the run's start to its last change (now, while it runs). */
  seconds: number;
  /** The jobs that failed, by path. */
  failures: string[];
}

const FAILED = new Set(['fail', 'incomplete']);

export function summarizeRun(nodes: NodeJson[], now = new Date()): RunSummary {
  const root = nodes.find((n) => n.parent_id === null) ?? nodes[0]!;
  const jobs = nodes.filter((n) => n.job !== null);
  const failures = jobs.filter((n) => n.result !== null && FAILED.has(n.result));
  const done = nodes.every((n) => n.state === 'done');
  const started = new Date(root.created);
  const last = done ? Math.max(...nodes.map((n) => Date.parse(n.updated))) : now.getTime();
  return {
    id: root.run_id,
    repo: root.repo ?? '',
    branch: root.branch ?? '',
    status: !done ? 'running' : failures.length > 0 ? 'failed' : 'passed',
    jobs: jobs.length,
    passed: jobs.filter((n) => n.result === 'pass').length,
    failed: failures.length,
    started,
    seconds: Math.max(0, (last - started.getTime()) / 1000),
    failures: failures.map((n) => n.path.slice(1).join('/')),
  };
}

/** `14s`, `2m05s`, `1h02m`: elapsed times as a person reads them. */
export function formatSeconds(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `04:49:02`, local time. */
export function clock(date: Date): string {
  return [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
}

/** How long a node's job ran (or has been running), when it is a job. */
export function jobSeconds(node: NodeJson, now = new Date()): number | null {
  if (node.job === null) return null;
  if (typeof node.data.duration_ms === 'number') return node.data.duration_ms / 1000;
  const started = typeof node.data.started_at === 'string' ? Date.parse(node.data.started_at) : null;
  if (started === null) return null;
  return node.state === 'running' ? (now.getTime() - started) / 1000 : null;
}

/** Rows of a table, each column as wide as its widest cell; the last column is not padded. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** The run's nodes as an indented tree, one line each: name, state, result, job time. */
export function renderTree(nodes: NodeJson[], now = new Date()): string {
  const children = new Map<number | null, NodeJson[]>();
  for (const n of [...nodes].sort((a, b) => a.id - b.id)) {
    const key = nodes.some((p) => p.id === n.parent_id) ? n.parent_id : null;
    children.set(key, [...(children.get(key) ?? []), n]);
  }
  const rows: string[][] = [];
  const walk = (parent: number | null, prefix: string, depth: number) => {
    const list = children.get(parent) ?? [];
    list.forEach((n, i) => {
      const last = i === list.length - 1;
      const branch = depth === 0 ? '' : last ? '└─ ' : '├─ ';
      const seconds = jobSeconds(n, now);
      rows.push([
        `${prefix}${branch}${n.name}`,
        n.state,
        n.result ?? '',
        seconds === null ? '' : formatSeconds(seconds),
      ]);
      walk(n.id, depth === 0 ? '' : `${prefix}${last ? '   ' : '│  '}`, depth + 1);
    });
  };
  walk(null, '', 0);
  return table(rows);
}
