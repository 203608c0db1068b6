import type { Logger } from 'pino';
import { errorText } from '../errors/error-text.js';
import type { RepoSettings } from '../config/pipeline-types.js';
import type { Db } from '../db/open-database.js';
import type { PipelineNode } from '../pipeline/pipeline-node.js';
import type { RunRequest } from '../pipeline/run-request.js';
import { remoteHeads } from './git-remote.js';

/**
 * Polls a repo that sends no messages: each watched branch's head is read with git ls-remote,
 * and a head not seen before starts a run. Recording the head and starting its run are one
 * transaction, so a revision triggers once, never twice, whatever crashes or overlaps.
 */
export class GitPoller {
  private readonly remember;

  constructor(
    db: Db,
    private readonly repo: RepoSettings,
    private readonly startRun: (req: RunRequest) => PipelineNode,
    private readonly changed: () => void,
    private readonly log: Logger,
    private readonly heads: typeof remoteHeads = remoteHeads,
  ) {
    const insert = db.prepare(
      'INSERT OR IGNORE INTO pipeline_seen_revisions (repo, branch, revision, seen_at) VALUES (?, ?, ?, ?)',
    );
    this.remember = db.transaction((branch: string, revision: string): PipelineNode | undefined => {
      if (insert.run(this.key(), branch, revision, Date.now()).changes === 0) return undefined;
      return this.startRun({
        repo: this.repo.name,
        namespace: this.repo.namespace,
        branch,
        revision,
        url: this.repo.url,
        source: 'poll',
      });
    });
  }

  /** One poll; returns the runs it started. */
  async poll(): Promise<PipelineNode[]> {
    let heads: Map<string, string>;
    try {
      heads = await this.heads(this.repo.url!, this.repo.branches);
    } catch (err) {
      this.log.warn(
        { repo: this.repo.name, url: this.repo.url, err: errorText(err).split('\n')[0] },
        'polling the repo failed; will try at the next poll',
      );
      return [];
    }
    const started: PipelineNode[] = [];
    for (const branch of this.repo.branches) {
      const head = heads.get(branch);
      if (!head) continue;
      const run = this.remember(branch, head);
      if (run) started.push(run);
    }
    if (started.length) this.changed();
    return started;
  }

  private key(): string {
    return this.repo.namespace ? `${this.repo.namespace}/${this.repo.name}` : this.repo.name;
  }
}
