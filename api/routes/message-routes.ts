import type { FastifyInstance } from 'fastify';
import { HEADERS } from '../../bus/bus.js';
import type { AppContext } from '../app-context.js';

interface PublishBody {
  topic: string;
  body: unknown;
}

/** What these routes use of the service: nothing else reaches them. */
export type MessageRouteDeps = Pick<AppContext, 'auth' | 'bus' | 'eventLog' | 'feed' | 'registry'>;

export function messageRoutes(app: FastifyInstance, ctx: MessageRouteDeps): void {
  app.post<{ Body: PublishBody }>(
    '/api/v1/messages',
    {
      preHandler: ctx.auth.require('messages:publish'),
      schema: {
        summary: "Publish a message on the bus (validated against its topic's schema)",
        tags: ['messages'],
        body: {
          type: 'object',
          required: ['topic', 'body'],
          additionalProperties: false,
          properties: { topic: { type: 'string', minLength: 1, maxLength: 255 }, body: {} },
        },
      },
    },
    async (req, reply) => {
      // The request id travels with the message, so the consumers' log lines name the request.
      const receipt = await ctx.bus.publish(req.body.topic, req.body.body, {
        headers: { [HEADERS.requestId]: req.id },
      });
      req.log.info({ messageId: receipt.messageId, topic: receipt.topic }, 'message published');
      // Confirmed by the bus: now it is one of the messages Sluice published, for event streams.
      if (
        ctx.eventLog.append({
          messageId: receipt.messageId,
          topic: receipt.topic,
          headers: { [HEADERS.schema]: receipt.schemaId },
          body: req.body.body,
        }) > 0
      ) {
        ctx.feed.emit('appended');
      }
      return reply.code(202).send({
        message_id: receipt.messageId,
        topic: receipt.topic,
        routing_key: receipt.routingKey,
        schema: receipt.schemaId,
      });
    },
  );

  app.get(
    '/api/v1/topics',
    { schema: { summary: 'Topic patterns with a message schema', tags: ['messages'] } },
    async () => ({ data: ctx.registry.topics() }),
  );

  app.get<{ Querystring: { limit?: number } }>(
    '/api/v1/dlq',
    {
      schema: {
        summary: 'Dead letters with the reason each was refused',
        tags: ['messages'],
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 } },
        },
      },
    },
    async (req) => ({ data: await ctx.bus.listDeadLetters(req.query.limit) }),
  );

  app.post<{ Body: { ids?: string[] } | undefined }>(
    '/api/v1/dlq/replay',
    {
      preHandler: ctx.auth.require('admin'),
      schema: {
        summary: 'Put dead letters back on their queues (all, or those named by id or message id)',
        tags: ['messages'],
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { ids: { type: 'array', items: { type: 'string', minLength: 1 } } },
        },
      },
    },
    // { replayed, notReplayed: [{ id, messageId, queue, topic, reason }] }: letters left where they were are named.
    async (req) => await ctx.bus.replayDeadLetters({ ids: req.body?.ids ?? [] }),
  );
}
