/** A change to run the pipeline on: a push, a poll's new head, a run asked for by hand. */
export interface RunRequest {
  repo: string;
  namespace?: string | null;
  branch: string;
  revision: string | null;
  author?: string | null;
  message?: string | null;
  changedFiles?: string[] | null;
  url?: string | null;
  source: 'git.receive' | 'poll' | 'api';
}
