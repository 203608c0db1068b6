/**
 * KernelCI's node life cycle: `running` (its job works), `available` (its artifacts are there and
 * children may be added), `closing` (its holdoff is over, children still going), `done`.
 */
export const NODE_STATES = ['running', 'available', 'closing', 'done'] as const;
export type NodeState = (typeof NODE_STATES)[number];

export const NODE_RESULTS = ['pass', 'fail', 'skip', 'incomplete'] as const;
export type NodeResult = (typeof NODE_RESULTS)[number];

/** The pipeline settings once the schema's defaults are filled in (config/pipeline-schema.ts). */
export interface PipelineSettings {
  enabled: boolean;
  sweepCron: string;
  timeoutGraceSeconds: number;
  logsDir: string;
  artifactsDir: string;
  retention: { logs: number | null; artifacts: number | null; runs: number | null; cron: string };
  contact: { name: string; team: string; email: string; url: string | null };
  checkout: { holdoffSeconds: number; timeoutSeconds: number };
  supersede: boolean;
  repos: RepoSettings[];
  schedules: ScheduleSettings[];
  runner: RunnerSettings;
  builders: BuilderSettings[];
  jobs: JobSettings[];
}

export interface RepoSettings {
  name: string;
  namespace: string | null;
  url: string | null;
  branches: string[];
  poll: string | null;
  supersede: boolean | null;
}

export interface ScheduleSettings {
  name: string;
  cron: string;
  kind: string;
}

export interface RunnerSettings {
  enabled: boolean;
  concurrency: number;
  connectAttempts: number;
  logFlushMs: number;
  logChunkBytes: number;
  maxLogBytes: number;
  maxResultFileBytes: number;
  maxArtifactBytes: number;
  killGraceMs: number;
}

export interface BuilderSettings {
  name: string;
  type: 'ssh' | 'local';
  host?: string;
  port: number;
  user?: string;
  privateKeyFile?: string;
  hostKey?: string;
  labels: string[];
  jobLimit: number;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  workRoot: string;
  backoff: { initialMs: number; maxMs: number };
}

export type ResultsParser = 'exit-code' | 'junit' | 'sti';
export type CiCategory =
  | 'functional'
  | 'integration'
  | 'interoperability'
  | 'static-analysis'
  | 'validation'
  | 'performance';

export interface JobSettings {
  name: string;
  kind: string;
  on: { kind: string; name?: string; state: NodeState; result?: NodeResult };
  repos: string[];
  branches: string[];
  paths: string[];
  runsOn: string[];
  /** Null (the compiled default) or absent: the job deploys nowhere. */
  environment?: string | null;
  command: string;
  env: Record<string, string>;
  timeoutSeconds: number;
  holdoffSeconds: number;
  retries: number;
  artifacts: string[];
  results: { parser: ResultsParser; files: string[] };
  matrix: Record<string, string[]>;
  subject: { type: string; item: string };
  ci: { namespace: string; type: string | null; category: CiCategory };
  /** productVersion null: guessed from the release (the compiled settings always have it). */
  knownGood: { release: string; decisionContext: string; productVersion: string | null } | null;
}
