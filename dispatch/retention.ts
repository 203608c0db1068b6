import { rmSync } from 'node:fs';
import path from 'node:path';
import type { PipelineSettings } from '../config/pipeline-types.js';
import type { RetentionStore } from '../db/retention-store.js';
import type { LogStore } from './log-store.js';

const DAY_MS = 86_400_000;
/** Rows per transaction: a long prune must not hold the store from everyone else. */
const BATCH = 500;

export interface PruneCounts {
  logs: number;
  artifacts: number;
  nodes: number;
}

/**
 * pipeline.retention's scheduled task: finished jobs' logs and artifacts, then whole finished
 * runs, once older than their kind's days. The rows say "pruned" first, in their own
 * transaction; the files go after. Results and decisions are not touched: they are the audit
 * trail, and they name their node by id only.
 */
export class Retention {
  constructor(
    private readonly store: RetentionStore,
    private readonly logs: LogStore,
    private readonly settings: Pick<PipelineSettings, 'retention' | 'artifactsDir'>,
  ) {}

  get enabled(): boolean {
    const r = this.settings.retention;
    return r.logs !== null || r.artifacts !== null || r.runs !== null;
  }

  prune(now = Date.now()): PruneCounts {
    const { logs, artifacts, runs } = this.settings.retention;
    const counts: PruneCounts = { logs: 0, artifacts: 0, nodes: 0 };
    const drain = (prune: (before: number) => number[], days: number | null, files: (id: number) => void) => {
      if (days === null) return 0;
      let n = 0;
      for (;;) {
        const ids = prune(now - days * DAY_MS);
        for (const id of ids) files(id);
        n += ids.length;
        if (ids.length < BATCH) return n;
      }
    };
    const removeLog = (id: number) => rmSync(this.logs.file(id), { force: true });
    const removeArtifacts = (id: number) =>
      rmSync(path.join(this.settings.artifactsDir, String(id)), { recursive: true, force: true });
    counts.logs = drain((b) => this.store.pruneLogs(b, BATCH, now), logs, removeLog);
    counts.artifacts = drain((b) => this.store.pruneArtifacts(b, BATCH, now), artifacts, removeArtifacts);
    counts.nodes = drain(
      (b) => this.store.pruneRuns(b, BATCH, now),
      runs,
      (id) => {
        removeLog(id);
        removeArtifacts(id);
      },
    );
    return counts;
  }
}
