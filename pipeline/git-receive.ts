import type { RunRequest } from './run-request.js';

/**
 * A `git.receive` body (the schema has checked it) as a run request: Sluice's own shape, or
 * Fedora dist-git's, whose commit says repo, namespace, branch, rev, the author and the
 * changed files (stats.files, keyed by path).
 */
export function parseGitReceive(body: unknown): RunRequest {
  const b = body as Record<string, unknown>;
  if (b.commit && typeof b.commit === 'object') {
    const c = b.commit as Record<string, unknown>;
    const stats = c.stats as { files?: Record<string, unknown> } | undefined;
    return {
      repo: String(c.repo),
      namespace: typeof c.namespace === 'string' ? c.namespace : null,
      branch: String(c.branch),
      revision: String(c.rev),
      author: typeof c.username === 'string' ? c.username : typeof c.email === 'string' ? c.email : null,
      message: typeof c.message === 'string' ? c.message : typeof c.summary === 'string' ? c.summary : null,
      changedFiles: stats?.files && typeof stats.files === 'object' ? Object.keys(stats.files) : null,
      url: null,
      source: 'git.receive',
    };
  }
  const author = b.author as string | { name?: string; email?: string } | undefined;
  return {
    repo: String(b.repo),
    namespace: typeof b.namespace === 'string' ? b.namespace : null,
    branch: String(b.branch),
    revision: String(b.revision),
    author: typeof author === 'string' ? author : (author?.name ?? author?.email ?? null),
    message: typeof b.message === 'string' ? b.message : null,
    changedFiles: Array.isArray(b.changed_files) ? (b.changed_files as string[]) : null,
    url: typeof b.url === 'string' ? b.url : null,
    source: 'git.receive',
  };
}
