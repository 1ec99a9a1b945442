import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@ioc/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebContext } from '../context.js';
import { startSession } from '../routes/session-cookie.js';
import type { OidcSignIn } from './oidc-sign-in.js';
import { signInRefusedPage } from './sign-in-refused-page.js';

/** Ties the SSO's callback to the browser that started the sign-in (holds a random id only). */
export const OIDC_PENDING_COOKIE = 'ioc_oidc';
const COOKIE_PATH = '/api/v1/auth/oidc';

/**
 * `GET /api/v1/auth/oidc/login` sends the browser to the SSO; `GET .../callback` finishes
 * the sign-in there, maps the claims to a role, records the account (marked external, no
 * password) and opens the same session as a password sign-in. Both are public: the
 * browser has no session yet.
 */
export async function oidcRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/api/v1/auth/oidc/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with the SSO (OpenID Connect): redirects to the identity provider',
        querystring: Type.Object({
          returnTo: Type.Optional(
            Type.String({ maxLength: 2048, description: 'App path to land on afterwards.' }),
          ),
        }),
      },
    },
    async (request, reply) => {
      const oidc = configured(ctx);
      const { authorizationUrl, pendingId } = await oidc.begin({
        requestOrigin: `${request.protocol}://${request.host}`,
        returnTo: localPath(request.query.returnTo),
      });
      reply.setCookie(OIDC_PENDING_COOKIE, pendingId, {
        path: COOKIE_PATH,
        httpOnly: true,
        // Lax, not Strict: the callback is a top-level navigation coming from the SSO's site.
        sameSite: 'lax',
        secure: request.protocol === 'https',
        maxAge: Math.round(oidc.pending.ttlMs / 1000),
      });
      return reply.redirect(authorizationUrl.href, 302);
    },
  );

  api.get(
    '/api/v1/auth/oidc/callback',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Where the SSO sends the browser back; sets the session cookie',
      },
    },
    async (request, reply) => {
      const oidc = configured(ctx);
      const pendingId = request.cookies[OIDC_PENDING_COOKIE];
      reply.clearCookie(OIDC_PENDING_COOKIE, { path: COOKIE_PATH });
      let username: string | undefined;
      try {
        const pending = pendingId ? oidc.pending.take(pendingId) : undefined;
        if (!pending) {
          throw new ApiError(
            400,
            'OIDC_SIGN_IN_EXPIRED',
            'no sign-in in progress for this browser (expired, already used, or started elsewhere)',
          );
        }
        const identity = await oidc.complete(pending, request.url.split('?')[1] ?? '');
        username = identity.username;
        const account = await ctx.accounts.upsertExternal({ issuer: oidc.issuer, ...identity });
        if (account.disabled) {
          throw new ApiError(
            403,
            'ACCOUNT_DISABLED',
            `the IOC account "${account.username}" is disabled`,
          );
        }
        await startSession(request, reply, ctx, account.id);
        await ctx.audit.record({
          actor: `user:${account.username}`,
          action: 'auth.login',
          ip: request.ip,
          details: {
            method: 'oidc',
            role: account.role,
            roleClaimValues: identity.roleClaimValues,
          },
        });
        return reply.redirect(pending.returnTo, 303);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        return refuse(request, reply, ctx, err, username);
      }
    },
  );
}

async function refuse(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: WebContext,
  error: ApiError,
  username?: string,
): Promise<FastifyReply> {
  const claimed = (error.details as { username?: string } | undefined)?.username ?? username;
  request.log.info({ code: error.code, username: claimed }, error.message);
  await ctx.audit.record({
    actor: claimed ? `user:${claimed}` : 'anonymous',
    action: 'auth.login',
    ip: request.ip,
    outcome: 'denied',
    details: { method: 'oidc', reason: error.code, message: error.message },
  });
  return reply
    .status(error.statusCode)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(signInRefusedPage(error));
}

function configured(ctx: WebContext): OidcSignIn {
  if (!ctx.oidc) {
    throw new ApiError(
      404,
      'OIDC_NOT_CONFIGURED',
      'sign-in with the SSO is not configured (auth.oidc)',
    );
  }
  return ctx.oidc;
}

/** Only a path on this server: anything else (other hosts, "//evil", "\\evil") lands on "/". */
function localPath(returnTo: string | undefined): string {
  if (!returnTo || !/^\/(?![/\\])[^\\\s]*$/.test(returnTo)) return '/';
  return returnTo;
}
