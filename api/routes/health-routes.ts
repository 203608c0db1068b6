import type { FastifyInstance } from 'fastify';
import { redactSecrets } from '../../observability/redact-secrets.js';
import type { AppContext } from '../app-context.js';
import { PUBLIC } from '../route-access.js';

/** What these routes use of the service: nothing else reaches them. */
export type HealthRouteDeps = Pick<AppContext, 'health'>;

export function healthRoutes(app: FastifyInstance, ctx: HealthRouteDeps): void {
  app.get(
    '/healthz',
    { config: PUBLIC, schema: { summary: 'The process is up (liveness)', tags: ['operations'] } },
    async () => ({ status: 'ok' }),
  );
  // Greenwave's (and WaiverDB's) liveness path and answer, for probes set up for them.
  app.get(
    '/healthcheck',
    {
      config: PUBLIC,
      schema: { summary: 'The process is up (liveness), as Greenwave answers it', tags: ['operations'] },
    },
    async (_req, reply) => reply.type('text/plain; charset=utf-8').send('Health check OK'),
  );

  /**
   * Every registered dependency (store, bus, and whatever later parts register: SMTP, builders)
   * with its state; 503 while a critical one is down. Details are cleaned of credentials.
   */
  app.get(
    '/readyz',
    {
      config: PUBLIC,
      schema: {
        summary: 'Each dependency and its state (readiness); 503 when one is down',
        tags: ['operations'],
      },
    },
    async (_req, reply) => {
      const { ready, checks } = await ctx.health.run();
      return reply
        .code(ready ? 200 : 503)
        .send(redactSecrets({ status: ready ? 'ready' : 'not ready', checks }));
    },
  );
}
