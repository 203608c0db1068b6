/** What started a run: a push (also a poll's new head, a run by hand) or a pull request's head. */
export type RunEvent = 'push' | 'pull_request';

/** A pull (merge) request a run is for: its number and the branch it would merge into. */
export interface PullRequestRef {
  number: number;
  baseBranch: string;
  headBranch: string;
  url: string | null;
}

/** A change to run the pipeline on: a push, a poll's new head, a run asked for by hand, a forge's webhook. */
export interface RunRequest {
  repo: string;
  namespace?: string | null;
  branch: string;
  revision: string | null;
  author?: string | null;
  message?: string | null;
  changedFiles?: string[] | null;
  url?: string | null;
  source: 'git.receive' | 'poll' | 'api' | 'webhook';
  /** Unset: a push. */
  event?: RunEvent;
  pullRequest?: PullRequestRef | null;
  /** The forge that sent it and the repository as its API names it (statuses go back there). */
  forge?: { name: string; repo: string; deliveryId: string } | null;
}
