import type { FastifyInstance } from 'fastify';
import { authenticate } from '../authentication.js';
import type { WebContext } from '../context.js';

/**
 * `/healthz`: each component up or down with a reason; 200 when all are up, 503 otherwise,
 * so load balancers and the kiosk watchdog can use it unauthenticated. It carries no secrets.
 */
export async function healthRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  app.get(
    '/healthz',
    {
      config: { public: true },
      logLevel: 'warn',
      schema: { tags: ['operations'], summary: 'Health of every component' },
    },
    async (_request, reply) => {
      const report = await ctx.health.report();
      return reply.status(report.status === 'up' ? 200 : 503).send(report);
    },
  );
}

/**
 * `/metrics` in Prometheus text format. Open to loopback scrapers (Prometheus beside the
 * server); from elsewhere it needs credentials like the API.
 */
export async function metricsRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  app.get(
    '/metrics',
    {
      config: { public: true },
      logLevel: 'warn',
      schema: { tags: ['operations'], summary: 'Prometheus metrics' },
      onRequest: async (request) => {
        if (!isLoopback(request.socket.remoteAddress)) {
          request.principal = await authenticate(request, ctx);
        }
      },
    },
    async (_request, reply) => {
      reply.header('content-type', ctx.metrics.contentType);
      return ctx.metrics.metrics();
    },
  );
}

function isLoopback(address: string | undefined): boolean {
  return (
    !!address && (address.startsWith('127.') || address === '::1' || address === '::ffff:127.0.0.1')
  );
}
