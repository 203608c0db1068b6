import type { FastifyInstance } from 'fastify';
import { isValidTopicPattern } from '../../schemas/topic-pattern.js';
import { QUERY_LIMITS } from '../../results/parse-results-query.js';
import type { AppContext } from '../app-context.js';
import type { StreamSlots } from '../stream-slots.js';

const POLL_MS = 250;
const KEEPALIVE_MS = 15_000;

/** What these routes use of the service: nothing else reaches them. */
export type EventStreamRouteDeps = Pick<AppContext, 'eventLog' | 'feed' | 'metrics'>;

/**
 * Server-sent events from the event log: each event's id is its place in the log, so a client
 * that reconnects with `Last-Event-ID` gets what it missed. Readers in this process are woken at
 * once; the poll covers events logged by other processes.
 */
export function eventStreamRoutes(
  app: FastifyInstance,
  ctx: EventStreamRouteDeps,
  streams: StreamSlots,
): void {
  app.get<{ Querystring: { topic?: string | string[]; last_event_id?: string } }>(
    '/api/v1/events',
    {
      config: { stream: true },
      schema: {
        summary:
          'Server-sent events: messages Sluice published (and recorded ones), resumable with Last-Event-ID',
        tags: ['messages'],
        querystring: {
          type: 'object',
          properties: {
            topic: {
              anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
              description: 'Topic patterns, comma separated or repeated (default #)',
            },
            last_event_id: {
              type: 'string',
              description: 'Resume after this event id (as the Last-Event-ID header)',
            },
          },
        },
      },
    },
    async (req, reply) => {
      const raw =
        req.query.topic === undefined
          ? []
          : Array.isArray(req.query.topic)
            ? req.query.topic
            : [req.query.topic];
      const patterns = raw
        .flatMap((t) => t.split(','))
        .map((t) => t.trim())
        .filter(Boolean);
      // Every pattern is tried on every event of every poll: bounded like the results filters' patterns.
      if (patterns.length > QUERY_LIMITS.patterns)
        return reply
          .code(400)
          .send({ message: `topic: more than ${QUERY_LIMITS.patterns} patterns (the limit)` });
      const bad = patterns.find((p) => !isValidTopicPattern(p));
      if (bad !== undefined)
        return reply
          .code(400)
          .send({ message: `topic: "${bad}" is not a topic pattern (dot-separated words, "*" or "#")` });
      const resumeFrom = req.headers['last-event-id'] ?? req.query.last_event_id;
      if (resumeFrom !== undefined && !/^\d+$/.test(String(resumeFrom))) {
        return reply
          .code(400)
          .send({ message: 'Last-Event-ID: must be the numeric id of an event this stream sent' });
      }
      let closed = false;
      const release = streams.take(() => close());
      if (!release) return streams.refuse(reply);
      let cursor = resumeFrom !== undefined ? Number(resumeFrom) : ctx.eventLog.lastId();

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: 2000\n: streaming ${patterns.join(',') || '#'} after event ${cursor}\n\n`);

      let busy = false;
      let pending = false;
      const flush = async () => {
        if (closed) return;
        if (busy) {
          pending = true;
          return;
        }
        busy = true;
        try {
          for (;;) {
            const { events, scannedTo } = ctx.eventLog.after(cursor, patterns);
            for (const e of events) {
              const data = JSON.stringify({
                id: e.messageId,
                topic: e.topic,
                headers: e.headers,
                body: e.body,
              });
              if (!res.write(`id: ${e.id}\nevent: ${e.topic}\ndata: ${data}\n\n`))
                await new Promise((r) => res.once('drain', r));
              if (closed) return;
            }
            if (scannedTo === cursor) break;
            cursor = scannedTo;
          }
        } finally {
          busy = false;
          if (pending && !closed) {
            pending = false;
            void flush();
          }
        }
      };
      const onAppended = () => void flush();
      ctx.feed.on('appended', onAppended);
      const poll = setInterval(() => void flush(), POLL_MS);
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
      function close(): void {
        if (closed) return;
        closed = true;
        clearInterval(poll);
        clearInterval(keepalive);
        ctx.feed.off('appended', onAppended);
        release!();
        ctx.metrics.eventStreams.dec();
        res.end();
      }
      ctx.metrics.eventStreams.inc();
      req.raw.on('close', close);
      void flush();
    },
  );
}
