import { DEMO_BUILDERS, DEMO_JOBS, DEMO_REPOS } from './demo-pipeline.js';

const NAME = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';
const seconds = (dflt: number, minimum = 1) => ({ type: 'integer', minimum, default: dflt }) as const;
const stringList = { type: 'array', items: { type: 'string', minLength: 1 }, default: [] } as const;

/**
 * The pipeline: builders, jobs, repos, schedules. Jobs fire on node state transitions; their
 * command and labels are templates (`{{ repo }}`, `{{ parent.data.nvr }}`, `{{ matrix.arch }}`,
 * ...) whose values are shell-quoted when substituted. Without any pipeline settings the demo
 * pipeline (config/demo-pipeline.ts) runs on this machine with the local runner.
 */
export const pipelineSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', default: true },
    /** How often timed-out and held-off nodes are looked for (node-schedule cron, with seconds). */
    sweepCron: { type: 'string', minLength: 1, default: '*/5 * * * * *' },
    /**
     * A job's node times out this long after the job's own timeout: the runner kills the job at
     * its timeout and reports how; the sweeper is the backstop for jobs whose runner is gone or
     * that never got a builder.
     */
    timeoutGraceSeconds: { type: 'integer', minimum: 0, default: 30 },
    logsDir: { type: 'string', minLength: 1, default: './var/logs' },
    artifactsDir: { type: 'string', minLength: 1, default: './var/artifacts' },
    /**
     * How long finished jobs' logs, artifacts and whole runs (their node rows) are kept, in days
     * after the node (the run's root, for runs) ended; null keeps them. Pruned on `cron` by the
     * scheduler; the API answers 410 Gone for what was pruned. Results and decisions are kept.
     */
    retention: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        logs: { type: ['number', 'null'], minimum: 0, default: null },
        artifacts: { type: ['number', 'null'], minimum: 0, default: null },
        runs: { type: ['number', 'null'], minimum: 0, default: null },
        cron: { type: 'string', minLength: 1, default: '37 4 * * *' },
      },
    },
    /** Who answers for this CI system, as Fedora CI messages name it. */
    contact: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        name: { type: 'string', minLength: 1, default: 'Sluice' },
        team: { type: 'string', minLength: 1, default: 'Sluice' },
        email: { type: 'string', minLength: 3, default: 'sluice@localhost.localdomain' },
        url: { type: ['string', 'null'], default: null },
      },
    },
    /** The root node a push (or a run by hand) creates. */
    checkout: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        holdoffSeconds: seconds(10, 0),
        timeoutSeconds: seconds(86400),
      },
    },
    /** A newer revision on a branch cancels the older run's unfinished jobs. Per repo too. */
    supersede: { type: 'boolean', default: false },
    repos: {
      type: 'array',
      default: DEMO_REPOS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1 },
          namespace: { type: ['string', 'null'], default: null },
          /** What `git ls-remote` is pointed at when polling or when a run by hand gives no revision. */
          url: { type: ['string', 'null'], minLength: 1, default: null },
          branches: { type: 'array', items: { type: 'string', minLength: 1 }, default: ['main'] },
          /** Poll the url on this cron expression for new heads of `branches`; null = wait for git.receive. */
          poll: { type: ['string', 'null'], minLength: 1, default: null },
          supersede: { type: ['boolean', 'null'], default: null },
        },
      },
    },
    /** Periodic runs: each firing creates a root node of `kind` named `name` that jobs can start on. */
    schedules: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'cron'],
        properties: {
          name: { type: 'string', pattern: NAME },
          cron: { type: 'string', minLength: 1 },
          kind: { type: 'string', minLength: 1, default: 'schedule' },
        },
      },
    },
    runner: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** Run jobs in this process; off when separate runner processes share the builders. */
        enabled: { type: 'boolean', default: true },
        /** Job messages this runner holds at once (running or waiting for a builder). */
        concurrency: { type: 'integer', minimum: 1, maximum: 1000, default: 16 },
        /** Builders tried for one job when one cannot be reached, before the job ends incomplete. */
        connectAttempts: { type: 'integer', minimum: 1, maximum: 20, default: 3 },
        logFlushMs: { type: 'integer', minimum: 10, default: 200 },
        logChunkBytes: { type: 'integer', minimum: 1024, maximum: 262144, default: 65536 },
        maxLogBytes: { type: 'integer', minimum: 1024, default: 67108864 },
        maxResultFileBytes: { type: 'integer', minimum: 1024, default: 16777216 },
        maxArtifactBytes: { type: 'integer', minimum: 1024, default: 1073741824 },
        /** After SIGTERM to a job's process group, how long before SIGKILL. */
        killGraceMs: { type: 'integer', minimum: 0, default: 2000 },
      },
    },
    builders: {
      type: 'array',
      default: DEMO_BUILDERS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: NAME },
          type: { enum: ['ssh', 'local'], default: 'ssh' },
          host: { type: 'string', minLength: 1 },
          port: { type: 'integer', minimum: 1, maximum: 65535, default: 22 },
          user: { type: 'string', minLength: 1 },
          privateKeyFile: { type: 'string', minLength: 1 },
          /** The builder's public host key as in known_hosts ("ssh-ed25519 AAAA..."): any other key is refused. */
          hostKey: {
            type: 'string',
            pattern:
              '^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521) [A-Za-z0-9+/=]+',
          },
          labels: stringList,
          jobLimit: { type: 'integer', minimum: 1, maximum: 256, default: 2 },
          connectTimeoutMs: { type: 'integer', minimum: 100, default: 10000 },
          keepaliveIntervalMs: { type: 'integer', minimum: 0, default: 15000 },
          keepaliveCountMax: { type: 'integer', minimum: 1, default: 3 },
          /** Where per-job working directories are made (mktemp -d). */
          workRoot: { type: 'string', minLength: 1, default: '/tmp' },
          backoff: {
            type: 'object',
            additionalProperties: false,
            default: {},
            properties: {
              initialMs: { type: 'integer', minimum: 10, default: 1000 },
              maxMs: { type: 'integer', minimum: 10, default: 60000 },
            },
          },
        },
      },
    },
    jobs: {
      type: 'array',
      default: DEMO_JOBS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'on', 'command'],
        properties: {
          name: { type: 'string', pattern: NAME, maxLength: 100 },
          kind: { type: 'string', pattern: NAME, default: 'test' },
          on: {
            type: 'object',
            additionalProperties: false,
            required: ['kind'],
            properties: {
              kind: { type: 'string', minLength: 1 },
              name: { type: 'string', minLength: 1 },
              state: { enum: ['running', 'available', 'closing', 'done'], default: 'available' },
              result: { enum: ['pass', 'fail', 'skip', 'incomplete'] },
            },
          },
          /** Globs on the run's repo and branch; empty = any. */
          repos: stringList,
          branches: stringList,
          /** Selective checks: run only when a changed file matches one of these globs (empty = always). */
          paths: stringList,
          /** Labels a builder must all have; templates allowed ("arch:{{ matrix.arch }}"). */
          runsOn: stringList,
          /**
           * Where the job deploys (test, prod, …): two jobs of one environment never run at once
           * (the second waits its turn, across runs); a job that passes is recorded in its run's
           * deployments.
           */
          environment: { type: ['string', 'null'], pattern: NAME, maxLength: 100, default: null },
          command: { type: 'string', minLength: 1 },
          env: {
            type: 'object',
            default: {},
            propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
            additionalProperties: { type: 'string' },
          },
          timeoutSeconds: seconds(3600),
          holdoffSeconds: seconds(10, 0),
          /** New attempts (new nodes, retry counter raised) when the job ends incomplete. */
          retries: { type: 'integer', minimum: 0, maximum: 10, default: 0 },
          /** Globs relative to the job's working directory; matching files are kept. */
          artifacts: stringList,
          results: {
            type: 'object',
            additionalProperties: false,
            default: {},
            properties: {
              parser: { enum: ['exit-code', 'junit', 'sti'], default: 'exit-code' },
              /** Where the parser reads (globs); defaults per parser. */
              files: stringList,
            },
          },
          /** One node per combination of values, e.g. {arch: [x86_64, aarch64]}. */
          matrix: {
            type: 'object',
            default: {},
            propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
            additionalProperties: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
          },
          /** What the job's results are about, as results carry it (item + type) and gating asks. */
          subject: {
            type: 'object',
            additionalProperties: false,
            default: {},
            properties: {
              type: { type: 'string', minLength: 1, default: 'koji_build' },
              item: { type: 'string', default: '' },
            },
          },
          /** Fedora CI messages' test block: the stage's testcase is namespace.type.category. */
          ci: {
            type: 'object',
            additionalProperties: false,
            default: {},
            properties: {
              namespace: { type: 'string', pattern: '^\\S+$', default: 'sluice' },
              type: { type: ['string', 'null'], pattern: '^\\S+$', default: null },
              category: {
                enum: [
                  'functional',
                  'integration',
                  'interoperability',
                  'static-analysis',
                  'validation',
                  'performance',
                ],
                default: 'functional',
              },
            },
          },
          /**
           * Compose jobs: {{ known_good }} is the release's known-good set (per package its newest
           * build whose gating decision under this context and product version passed) plus the candidate.
           */
          knownGood: {
            type: ['object', 'null'],
            default: null,
            additionalProperties: false,
            required: ['release'],
            properties: {
              /** The dist tag of the release, e.g. fc41: builds whose NVR ends with it. */
              release: { type: 'string', pattern: '^[A-Za-z0-9_.]+$' },
              decisionContext: { type: 'string', minLength: 1, default: 'bodhi_update_push_stable' },
              /** null: guessed from the release as Greenwave guesses it (fc41 → fedora-41, epel9 → epel-9). */
              productVersion: { type: ['string', 'null'], minLength: 1, default: null },
            },
          },
        },
      },
    },
  },
} as const;
