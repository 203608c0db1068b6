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
                items: { enum: ['results:write', 'waivers:write', 'messages:publish', 'runs:write', 'admin'] },
                default: ['results:write', 'waivers:write', 'messages:publish', 'runs:write'],
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
} as const;
