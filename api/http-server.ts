import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppContext } from './app-context.js';
import { installErrorHandler } from './error-handler.js';
import { eventStreamRoutes } from './routes/event-stream-routes.js';
import { greenwaveRoutes } from './routes/greenwave-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { messageRoutes } from './routes/message-routes.js';
import { resultsdbRoutes } from './routes/resultsdb-routes.js';
import { updatesRoutes } from './routes/updates-routes.js';
import { waiverdbRoutes } from './routes/waiverdb-routes.js';

export interface HttpServer {
  app: FastifyInstance;
  /** Ends every open event stream, so that closing the server does not wait on them. */
  endStreams(): void;
}

export function buildHttpServer(ctx: AppContext): HttpServer {
  const app: FastifyInstance = Fastify({
    loggerInstance: ctx.log.child({ part: 'http' }) as FastifyBaseLogger,
    bodyLimit: ctx.config.server.bodyLimitBytes,
    ajv: { customOptions: { allErrors: false, coerceTypes: true, useDefaults: true, removeAdditional: false } },
  });
  installErrorHandler(app);
  const streams = new Set<() => void>();
  healthRoutes(app, ctx);
  messageRoutes(app, ctx);
  eventStreamRoutes(app, ctx, streams);
  resultsdbRoutes(app, ctx);
  waiverdbRoutes(app, ctx);
  greenwaveRoutes(app, ctx);
  updatesRoutes(app, ctx);
  return {
    app,
    endStreams: () => {
      for (const close of [...streams]) close();
    },
  };
}
