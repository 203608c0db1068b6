import { defineTopic } from '../schemas/topic-contract.js';
import type { RunRequest } from './run-request.js';

/** Sluice's own `git.receive` body. */
export interface SluiceGitReceive {
  repo: string;
  namespace?: string;
  branch: string;
  revision: string;
  author?: string | { name?: string; email?: string };
  message?: string;
  changed_files?: string[];
  url?: string;
}

/** Fedora dist-git's `git.receive` body: everything is under `commit`. */
export interface DistGitReceive {
  commit: {
    repo: string;
    namespace?: string;
    branch: string;
    rev: string;
    username?: string;
    name?: string;
    email?: string;
    message?: string;
    summary?: string;
    /** Keyed by changed path. */
    stats?: { files?: Record<string, unknown> };
    agent?: string;
  };
}

export type GitReceiveBody = SluiceGitReceive | DistGitReceive;

export const GIT_RECEIVE = defineTopic<GitReceiveBody>()('git.receive');

/**
 * A `git.receive` body (the schema has checked it) as a run request: Sluice's own shape, or
 * Fedora dist-git's, whose commit says repo, namespace, branch, rev, the author and the
 * changed files (stats.files, keyed by path).
 */
export function parseGitReceive(body: GitReceiveBody): RunRequest {
  if ('commit' in body && body.commit && typeof body.commit === 'object') {
    const c = body.commit;
    const stats = c.stats;
    return {
      repo: c.repo,
      namespace: typeof c.namespace === 'string' ? c.namespace : null,
      branch: c.branch,
      revision: c.rev,
      author: typeof c.username === 'string' ? c.username : typeof c.email === 'string' ? c.email : null,
      message: typeof c.message === 'string' ? c.message : typeof c.summary === 'string' ? c.summary : null,
      changedFiles: stats?.files && typeof stats.files === 'object' ? Object.keys(stats.files) : null,
      url: null,
      source: 'git.receive',
    };
  }
  const b = body as SluiceGitReceive;
  const author = b.author;
  return {
    repo: b.repo,
    namespace: typeof b.namespace === 'string' ? b.namespace : null,
    branch: b.branch,
    revision: b.revision,
    author: typeof author === 'string' ? author : (author?.name ?? author?.email ?? null),
    message: typeof b.message === 'string' ? b.message : null,
    changedFiles: Array.isArray(b.changed_files) ? b.changed_files : null,
    url: typeof b.url === 'string' ? b.url : null,
    source: 'git.receive',
  };
}
