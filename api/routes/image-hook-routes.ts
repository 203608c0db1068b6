import type { FastifyInstance } from 'fastify';
import { ProcessedMessages } from '../../db/processed-messages.js';
import { startImageRuns } from '../../dispatch/image-runs.js';
import {
  pushesInRegistryEnvelope,
  REGISTRY_NOTIFICATION,
  type RegistryEnvelope,
} from '../../pipeline/image-push.js';
import type { AppContext } from '../app-context.js';
import { doc } from '../route-doc.js';

/**
 * A container registry's notification endpoint (CNCF Distribution's `notifications.endpoints`,
 * with `headers: {Authorization: [Bearer <a Sluice token with runs:write>]}`): each manifest push
 * in the envelope starts an image run, once per event id. Answered 202 with the runs started; a
 * body that is not an envelope is 400 naming the field, so the registry's retries stop at once.
 */
export function imageHookRoutes(app: FastifyInstance, ctx: AppContext): void {
  const ledger = new ProcessedMessages(ctx.db);
  app.post(
    '/api/v1/hooks/registry',
    {
      preHandler: ctx.auth.require('runs:write'),
      ...doc('A container registry notification: each manifest push starts an image run', 'pipeline'),
    },
    async (req, reply) => {
      ctx.registry.validate(REGISTRY_NOTIFICATION.name, req.body);
      const pushes = pushesInRegistryEnvelope(req.body as RegistryEnvelope);
      const runs = ctx.pipeline.transact(() => startImageRuns(ctx.pipeline.engine, ledger, pushes));
      req.log.info({ pushes: pushes.length, runs }, 'registry notification');
      return reply.code(202).send({ pushes: pushes.length, runs });
    },
  );
}
