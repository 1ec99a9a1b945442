import { ApiError, type Principal, type Role } from '@ioc/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type CallerAccess, resolveCallerAccess } from './access/caller-access.js';
import type { WebContext } from './context.js';

export const SESSION_COOKIE = 'ioc_session';

/**
 * Authenticates every request except routes marked `config: { public: true }`: a bearer API
 * token (scripts, integrators) or the session cookie (browsers). Anything else gets 401.
 */
export function installAuthentication(app: FastifyInstance, ctx: WebContext): void {
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.public) return;
    if (!request.routeOptions.url) return; // 404s answer without revealing what exists
    request.principal = await authenticate(request, ctx);
    request.access = await resolveCallerAccess(request.principal, ctx.units, ctx.rooms);
  });
}

/** The caller's scopes; every route that returns data filters through them. */
export function accessOf(request: FastifyRequest): CallerAccess {
  if (!request.access) throw new ApiError(401, 'UNAUTHENTICATED', 'sign in first');
  return request.access;
}

export async function authenticate(request: FastifyRequest, ctx: WebContext): Promise<Principal> {
  const header = request.headers.authorization;
  if (header) {
    const [scheme, token] = header.split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      throw new ApiError(401, 'UNAUTHENTICATED', 'use "Authorization: Bearer <API token>"');
    }
    const principal = await ctx.tokens.resolve(token);
    if (!principal) {
      throw new ApiError(401, 'INVALID_TOKEN', 'the API token is unknown, revoked or expired');
    }
    return principal;
  }
  const cookie = request.cookies[SESSION_COOKIE];
  if (cookie) {
    const principal = await ctx.sessions.resolve(cookie);
    if (!principal) {
      throw new ApiError(401, 'SESSION_EXPIRED', 'your session has ended; sign in again');
    }
    assertSameOrigin(request);
    return principal;
  }
  throw new ApiError(
    401,
    'UNAUTHENTICATED',
    'sign in (POST /api/v1/auth/login) or send "Authorization: Bearer <API token>"',
  );
}

/**
 * Cookies ride along on cross-site requests; a state-changing request authenticated by cookie
 * must come from our own pages. (SameSite=Strict already blocks most; this closes the rest.)
 */
function assertSameOrigin(request: FastifyRequest): void {
  if (request.method === 'GET' || request.method === 'HEAD') return;
  const origin = request.headers.origin;
  if (origin && new URL(origin).host !== request.headers.host) {
    throw new ApiError(403, 'CROSS_SITE_REQUEST', 'cross-site requests are not allowed');
  }
}

/** Route guard: the caller must hold one of the roles. */
export function requireRole(...roles: Role[]) {
  return async (request: FastifyRequest) => {
    const principal = request.principal;
    if (!principal) throw new ApiError(401, 'UNAUTHENTICATED', 'sign in first');
    if (!roles.includes(principal.role)) {
      throw new ApiError(
        403,
        'FORBIDDEN',
        `this action needs the role ${roles.join(' or ')}; you are ${principal.role}`,
      );
    }
  };
}
