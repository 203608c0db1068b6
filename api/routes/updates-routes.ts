import type { FastifyInstance } from 'fastify';
import { parseUpdateInput } from '../../updates/update-input.js';
import { UPDATES_PREFIX } from '../../updates/update-json.js';
import type { AppContext } from '../app-context.js';
import { doc } from '../route-doc.js';

/** What these routes use of the service: nothing else reaches them. */
export type UpdatesRouteDeps = Pick<AppContext, 'auth' | 'gating' | 'relay'>;

/**
 * Updates, the gating a release tool acts on: POST files one (a token with updates:write; the
 * answer is the update with its decision and first status), GET reads one as of now. Refusals
 * are `{"message": "field: reason"}` (400), 404 for an unknown id, 409 for an alias in use.
 */
export function updatesRoutes(app: FastifyInstance, ctx: UpdatesRouteDeps): void {
  const { updates } = ctx.gating;
  app.post(
    UPDATES_PREFIX,
    {
      preHandler: ctx.auth.require('updates:write'),
      ...doc('File an update (builds for a product version) and get its gating status', 'gating'),
    },
    async (req, reply) => {
      const created = await updates.create(parseUpdateInput(req.body), req.caller!.user);
      ctx.relay.kick();
      return reply.code(201).header('location', created.href).send(created);
    },
  );

  app.get<{ Params: { id: string } }>(
    `${UPDATES_PREFIX}/:id`,
    doc('An update with its decision contexts, decision and gating status', 'gating'),
    async (req, reply) => {
      const update = await updates.read(req.params.id);
      if (!update) return reply.code(404).send({ message: `no update ${req.params.id}` });
      ctx.relay.kick();
      return update;
    },
  );
}
