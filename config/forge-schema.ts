/**
 * `forges`: one entry per forge (or per instance of one) whose webhooks start runs and to which
 * runs report commit statuses. Secrets and tokens are read from files, never written here.
 */
export const forgesSchema = {
  type: 'array',
  default: [],
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'type', 'secretFile'],
    properties: {
      name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64 },
      type: { enum: ['github', 'gitlab', 'forgejo', 'gitea'] },
      apiUrl: { type: ['string', 'null'], pattern: '^https?://', default: null },
      secretFile: { type: 'string', minLength: 1 },
      tokenFile: { type: ['string', 'null'], minLength: 1, default: null },
      statuses: { type: 'boolean', default: true },
      context: { type: 'string', minLength: 1, maxLength: 100, default: 'sluice' },
      timeoutMs: { type: 'integer', minimum: 100, default: 10000 },
      retry: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          delayMs: { type: 'integer', minimum: 1, default: 1000 },
          maxDelayMs: { type: 'integer', minimum: 1, default: 300000 },
          maxAttempts: { type: 'integer', minimum: 1, default: 20 },
        },
      },
    },
  },
} as const;
