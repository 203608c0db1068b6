/**
 * The one place where every setting and its default lives. ajv fills the defaults in
 * (`useDefaults`), so an empty file and no file at all give the embedded defaults.
 * Each nested object defaults to `{}` so that its own defaults apply when it is absent.
 */
export const configSchema = {
  $id: 'sluice:config',
  type: 'object',
  additionalProperties: false,
  properties: {
    server: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { type: 'string', minLength: 1, default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
        bodyLimitBytes: { type: 'integer', minimum: 1024, default: 1048576 },
        /** Base URL that clients (the CLI, links in messages) use to reach this server. */
        publicUrl: { type: ['string', 'null'], default: null },
      },
    },
    db: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        path: { type: 'string', minLength: 1, default: './var/sluice.db' },
        busyTimeoutMs: { type: 'integer', minimum: 0, default: 5000 },
      },
    },
    bus: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** No URL = the embedded in-process bus; an amqp:// or amqps:// URL = RabbitMQ. */
        url: { type: ['string', 'null'], pattern: '^amqps?://', default: null },
        exchange: { type: 'string', minLength: 1, default: 'amq.topic' },
        topicPrefix: { type: 'string', pattern: '^([A-Za-z0-9_-]+\\.)*$', default: '' },
        queuePrefix: { type: 'string', default: 'sluice.' },
        deadLetterQueue: { type: 'string', minLength: 1, default: 'sluice.dead-letter' },
        prefetch: { type: 'integer', minimum: 1, maximum: 65535, default: 200 },
        confirmTimeoutMs: { type: 'integer', minimum: 100, default: 10000 },
        heartbeatSeconds: { type: 'integer', minimum: 0, default: 15 },
        connectTimeoutMs: { type: 'integer', minimum: 100, default: 5000 },
        retry: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            /** Deliveries of one message to a handler that throws, before it is dead-lettered. */
            maxAttempts: { type: 'integer', minimum: 1, maximum: 100, default: 4 },
            delayMs: { type: 'integer', minimum: 0, default: 1000 },
            backoffFactor: { type: 'number', minimum: 1, default: 2 },
            maxDelayMs: { type: 'integer', minimum: 0, default: 60000 },
          },
        },
        reconnect: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            initialDelayMs: { type: 'integer', minimum: 10, default: 200 },
            maxDelayMs: { type: 'integer', minimum: 10, default: 5000 },
          },
        },
        /** How often the embedded bus looks for messages that became due (retries). */
        pollIntervalMs: { type: 'integer', minimum: 5, default: 100 },
      },
    },
    outbox: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        batchSize: { type: 'integer', minimum: 1, maximum: 10000, default: 500 },
        pollIntervalMs: { type: 'integer', minimum: 5, default: 250 },
        retryDelayMs: { type: 'integer', minimum: 10, default: 1000 },
        maxRetryDelayMs: { type: 'integer', minimum: 10, default: 30000 },
      },
    },
    events: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** The event log behind server-sent events keeps at most this many messages. */
        maxEvents: { type: 'integer', minimum: 100, default: 100000 },
        /**
         * The event log holds every message Sluice publishes. Messages that other publishers put
         * on the bus (external CI, `sluice publish` straight to RabbitMQ) are recorded too when
         * their topic matches one of these patterns; each costs a delivery and a write.
         */
        recordTopics: { type: 'array', uniqueItems: true, items: { type: 'string', minLength: 1 }, default: [] },
        /** Seen message ids are kept this long for idempotent consumption. */
        dedupRetentionHours: { type: 'integer', minimum: 1, default: 336 },
      },
    },
    auth: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /**
         * API tokens, stored as SHA-256 hashes (`sluice token hash` prints one). With none
         * configured and the server on loopback, writes are open (a laptop setup).
         */
        tokens: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['user', 'sha256'],
            properties: {
              user: { type: 'string', minLength: 1 },
              sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
              groups: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
              scopes: {
                type: 'array',
                items: { enum: ['results:write', 'waivers:write', 'updates:write', 'messages:publish', 'runs:write', 'admin'] },
                default: ['results:write', 'waivers:write', 'updates:write', 'messages:publish', 'runs:write'],
              },
            },
          },
        },
      },
    },
    results: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /**
         * Outcomes accepted besides ResultsDB's four (PASSED, INFO, FAILED, NEEDS_INSPECTION), as
         * ResultsDB's ADDITIONAL_RESULT_OUTCOMES. Upper case, because submitted outcomes are upper-cased.
         */
        additionalOutcomes: {
          type: 'array',
          uniqueItems: true,
          items: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$', maxLength: 32 },
          default: ['QUEUED', 'RUNNING', 'ERROR', 'NOT_APPLICABLE'],
        },
        /**
         * Data keys with an index of their own. A filter on one of them reads only its matches;
         * a filter on any other key is checked result by result while reading another index (or
         * every result, newest first, when no indexed filter is given). Each indexed key costs
         * at every insert, so list the keys people and gating filter on.
         */
        indexedDataKeys: {
          type: 'array',
          uniqueItems: true,
          items: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^:]+$' },
          default: ['item', 'type', 'scenario'],
        },
      },
    },
    waivers: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** Users who may submit a waiver on another user's behalf (its `username`); they are recorded as proxied_by. */
        superusers: { type: 'array', uniqueItems: true, items: { type: 'string', minLength: 1 }, default: [] },
        /**
         * Who may waive which test cases (WaiverDB's PERMISSIONS). None = any user whose token
         * holds waivers:write may waive anything; with rules, a test case no rule is about cannot
         * be waived. `testcases` and `testcasesIgnore` are fnmatch patterns (`*`, `?`, `[...]`).
         */
        permissions: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['testcases'],
            properties: {
              name: { type: 'string', minLength: 1 },
              maintainers: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
              testcases: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
              testcasesIgnore: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
              users: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
              groups: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
            },
          },
        },
      },
    },
    gating: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** Greenwave policy files (`*.yaml`, `--- !Policy` documents); null = no policies. */
        policiesDir: { type: ['string', 'null'], minLength: 1, default: null },
        /** Changes to the built-in subject types (koji_build, bodhi_update, compose, …) or new ones, by id. */
        subjectTypes: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id'],
            properties: {
              id: { type: 'string', minLength: 1 },
              aliases: { type: 'array', items: { type: 'string', minLength: 1 } },
              /** The key of the identifier in a decision request's `subject` entries. */
              itemKey: { type: ['string', 'null'], minLength: 1 },
              /** The key of the identifier in requirements' `item`; null = {"type", "item"}. */
              itemDictKey: { type: ['string', 'null'], minLength: 1 },
              isKojiBuild: { type: 'boolean' },
              isNvr: { type: 'boolean' },
              supportsRemoteRule: { type: 'boolean' },
              ignoreMissingPolicy: { type: 'boolean' },
              productVersion: { type: ['string', 'null'], minLength: 1 },
              /** Which results are the subject's: identifier under `itemKey`, `type` one of `types` (null = any). */
              resultQueries: {
                type: 'array',
                minItems: 1,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['itemKey'],
                  properties: {
                    itemKey: { type: 'string', minLength: 1 },
                    types: { type: ['array', 'null'], items: { type: 'string', minLength: 1 } },
                  },
                },
              },
            },
          },
        },
        /**
         * Subjects whose latest results decisions keep in memory (dropped when one of their results
         * is stored or the database changes from elsewhere); 0 = read the store every time.
         */
        cacheSubjects: { type: 'integer', minimum: 0, default: 10000 },
        /**
         * Decision answers kept as sent (POST /decision asked now, not verbose), each until a result
         * or waiver of its subjects is stored or the database changes from elsewhere; 0 = none.
         */
        cacheDecisions: { type: 'integer', minimum: 0, default: 10000 },
        /** How result outcomes count (Greenwave's OUTCOMES_*); every other outcome is a failure. */
        outcomes: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            passed: { type: 'array', items: { type: 'string', minLength: 1 }, default: ['PASSED', 'INFO'] },
            incomplete: { type: 'array', items: { type: 'string', minLength: 1 }, default: ['QUEUED', 'RUNNING'] },
            error: { type: 'array', items: { type: 'string', minLength: 1 }, default: ['ERROR'] },
          },
        },
        remoteRule: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            /**
             * gating.yaml URL templates by subject type id (`*` = any other), tried in order; placeholders
             * {pkg_namespace} ("rpms/"), {pkg_name}, {rev} (from the build's SCM URL) and {subject_id}.
             */
            urlTemplates: {
              type: 'object',
              additionalProperties: { type: 'array', items: { type: 'string', minLength: 1 } },
              default: { '*': ['https://src.fedoraproject.org/{pkg_namespace}{pkg_name}/raw/{rev}/f/gating.yaml'] },
            },
            fetchTimeoutMs: { type: 'integer', minimum: 100, default: 5000 },
            /** Fetched files (and "not found") are reused this long; 0 = fetch every time. */
            cacheTtlMs: { type: 'integer', minimum: 0, default: 60000 },
            /** The result data key holding a build's SCM URL (Koji's `source`, e.g. git+https://…/rpms/bash.git#rev). */
            sourceDataKey: { type: 'string', minLength: 1, default: 'source' },
          },
        },
        /** Updates (POST /api/v1/updates): their gating status. */
        updates: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            /**
             * How long after an update's builds were set missing results are waited for; after it, a
             * required result missing with nothing QUEUED or RUNNING fails the update (Bodhi: 2 hours).
             */
            gracePeriodSeconds: { type: 'integer', minimum: 0, default: 7200 },
            /** When updates whose grace period ended are looked at again (cron, UTC; six fields = with seconds). */
            recheckCron: { type: 'string', minLength: 1, default: '* * * * *' },
          },
        },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
      },
    },
  },
} as const;
