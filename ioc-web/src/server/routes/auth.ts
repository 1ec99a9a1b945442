import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@ioc/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { refuseCrossSiteRequest, SESSION_COOKIE } from '../authentication.js';
import type { WebContext } from '../context.js';
import { oidcRoutes } from '../oidc/oidc-routes.js';
import { startSession } from './session-cookie.js';

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

/**
 * Sign-in for browsers: with a password, or through the SSO (OpenID Connect) when configured;
 * either way a session in an HttpOnly, SameSite=Strict cookie.
 */
export async function authRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/api/v1/auth/methods',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'How one can sign in here: password, and the SSO when configured',
        response: {
          200: Type.Object({
            password: Type.Boolean(),
            oidc: Type.Union([Type.Object({ loginUrl: Type.String() }), Type.Null()]),
          }),
        },
      },
    },
    async () => ({
      password: true,
      oidc: ctx.oidc ? { loginUrl: '/api/v1/auth/oidc/login' } : null,
    }),
  );
  await app.register(oidcRoutes, ctx);

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
      // Public, so the authentication hook's check does not run: a page on another site must
      // not sign this browser in to an account of its choosing (login CSRF).
      refuseCrossSiteRequest(request);
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
            details: { method: 'password', reason: err.code },
          });
        }
        throw err;
      }
      await startSession(request, reply, ctx, user.id);
      await ctx.audit.record({
        actor: `user:${user.username}`,
        action: 'auth.login',
        ip: request.ip,
        details: { method: 'password' },
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

export function actorOf(request: FastifyRequest): string {
  const p = request.principal;
  if (!p) return 'anonymous';
  return p.kind === 'user' ? `user:${p.name}` : p.name;
}
