import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { requireRole } from '../authentication.js';
import type { WebContext } from '../context.js';

/** The audit log, newest first (admin only). */
export async function auditRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/api/v1/audit',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['audit'],
        summary: 'Recent audit entries',
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
      },
    },
    async (request) => ({ entries: await ctx.audit.recent(request.query.limit) }),
  );
}
