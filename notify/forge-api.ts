import { readFileSync } from 'node:fs';
import type { ForgeSettings } from '../config/forge-types.js';
import { rateLimitRetryAt } from '../pipeline/forge-rate-limit.js';

/** A call the forge did not take: `retryAt` when it said (or we think) later may work, else for good. */
export class ForgeCallError extends Error {
  constructor(
    message: string,
    readonly retryAt: number | undefined,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

export interface CommitStatus {
  repo: string;
  sha: string;
  state: string;
  context: string;
  description: string;
  targetUrl: string;
}

/** Pages of a pull request's files read at most; past that the list is taken as unknown. */
const MAX_PAGES = 100;
/** GitHub lists at most 3000 files of a pull request. */
const GITHUB_MAX_FILES = 3000;

/**
 * Each forge's REST API as Sluice uses it: commit statuses out, a pull request's changed files
 * in. Paths, headers and bodies follow the forges' documentation: GitHub's REST API
 * (`POST /repos/{owner}/{repo}/statuses/{sha}`, `GET .../pulls/{n}/files`, Bearer token),
 * GitLab's (`POST /projects/{id}/statuses/{sha}`, `GET .../merge_requests/{iid}/diffs`,
 * PRIVATE-TOKEN), Forgejo's (`POST /repos/{owner}/{repo}/statuses/{sha}`, `GET
 * .../pulls/{n}/files`, `Authorization: token`).
 */
export class ForgeApi {
  constructor(private readonly forge: ForgeSettings) {}

  /** Read at each use, so that a rotated token is picked up without a restart. */
  token(): string | null {
    if (this.forge.tokenFile === null) return null;
    return readFileSync(this.forge.tokenFile, 'utf8').trim();
  }

  async postStatus(s: CommitStatus, token: string): Promise<void> {
    const f = this.forge;
    const body =
      f.type === 'gitlab'
        ? { state: s.state, name: s.context, target_url: s.targetUrl, description: s.description }
        : { state: s.state, context: s.context, target_url: s.targetUrl, description: s.description };
    const path =
      f.type === 'gitlab'
        ? `/projects/${encodeURIComponent(s.repo)}/statuses/${s.sha}`
        : `${repoPath(s.repo)}/statuses/${s.sha}`;
    const res = await this.call('POST', `${f.apiUrl}${path}`, token, body);
    // Read to the end: an unread body keeps its connection from going back to the pool.
    await res.arrayBuffer().catch(() => undefined);
  }

  /** The files a pull request changes (renamed ones under both names); null when too many to list. */
  async pullRequestFiles(repo: string, number: number, token: string | null): Promise<string[] | null> {
    const f = this.forge;
    const files = new Set<string>();
    let url: string | null =
      f.type === 'gitlab'
        ? `${f.apiUrl}/projects/${encodeURIComponent(repo)}/merge_requests/${number}/diffs?per_page=100&page=1`
        : f.type === 'github'
          ? `${f.apiUrl}${repoPath(repo)}/pulls/${number}/files?per_page=100&page=1`
          : `${f.apiUrl}${repoPath(repo)}/pulls/${number}/files?limit=50&page=1`;
    for (let page = 0; url !== null; page++) {
      if (page === MAX_PAGES) return null;
      const res = await this.call('GET', url, token);
      const list = (await res.json()) as unknown;
      if (!Array.isArray(list))
        throw new ForgeCallError(`GET ${url}: the answer is not a list`, undefined, false);
      for (const e of list as Array<Record<string, unknown>>) {
        for (const key of ['filename', 'previous_filename', 'new_path', 'old_path'])
          if (typeof e[key] === 'string' && e[key] !== '') files.add(e[key] as string);
      }
      if (f.type === 'github' && files.size >= GITHUB_MAX_FILES) return null;
      url = this.nextPage(res, url, list.length);
    }
    return [...files];
  }

  /** The next page: Link rel="next" (on the API's own origin only: the token goes with it), else X-Next-Page. */
  private nextPage(res: Response, url: string, count: number): string | null {
    if (count === 0) return null;
    const link = res.headers.get('link');
    const next = link?.split(',').find((l) => /rel="?next"?/.test(l));
    const target = next?.match(/<([^>]+)>/)?.[1];
    if (target) {
      const u = new URL(target, url);
      return u.origin === new URL(this.forge.apiUrl ?? url).origin ? u.toString() : null;
    }
    const nextPage = res.headers.get('x-next-page');
    if (nextPage && /^\d+$/.test(nextPage)) {
      const u = new URL(url);
      u.searchParams.set('page', nextPage);
      return u.toString();
    }
    return null;
  }

  private async call(method: string, url: string, token: string | null, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': 'sluice', accept: 'application/json' };
    if (this.forge.type === 'github') {
      headers.accept = 'application/vnd.github+json';
      headers['x-github-api-version'] = '2022-11-28';
      if (token) headers.authorization = `Bearer ${token}`;
    } else if (this.forge.type === 'gitlab') {
      if (token) headers['private-token'] = token;
    } else if (token) headers.authorization = `token ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.forge.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ForgeCallError(
        `${method} ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
        undefined,
        true,
      );
    }
    if (res.ok) return res;
    const text = (await res.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ').trim();
    const message = `${method} ${url}: HTTP ${res.status}${text ? ` ${text}` : ''}`;
    const retryAt = rateLimitRetryAt(res.status, res.headers, Date.now());
    const transient = retryAt !== undefined || res.status >= 500 || res.status === 429 || res.status === 408;
    throw new ForgeCallError(message, retryAt, transient);
  }
}

function repoPath(fullName: string): string {
  return `/repos/${fullName.split('/').map(encodeURIComponent).join('/')}`;
}
