import { pipelineSchema } from './pipeline-schema.js';

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
        /** A request body larger than this is refused with 413. */
        bodyLimitBytes: { type: 'integer', minimum: 1024, default: 1048576 },
        /**
         * A request not answered within this many milliseconds gets 503 (its work may still finish);
         * one whose headers and body have not all arrived by then gets 408. Event streams are exempt.
         */
        requestTimeoutMs: { type: 'integer', minimum: 100, default: 30000 },
        /**
         * Long-lived responses at most: server-sent event streams and followed job logs together;
         * one more is refused with 503 and Retry-After until one closes.
         */
        maxEventStreams: { type: 'integer', minimum: 1, default: 100 },
        /** Base URL that clients (the CLI, links in messages) use to reach this server. */
        publicUrl: { type: ['string', 'null'], default: null },
        /**
         * Origins whose browser pages may call the read APIs and POST /api/v1.0/decision
         * (`https://bodhi.fedoraproject.org`), or `*` for any; none by default.
         */
        cors: {
          type: 'array',
          uniqueItems: true,
          items: { type: 'string', pattern: '^(\\*|https?://[^/\\s]+)$' },
          default: [],
        },
      },
    },
    db: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        path: { type: 'string', minLength: 1, default: './var/sluice.db' },
        busyTimeoutMs: { type: 'integer', minimum: 0, default: 5000 },
        /**
         * WAL checkpoints run in a worker thread this often, instead of inside whichever commit
         * crosses SQLite's threshold (a stall of the whole service); 0 = SQLite's own way.
         */
        checkpointIntervalMs: { type: 'integer', minimum: 0, maximum: 60000, default: 200 },
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
        /**
         * More prefixes whose messages are consumed too, e.g. [org.centos.prod.] beside a topicPrefix of
         * org.fedoraproject.prod.: Fedora CI's results come under both. Sluice publishes under topicPrefix only.
         */
        consumePrefixes: {
          type: 'array',
          items: { type: 'string', pattern: '^([A-Za-z0-9_-]+\\.)+$' },
          uniqueItems: true,
          maxItems: 16,
          default: [],
        },
        queuePrefix: { type: 'string', default: 'sluice.' },
        deadLetterQueue: { type: 'string', minLength: 1, default: 'sluice.dead-letter' },
        /**
         * A file holding the broker password, so that the URL (and the configuration file) need
         * not carry it; it replaces any password in the URL. Trailing newlines are dropped.
         */
        passwordFile: { type: ['string', 'null'], minLength: 1, default: null },
        /** TLS for an amqps:// URL: files in PEM. No caFile = the system's trusted CAs. */
        tls: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            caFile: { type: ['string', 'null'], minLength: 1, default: null },
            /** A client certificate and its key, for brokers that verify their peers. */
            certFile: { type: ['string', 'null'], minLength: 1, default: null },
            keyFile: { type: ['string', 'null'], minLength: 1, default: null },
            passphraseFile: { type: ['string', 'null'], minLength: 1, default: null },
            /** The name the broker's certificate must carry; default: the URL's host. */
            servername: { type: ['string', 'null'], minLength: 1, default: null },
            /** Only for a test broker with a self-signed certificate: never in production. */
            rejectUnauthorized: { type: 'boolean', default: true },
          },
        },
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
        recordTopics: {
          type: 'array',
          uniqueItems: true,
          items: { type: 'string', minLength: 1 },
          default: [],
        },
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
         * API tokens, stored as SHA-256 hashes (`sluice token hash` prints one). With neither
         * tokens nor oidc configured and the server on loopback, writes are open (a laptop setup):
         * credentials that come with a request are ignored, but HTTP Basic's user name names the caller.
         */
        /** True = every read (GET) needs a valid token too, whatever its scopes; /healthz and /readyz stay open. */
        readsRequireToken: { type: 'boolean', default: false },
        /** How long a dashboard sign-in (the session cookie) lasts. */
        sessionSeconds: { type: 'integer', minimum: 60, maximum: 2592000, default: 28800 },
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
                items: {
                  enum: [
                    'results:write',
                    'waivers:write',
                    'updates:write',
                    'messages:publish',
                    'runs:write',
                    'admin',
                  ],
                },
                default: [
                  'results:write',
                  'waivers:write',
                  'updates:write',
                  'messages:publish',
                  'runs:write',
                ],
              },
            },
          },
        },
        /**
         * Access tokens from an OpenID Connect provider (Bodhi, waiverdb-cli and other Fedora
         * clients send them): JWTs checked against the issuer's keys, opaque tokens by introspection.
         */
        oidc: {
          type: ['object', 'null'],
          default: null,
          additionalProperties: false,
          required: ['issuer', 'audience'],
          properties: {
            /** The provider's issuer URL; its /.well-known/openid-configuration names the keys and endpoints. */
            issuer: { type: 'string', pattern: '^https?://' },
            /** A token's `aud` must include this. */
            audience: { type: 'string', minLength: 1 },
            /** An OAuth scope every token must hold (WaiverDB's OIDC_REQUIRED_SCOPE); null = none. */
            requiredScope: { type: ['string', 'null'], minLength: 1, default: null },
            /** The claim that names the user (waivers record it as `username`). */
            userClaim: { type: 'string', minLength: 1, default: 'sub' },
            /** The claim with the user's groups; dots reach into objects (`realm_access.roles`). */
            groupsClaim: { type: 'string', minLength: 1, default: 'groups' },
            /** Sluice scopes every valid token gets. */
            scopes: {
              type: 'array',
              uniqueItems: true,
              items: {
                enum: [
                  'results:write',
                  'waivers:write',
                  'updates:write',
                  'messages:publish',
                  'runs:write',
                  'admin',
                ],
              },
              default: ['waivers:write'],
            },
            /** Sluice scopes added for members of a group: `{ qa-admins: [admin] }`. */
            groupScopes: {
              type: 'object',
              additionalProperties: {
                type: 'array',
                items: {
                  enum: [
                    'results:write',
                    'waivers:write',
                    'updates:write',
                    'messages:publish',
                    'runs:write',
                    'admin',
                  ],
                },
              },
              default: {},
            },
            /** Sluice scopes added for a token holding an OAuth scope: `{ "https://…/create-result": [results:write] }`. */
            tokenScopes: {
              type: 'object',
              additionalProperties: {
                type: 'array',
                items: {
                  enum: [
                    'results:write',
                    'waivers:write',
                    'updates:write',
                    'messages:publish',
                    'runs:write',
                    'admin',
                  ],
                },
              },
              default: {},
            },
            /** Leeway for exp, nbf and iat between this host's clock and the provider's. */
            clockToleranceSeconds: { type: 'integer', minimum: 0, maximum: 600, default: 30 },
            /** The provider's keys are fetched again after this long, or at once for a key not seen yet. */
            jwksCacheSeconds: { type: 'integer', minimum: 10, default: 600 },
            /** For each call to the provider (discovery, keys, introspection). */
            timeoutMs: { type: 'integer', minimum: 100, default: 5000 },
            /**
             * People sign in to the dashboard at this provider (authorization-code flow with PKCE)
             * as this client; its redirect URI is <server URL>/login/callback. No secret = a public client.
             */
            login: {
              type: ['object', 'null'],
              default: null,
              additionalProperties: false,
              required: ['clientId'],
              properties: {
                clientId: { type: 'string', minLength: 1 },
                clientSecret: { type: ['string', 'null'], default: null },
                clientSecretFile: { type: ['string', 'null'], default: null },
                /** OAuth scopes asked for; their grant counts as the token's for requiredScope and tokenScopes. */
                scope: { type: 'string', minLength: 1, default: 'openid profile' },
              },
            },
            /** Opaque (non-JWT) tokens are checked at the provider's introspection endpoint (RFC 7662) as this client. */
            introspection: {
              type: ['object', 'null'],
              default: null,
              additionalProperties: false,
              required: ['clientId'],
              properties: {
                clientId: { type: 'string', minLength: 1 },
                clientSecret: { type: ['string', 'null'], default: null },
                clientSecretFile: { type: ['string', 'null'], default: null },
                /** An active token is not asked about again for this long (never past its exp). */
                cacheSeconds: { type: 'integer', minimum: 0, default: 30 },
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
        superusers: {
          type: 'array',
          uniqueItems: true,
          items: { type: 'string', minLength: 1 },
          default: [],
        },
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
        /**
         * Decision changes of a result this process stores (over HTTP, from the bus, from a job) or
         * of a waiver posted to it are worked out in the transaction that stores it, one broker round
         * trip sooner than when its resultsdb.result.new (waiverdb.waiver.new) comes back; false
         * leaves them all to the gating-changes consumer (storing is then lighter). Results and
         * waivers stored elsewhere always go the consumer's way.
         */
        changesWhenStored: { type: 'boolean', default: true },
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
              /** Greenwave's product_version_match: `match` (a regular expression) on the identifier gives `productVersion` (\\1… its groups). */
              productVersionMatch: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['match', 'productVersion'],
                  properties: {
                    match: { type: 'string', minLength: 1 },
                    productVersion: { type: 'string', minLength: 1 },
                  },
                },
              },
              /** Greenwave's product_version_from_koji_build_target: shown in GET /subject_types; Sluice asks no Koji, so unused. */
              productVersionFromKojiBuildTarget: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['match', 'productVersion'],
                  properties: {
                    match: { type: 'string', minLength: 1 },
                    productVersion: { type: 'string', minLength: 1 },
                  },
                },
              },
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
            incomplete: {
              type: 'array',
              items: { type: 'string', minLength: 1 },
              default: ['QUEUED', 'RUNNING'],
            },
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
              default: {
                '*': ['https://src.fedoraproject.org/{pkg_namespace}{pkg_name}/raw/{rev}/f/gating.yaml'],
              },
            },
            fetchTimeoutMs: { type: 'integer', minimum: 100, default: 5000 },
            /** Fetched files (and "not found") are reused this long; 0 = fetch every time. */
            cacheTtlMs: { type: 'integer', minimum: 0, default: 60000 },
            /** The result data key holding a build's SCM URL (Koji's `source`, e.g. git+https://…/rpms/bash.git#rev). */
            sourceDataKey: { type: 'string', minLength: 1, default: 'source' },
          },
        },
        /**
         * Koji, where a build's SCM URL (for !RemoteRule) and creation time (valid_since /
         * valid_until) are looked up with getBuild, as Greenwave does (its KOJI_BASE_URL). Without
         * it they are read from the build's stored results (remoteRule.sourceDataKey).
         */
        koji: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            /** The hub's XML-RPC endpoint, e.g. https://koji.fedoraproject.org/kojihub; null = no Koji. */
            url: { type: ['string', 'null'], pattern: '^https?://[^\\s]+$', default: null },
            timeoutMs: { type: 'integer', minimum: 100, default: 15000 },
            /** Builds kept in memory (their source and creation time do not change); 0 = none. */
            cacheSize: { type: 'integer', minimum: 0, default: 10000 },
            cacheTtlMs: { type: 'integer', minimum: 0, default: 3600000 },
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
    scheduler: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /**
         * Scheduled tasks run in the one process that holds the scheduler lease (a row in the
         * store), whatever the number of scheduler processes; another takes over when the holder
         * stops renewing it for this long.
         */
        leaseSeconds: { type: 'integer', minimum: 2, maximum: 3600, default: 30 },
        /** When seen message ids older than events.dedupRetentionHours are dropped (cron, UTC; 6 fields = with seconds). */
        pruneCron: { type: 'string', minLength: 1, default: '17 * * * *' },
      },
    },
    notify: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** `file` (the embedded default) writes each mail as an .eml file under mailDir instead of sending it; `smtp` sends it. */
        transport: { enum: ['file', 'smtp'], default: 'file' },
        /** The From of every mail; its domain also ends each Message-ID. */
        from: { type: 'string', pattern: '@', default: 'Sluice <sluice@localhost>' },
        mailDir: { type: 'string', minLength: 1, default: './var/mail' },
        smtp: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            host: { type: 'string', minLength: 1, default: 'localhost' },
            port: { type: 'integer', minimum: 1, maximum: 65535, default: 25 },
            /** TLS from the first byte (port 465); otherwise STARTTLS is used when the server offers it. */
            secure: { type: 'boolean', default: false },
            /** Refuse to send unless the server offers STARTTLS. */
            requireTLS: { type: 'boolean', default: false },
            tlsRejectUnauthorized: { type: 'boolean', default: true },
            /** A PEM file of the CA that signed the server's certificate, when it is not a public one. */
            tlsCaFile: { type: ['string', 'null'], default: null },
            user: { type: ['string', 'null'], default: null },
            /** Never logged. Prefer passwordFile (a mounted secret) to a password in this file. */
            password: { type: ['string', 'null'], default: null },
            passwordFile: { type: ['string', 'null'], default: null },
            /** Connections kept open and reused (nodemailer's pool). */
            maxConnections: { type: 'integer', minimum: 1, maximum: 100, default: 5 },
            maxMessagesPerConnection: { type: 'integer', minimum: 1, default: 100 },
            /**
             * Far below nodemailer's defaults (2 min, 30 s, 10 min): a mail server that does not
             * answer is an outage to retry later, not a reason to hold a sender for minutes.
             */
            connectionTimeoutMs: { type: 'integer', minimum: 100, default: 5000 },
            greetingTimeoutMs: { type: 'integer', minimum: 100, default: 5000 },
            socketTimeoutMs: { type: 'integer', minimum: 100, default: 20000 },
          },
        },
        /** Failed sends (server unreachable, 4xx, webhook 5xx) wait delayMs × 2^(attempt-1), at most maxDelayMs; after maxAttempts the notification is marked failed. */
        retry: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            delayMs: { type: 'integer', minimum: 10, default: 2000 },
            maxDelayMs: { type: 'integer', minimum: 10, default: 600000 },
            maxAttempts: { type: 'integer', minimum: 1, maximum: 1000, default: 40 },
          },
        },
        /**
         * A notification being sent for longer than this is taken as abandoned (its process died
         * or hung) and sent again, under the same Message-ID. With the embedded bus, Sluice is
         * the store's only process and sends them again at start without waiting.
         */
        claimTimeoutMs: { type: 'integer', minimum: 1000, default: 300000 },
        /** Notifications taken from the outbox and sent at once (the pool spreads them over its connections). */
        batchSize: { type: 'integer', minimum: 1, maximum: 10000, default: 200 },
        pollIntervalMs: { type: 'integer', minimum: 5, default: 1000 },
        /**
         * A gating decision's mail waits this long after its first change; later changes of the same
         * subject, context and product version replace it, and when the decision is back where it
         * started, nothing is sent. A rule may set its own. 0 = mail every change at once.
         */
        debounceSeconds: { type: 'integer', minimum: 0, default: 60 },
        /** Sent, failed and cancelled notifications (and the run nodes recorded for reports) are kept this long. */
        keepDays: { type: 'integer', minimum: 1, default: 30 },
        /** When notifications older than keepDays are pruned (cron, UTC). */
        pruneCron: { type: 'string', minLength: 1, default: '41 3 * * *' },
        /** How much of a failed job's log its mail quotes. */
        logTailLines: { type: 'integer', minimum: 0, maximum: 10000, default: 40 },
        logTailBytes: { type: 'integer', minimum: 0, maximum: 1048576, default: 8192 },
        /**
         * Where a failed job's log may be fetched from besides this server's own URL: a node
         * message names its log, and only these prefixes are trusted not to point elsewhere.
         */
        logUrlPrefixes: { type: 'array', items: { type: 'string', pattern: '^https?://' }, default: [] },
        /** For fetching a log tail and for each webhook call. */
        httpTimeoutMs: { type: 'integer', minimum: 100, default: 5000 },
        /** Users (a run's author, as git or the CI message names them) and their mail addresses. */
        people: { type: 'object', additionalProperties: { type: 'string', pattern: '@' }, default: {} },
        /** An author not in `people` and without an @ gets `author@authorDomain`; null = such an author gets no mail. */
        authorDomain: { type: ['string', 'null'], pattern: '^[A-Za-z0-9.-]+$', default: null },
        /** Package or repository (`bash`, `rpms/bash`) → the addresses of its maintainers. */
        maintainers: {
          type: 'object',
          additionalProperties: { type: 'array', items: { type: 'string', pattern: '@' } },
          default: {},
        },
        rules: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: {
              name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', maxLength: 100 },
              /** Topic patterns (`*` one word, `#` any); default: the topics the mail is about. */
              topics: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
              when: {
                type: 'object',
                additionalProperties: false,
                default: {},
                properties: {
                  /** For greenwave.decision.update: which change of the decision counts (default changed). */
                  decision: { enum: ['changed', 'became-unsatisfied', 'became-satisfied'] },
                  /** For pipeline.node.*: node fields; state and result must have just become the value (a transition). */
                  node: {
                    type: 'object',
                    additionalProperties: false,
                    minProperties: 1,
                    properties: {
                      kind: { $ref: '#/definitions/oneOrMore' },
                      name: { $ref: '#/definitions/oneOrMore' },
                      job: { $ref: '#/definitions/oneOrMore' },
                      state: { $ref: '#/definitions/oneOrMore' },
                      result: { $ref: '#/definitions/oneOrMore' },
                    },
                  },
                  /** For pipeline.node.*: the run's root node has just become done. */
                  run: { enum: ['done'] },
                  /** Message fields by dotted path (`subject_type`, `data.arch`) and the value, or values, they must have. */
                  match: {
                    type: 'object',
                    additionalProperties: {
                      anyOf: [
                        { type: ['string', 'number', 'boolean', 'null'] },
                        {
                          type: 'array',
                          minItems: 1,
                          items: { type: ['string', 'number', 'boolean', 'null'] },
                        },
                      ],
                    },
                  },
                },
              },
              mail: { enum: ['job-failed', 'decision-changed', 'run-report'] },
              /** Addresses, `author` (the run's author) and `maintainers` (of the package or repo, from notify.maintainers). */
              recipients: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
              /** POST each matching message's body here, signed: X-Sluice-Signature: sha256=HMAC-SHA256(secret, body). */
              webhook: {
                type: 'object',
                additionalProperties: false,
                required: ['url', 'secret'],
                properties: {
                  url: { type: 'string', pattern: '^https?://' },
                  secret: { type: 'string', minLength: 16 },
                },
              },
              /**
               * Post what the rule's mail tells (or `about`, without mail) to a chat room through a
               * Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat). The URL is a
               * secret: it is read from urlFile at each post. format: how links are written
               * (`slack`: <url|label>; `markdown`: [label](url)).
               */
              chat: {
                type: 'object',
                additionalProperties: false,
                required: ['urlFile'],
                properties: {
                  urlFile: { type: 'string', minLength: 1 },
                  format: { enum: ['slack', 'markdown'] },
                  about: { enum: ['job-failed', 'decision-changed', 'run-report'] },
                },
              },
              debounceSeconds: { type: 'integer', minimum: 0 },
            },
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
    pipeline: pipelineSchema,
  },
  definitions: {
    oneOrMore: {
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
      ],
    },
  },
} as const;
