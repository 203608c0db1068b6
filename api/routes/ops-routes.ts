import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';

/** What these routes use of the service: nothing else reaches them. */
export type OpsRouteDeps = Pick<AppContext, 'metrics'>;

/** What operators and tools read: Prometheus metrics and the OpenAPI description. */
export function opsRoutes(app: FastifyInstance, ctx: OpsRouteDeps): void {
  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics of this process', tags: ['operations'] } },
    async (_req, reply) => {
      return reply.header('content-type', ctx.metrics.contentType).send(await ctx.metrics.text());
    },
  );

  app.get(
    '/api/openapi.json',
    { schema: { summary: 'This API described in OpenAPI 3', tags: ['operations'] } },
    async () => app.swagger(),
  );
}
