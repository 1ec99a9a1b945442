import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ROLES, type Role } from '@ioc/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { requireRole } from '../authentication.js';
import type { WebContext } from '../context.js';
import { actorOf } from './auth.js';

const TokenInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.String(),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});

const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  },
  { additionalProperties: false },
);

/** API tokens for scripts and integrators (admin only). Used by the web API and the CLI channel. */
export async function tokenRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const adminOnly = requireRole('admin');

  api.get(
    '/api/v1/tokens',
    {
      preHandler: adminOnly,
      schema: {
        tags: ['tokens'],
        summary: 'List API tokens (never their secrets)',
        response: { 200: Type.Object({ tokens: Type.Array(TokenInfo) }) },
      },
    },
    async () => ({ tokens: await ctx.tokens.list() }),
  );

  api.post(
    '/api/v1/tokens',
    {
      preHandler: adminOnly,
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token; the token is shown only in this answer',
        body: CreateTokenBody,
        response: { 201: Type.Object({ token: Type.String(), info: TokenInfo }) },
      },
    },
    async (request, reply) => {
      const { name, role, expiresInDays } = request.body;
      const created = await ctx.tokens.create({
        name,
        role: role as Role,
        createdBy: actorOf(request),
        expiresAt: expiresInDays ? new Date(Date.now() + expiresInDays * 86_400_000) : undefined,
      });
      await ctx.audit.record({
        actor: actorOf(request),
        action: 'token.create',
        target: `token:${created.info.id}`,
        ip: request.ip,
        details: { name, role },
      });
      return reply.status(201).send(created);
    },
  );

  api.delete(
    '/api/v1/tokens/:id',
    {
      preHandler: adminOnly,
      schema: {
        tags: ['tokens'],
        summary: 'Revoke an API token',
        params: Type.Object({ id: Type.String({ pattern: '^[a-z0-9]{12}$' }) }),
        response: { 200: Type.Object({ info: TokenInfo }) },
      },
    },
    async (request) => {
      const info = await ctx.tokens.revoke(request.params.id);
      await ctx.audit.record({
        actor: actorOf(request),
        action: 'token.revoke',
        target: `token:${info.id}`,
        ip: request.ip,
      });
      return { info };
    },
  );
}
