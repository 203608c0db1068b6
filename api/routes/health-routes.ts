import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';

export function healthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    let store: { ok: boolean; detail: string };
    try {
      ctx.db.prepare('SELECT 1').get();
      store = { ok: true, detail: ctx.config.db.path };
    } catch (err) {
      store = { ok: false, detail: (err as Error).message };
    }
    const bus = ctx.bus.health();
    const checks = { store, bus: { kind: ctx.bus.kind, ...bus } };
    const ready = store.ok && bus.ok;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
}
