import type { ForgeType } from '../config/forge-types.js';
import { RunInputError } from '../errors/run-input-error.js';
import type { PullRequestRef, RunRequest } from './run-request.js';

/**
 * What a forge's webhook delivery asks for: a run (on a push's new head or a pull request's
 * head), or nothing, with the reason. For a pull request the changed files are not in the
 * payload; `pullRequestFiles` says where to ask the forge's API for them.
 */
export type ForgeHook =
  | { kind: 'run'; request: RunRequest; pullRequestFiles: { repo: string; number: number } | null }
  | { kind: 'ignored'; reason: string };

/** The forge's delivery as the route received it: its event header and its parsed JSON body. */
export interface ForgeDelivery {
  forge: string;
  type: ForgeType;
  event: string;
  deliveryId: string;
  body: unknown;
}

const ZERO_SHA = /^0+$/;
/** GitHub lists at most 2048 commits of a push; GitLab the newest 20 (total_commits_count says how many). */
const GITHUB_MAX_COMMITS = 2048;

/**
 * Turns a delivery into a run request. A payload missing what the run needs is refused
 * (RunInputError naming the field, HTTP 400); events and actions that start nothing (tags,
 * deleted branches, a pull request labelled or closed) are ignored with the reason.
 * Sources of the shapes: GitHub's webhook payloads (@octokit/webhooks-examples), GitLab's
 * doc/user/project/integrations/webhook_events.md, Forgejo's modules/structs/hook.go.
 */
export function parseForgeHook(d: ForgeDelivery): ForgeHook {
  const body = obj(d.body, 'body');
  switch (d.type) {
    case 'github':
      if (d.event === 'push') return githubPush(d, body);
      if (d.event === 'pull_request') return githubLikePullRequest(d, body, GITHUB_PR_ACTIONS, 'ref');
      return ignored(`the "${d.event}" event starts nothing (push and pull_request do)`);
    case 'gitlab':
      if (d.event === 'Push Hook') return gitlabPush(d, body);
      if (d.event === 'Merge Request Hook') return gitlabMergeRequest(d, body);
      return ignored(`the "${d.event}" event starts nothing (Push Hook and Merge Request Hook do)`);
    case 'forgejo':
    case 'gitea':
      if (d.event === 'push') return githubPush(d, body);
      // Forgejo's head `ref` is refs/pull/N/head; `label` holds the branch (services/convert/pull.go).
      if (d.event === 'pull_request') return githubLikePullRequest(d, body, FORGEJO_PR_ACTIONS, 'label');
      return ignored(`the "${d.event}" event starts nothing (push and pull_request do)`);
  }
}

/** Pull-request actions that bring a new head to test; the others (labels, reviews, closing) do not. */
const GITHUB_PR_ACTIONS = new Set(['opened', 'reopened', 'synchronize', 'ready_for_review']);
const FORGEJO_PR_ACTIONS = new Set(['opened', 'reopened', 'synchronized']);

function githubPush(d: ForgeDelivery, body: Record<string, unknown>): ForgeHook {
  const ref = str(body.ref, 'body.ref');
  if (!ref.startsWith('refs/heads/')) return ignored(`${ref} is not a branch (tags start no run)`);
  const after = sha(body.after, 'body.after');
  if (ZERO_SHA.test(after) || body.deleted === true) return ignored(`branch ${ref.slice(11)} was deleted`);
  const repository = obj(body.repository, 'body.repository');
  const fullName = str(repository.full_name, 'body.repository.full_name');
  const commits = list(body.commits, 'body.commits');
  const head = (body.head_commit ?? commits.at(-1)) as Record<string, unknown> | null | undefined;
  const pusher = body.pusher as { name?: unknown; login?: unknown; username?: unknown } | undefined;
  return runHook(d, {
    path: fullName,
    forgeRepo: fullName,
    branch: ref.slice('refs/heads/'.length),
    revision: after,
    author: text(pusher?.username) ?? text(pusher?.login) ?? text(pusher?.name),
    message: head && typeof head === 'object' ? text(head.message) : null,
    changedFiles: commits.length >= GITHUB_MAX_COMMITS ? null : filesOfCommits(commits, 'body.commits'),
    url: text(repository.clone_url) ?? text(repository.html_url),
    pullRequest: null,
  });
}

function githubLikePullRequest(
  d: ForgeDelivery,
  body: Record<string, unknown>,
  actions: ReadonlySet<string>,
  branchKey: 'ref' | 'label',
): ForgeHook {
  const action = str(body.action, 'body.action');
  if (!actions.has(action))
    return ignored(`pull request action "${action}" brings no new head (${[...actions].join(', ')} do)`);
  const pr = obj(body.pull_request, 'body.pull_request');
  const number = int(pr.number ?? body.number, 'body.pull_request.number');
  const head = obj(pr.head, 'body.pull_request.head');
  const base = obj(pr.base, 'body.pull_request.base');
  const repository = obj(body.repository, 'body.repository');
  const fullName = str(repository.full_name, 'body.repository.full_name');
  const baseBranch = branchName(base[branchKey], `body.pull_request.base.${branchKey}`);
  const headBranch = branchName(head[branchKey], `body.pull_request.head.${branchKey}`);
  const user = pr.user as { login?: unknown } | undefined;
  return runHook(d, {
    path: fullName,
    forgeRepo: fullName,
    revision: sha(head.sha, 'body.pull_request.head.sha'),
    author: text(user?.login),
    message: text(pr.title),
    url: text(repository.clone_url) ?? text(repository.html_url),
    pullRequest: { number, baseBranch, headBranch, url: text(pr.html_url) },
  });
}

function gitlabPush(d: ForgeDelivery, body: Record<string, unknown>): ForgeHook {
  const ref = str(body.ref, 'body.ref');
  if (!ref.startsWith('refs/heads/')) return ignored(`${ref} is not a branch (tags start no run)`);
  const after = sha(body.after, 'body.after');
  if (ZERO_SHA.test(after)) return ignored(`branch ${ref.slice(11)} was deleted`);
  const project = obj(body.project, 'body.project');
  const projectId = int(body.project_id ?? project.id, 'body.project_id');
  const path = str(project.path_with_namespace, 'body.project.path_with_namespace');
  const commits = list(body.commits, 'body.commits');
  const total = typeof body.total_commits_count === 'number' ? body.total_commits_count : commits.length;
  const head = commits.find((c) => (c as { id?: unknown }).id === after) as
    | Record<string, unknown>
    | undefined;
  return runHook(d, {
    path,
    forgeRepo: String(projectId),
    branch: ref.slice('refs/heads/'.length),
    revision: after,
    author: text(body.user_username) ?? text(body.user_name),
    message: head ? text(head.message) : null,
    // Only the newest 20 commits are listed: with more, the files of the others are unknown.
    changedFiles: total > commits.length ? null : filesOfCommits(commits, 'body.commits'),
    url: text(project.git_http_url) ?? text(project.web_url),
    pullRequest: null,
  });
}

function gitlabMergeRequest(d: ForgeDelivery, body: Record<string, unknown>): ForgeHook {
  const attrs = obj(body.object_attributes, 'body.object_attributes');
  const action = str(attrs.action, 'body.object_attributes.action');
  // `update` also fires for a new title or label; only an update with `oldrev` brought commits.
  const newHead = action === 'open' || action === 'reopen' || (action === 'update' && attrs.oldrev != null);
  if (!newHead)
    return ignored(
      `merge request action "${action}" brings no new head (open, reopen and update with new commits do)`,
    );
  const project = obj(body.project, 'body.project');
  const projectId = int(project.id, 'body.project.id');
  const path = str(project.path_with_namespace, 'body.project.path_with_namespace');
  const iid = int(attrs.iid, 'body.object_attributes.iid');
  const lastCommit = obj(attrs.last_commit, 'body.object_attributes.last_commit');
  const baseBranch = branchName(attrs.target_branch, 'body.object_attributes.target_branch');
  const headBranch = branchName(attrs.source_branch, 'body.object_attributes.source_branch');
  const user = body.user as { username?: unknown } | undefined;
  return runHook(d, {
    path,
    forgeRepo: String(projectId),
    revision: sha(lastCommit.id, 'body.object_attributes.last_commit.id'),
    author: text(user?.username),
    message: text(attrs.title),
    url: text(project.git_http_url) ?? text(project.web_url),
    pullRequest: { number: iid, baseBranch, headBranch, url: text(attrs.url) },
  });
}

/** What each forge's payload gives a run, read out; the run request is made the same way for all. */
type RunFields = {
  /** `owner/name` (GitLab: `group/subgroup/name`). */
  path: string;
  /** How the forge's API names the repository: GitHub and Forgejo by path, GitLab by project id. */
  forgeRepo: string;
  revision: string;
  author: string | null;
  message: string | null;
  url: string | null;
} & (
  | { pullRequest: null; branch: string; changedFiles: string[] | null }
  // A pull request's branch is its base; its changed files are asked of the forge's API.
  | { pullRequest: PullRequestRef }
);

/**
 * A run of a push, or of a pull request on its base branch (what `branches` filters say), as
 * GitHub Actions' and Zuul's are; the head branch is in the run's data. A pull request's changed
 * files are asked of the forge's API afterwards.
 */
function runHook(d: ForgeDelivery, f: RunFields): ForgeHook {
  const { namespace, name } = splitRepo(f.path);
  return {
    kind: 'run',
    request: {
      repo: name,
      namespace,
      branch: f.pullRequest ? f.pullRequest.baseBranch : f.branch,
      revision: f.revision,
      author: f.author,
      message: f.message,
      changedFiles: f.pullRequest ? null : f.changedFiles,
      url: f.url,
      source: 'webhook',
      event: f.pullRequest ? 'pull_request' : 'push',
      pullRequest: f.pullRequest,
      forge: { name: d.forge, repo: f.forgeRepo, deliveryId: d.deliveryId },
    },
    pullRequestFiles: f.pullRequest ? { repo: f.forgeRepo, number: f.pullRequest.number } : null,
  };
}

/** Every path a push's commits added, changed or removed; null when a commit does not say. */
function filesOfCommits(commits: unknown[], field: string): string[] | null {
  if (commits.length === 0) return null;
  const files = new Set<string>();
  for (const [i, c] of commits.entries()) {
    const commit = obj(c, `${field}[${i}]`);
    const lists = [commit.added, commit.modified, commit.removed];
    if (lists.every((l) => l === undefined)) return null;
    for (const [k, l] of lists.entries()) {
      if (l === undefined) continue;
      const at = `${field}[${i}].${['added', 'modified', 'removed'][k]}`;
      for (const f of list(l, at)) files.add(str(f, at));
    }
  }
  return [...files];
}

/** `owner/name` (GitLab: `group/subgroup/name`) → namespace and name. */
function splitRepo(fullName: string): { namespace: string | null; name: string } {
  const at = fullName.lastIndexOf('/');
  return at < 0
    ? { namespace: null, name: fullName }
    : { namespace: fullName.slice(0, at), name: fullName.slice(at + 1) };
}

function ignored(reason: string): ForgeHook {
  return { kind: 'ignored', reason };
}

function obj(v: unknown, field: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new RunInputError(field, 'must be an object');
  return v as Record<string, unknown>;
}

function list(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new RunInputError(field, 'must be an array');
  return v;
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw new RunInputError(field, 'must be a non-empty string');
  if (v.length > 4096) throw new RunInputError(field, 'is longer than 4096 characters');
  return v;
}

function branchName(v: unknown, field: string): string {
  const s = str(v, field);
  return s.startsWith('refs/heads/') ? s.slice('refs/heads/'.length) : s;
}

function sha(v: unknown, field: string): string {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{40}([0-9a-fA-F]{24})?$/.test(v))
    throw new RunInputError(field, 'must be a commit id (40 or 64 hex digits)');
  return v;
}

function int(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new RunInputError(field, 'must be a non-negative integer');
  return v;
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
