import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@ioc/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from '../authentication.js';
import type { WebContext } from '../context.js';

const UserView = Type.Object({
  username: Type.String(),
  displayName: Type.Union([Type.String(), Type.Null()]),
  role: Type.String(),
});

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);

/** Sign-in for browsers: a session in an HttpOnly, SameSite=Strict cookie. */
export async function authRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    '/api/v1/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with username and password; sets the session cookie',
        body: LoginBody,
        response: { 200: Type.Object({ user: UserView }) },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      let user: Awaited<ReturnType<typeof ctx.accounts.verifyLogin>>;
      try {
        user = await ctx.accounts.verifyLogin(username, password);
      } catch (err) {
        if (err instanceof ApiError) {
          await ctx.audit.record({
            actor: `user:${username.normalize('NFC')}`,
            action: 'auth.login',
            ip: request.ip,
            outcome: 'denied',
            details: { reason: err.code },
          });
        }
        throw err;
      }
      const session = await ctx.sessions.create(user.id, {
        ip: request.ip,
        userAgent: request.headers['user-agent'],
      });
      setSessionCookie(request, reply, session, ctx.sessionTtlHours);
      await ctx.audit.record({
        actor: `user:${user.username}`,
        action: 'auth.login',
        ip: request.ip,
      });
      return { user: { username: user.username, displayName: user.displayName, role: user.role } };
    },
  );

  api.post(
    '/api/v1/auth/logout',
    { schema: { tags: ['auth'], summary: 'End the browser session' } },
    async (request, reply) => {
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie) await ctx.sessions.destroy(cookie);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      await ctx.audit.record({ actor: actorOf(request), action: 'auth.logout', ip: request.ip });
      return reply.status(204).send();
    },
  );

  api.get(
    '/api/v1/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'Who am I: the signed-in user or the API token',
        response: {
          200: Type.Object({
            user: Type.Composite([UserView, Type.Object({ kind: Type.String() })]),
          }),
        },
      },
    },
    async (request) => {
      const principal = request.principal as NonNullable<typeof request.principal>;
      const account =
        principal.kind === 'user' ? await ctx.accounts.findById(principal.id) : undefined;
      return {
        user: {
          kind: principal.kind,
          username: account?.username ?? principal.name,
          displayName: account?.displayName ?? null,
          role: principal.role,
        },
      };
    },
  );
}

function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  value: string,
  ttlHours: number,
): void {
  reply.setCookie(SESSION_COOKIE, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
    maxAge: Math.round(ttlHours * 3600),
  });
}

export function actorOf(request: FastifyRequest): string {
  const p = request.principal;
  if (!p) return 'anonymous';
  return p.kind === 'user' ? `user:${p.name}` : p.name;
}
