/** The forges Sluice hears pushes and pull requests from and reports commit statuses to. */
export const FORGE_TYPES = ['github', 'gitlab', 'forgejo', 'gitea'] as const;
export type ForgeType = (typeof FORGE_TYPES)[number];

export interface ForgeSettings {
  /** The `{forge}` of `POST /api/v1/hooks/{forge}`, and what runs and statuses name it by. */
  name: string;
  type: ForgeType;
  /** The REST API's base URL; compiled: GitHub's and GitLab.com's when not given. */
  apiUrl: string | null;
  /** The webhook secret (GitHub, Forgejo: the HMAC key; GitLab: the token it sends). */
  secretFile: string;
  /** The API token: pull requests' changed files and commit statuses need it. */
  tokenFile: string | null;
  /** Send commit statuses for the runs this forge started. */
  statuses: boolean;
  /** A status's context is `context` for the run's verdict and `context/JOB NODE` for a job. */
  context: string;
  timeoutMs: number;
  /** Backoff after a 5xx or a network error, doubled each attempt up to maxDelayMs. */
  retry: { delayMs: number; maxDelayMs: number; maxAttempts: number };
}
