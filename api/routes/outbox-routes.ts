import type { FastifyInstance } from 'fastify';
import { parseOutboxQuery } from '../../notify/parse-outbox-query.js';
import type { AppContext } from '../app-context.js';
import { doc } from '../route-doc.js';

/** What these routes use of the service: nothing else reaches them. */
export type OutboxRouteDeps = Pick<AppContext, 'auth' | 'mailOutbox' | 'notifications' | 'serverUrl'>;

/**
 * The notification outbox over HTTP: every mail and webhook call with its state, attempts and
 * last error (newest first, `before` pages on), counts by state, and a way to put a failed one
 * back in line once its cause is fixed.
 */
export function outboxRoutes(app: FastifyInstance, ctx: OutboxRouteDeps): void {
  app.get(
    '/api/v1/outbox',
    doc(
      'Mails and webhook calls in the notification outbox; filters: state, kind, rule, page, limit',
      'notifications',
    ),
    async (req) => {
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
      const params = new URLSearchParams(query);
      const filter = parseOutboxQuery([...params]);
      const data = ctx.mailOutbox.list(filter);
      let next: string | null = null;
      if (data.length === filter.limit) {
        params.set('before', String(data[data.length - 1]!.id));
        next = `${ctx.serverUrl()}/api/v1/outbox?${params}`;
      }
      return { data, counts: ctx.mailOutbox.counts(), next };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/outbox/:id',
    doc('One mail or webhook call, with its attempts and last error', 'notifications'),
    async (req, reply) => {
      const entry = /^\d{1,15}$/.test(req.params.id) ? ctx.mailOutbox.get(Number(req.params.id)) : undefined;
      return entry ?? reply.code(404).send({ message: `no notification ${req.params.id} in the outbox` });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/outbox/:id/retry',
    {
      preHandler: ctx.auth.require('admin'),
      ...doc('Send a failed mail or webhook call again', 'notifications'),
    },
    async (req, reply) => {
      const id = /^\d{1,15}$/.test(req.params.id) ? Number(req.params.id) : NaN;
      const entry = Number.isNaN(id) ? undefined : ctx.mailOutbox.get(id);
      if (!entry) return reply.code(404).send({ message: `no notification ${req.params.id} in the outbox` });
      if (!ctx.mailOutbox.requeueFailed(id))
        return reply
          .code(409)
          .send({ message: `notification ${id} is ${entry.state}: only a failed one can be sent again` });
      ctx.notifications.kick();
      return ctx.mailOutbox.get(id);
    },
  );
}
