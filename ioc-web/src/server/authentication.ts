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
    refuseCrossSiteRequest(request);
    return principal;
  }
  throw new ApiError(
    401,
    'UNAUTHENTICATED',
    'sign in (POST /api/v1/auth/login) or send "Authorization: Bearer <API token>"',
  );
}

/**
 * CSRF defence for cookie-authenticated requests (bearer tokens are not sent by browsers on
 * their own, so they need none). Safe methods (GET, HEAD, OPTIONS) change nothing and pass.
 * A state-changing request must come from the IOC's own pages: browsers say where a request
 * comes from in Sec-Fetch-Site (Fetch Metadata; only "same-origin" and "none", a
 * user-initiated request, pass; "same-site" is refused too, since a sibling subdomain could
 * be someone else's). Browsers without it are judged by Origin, which must name this host.
 * Requests with neither header come from non-browser clients, which hold no victim's cookie.
 * SameSite=Strict on the session cookie is a second layer. See ioc-web/README.md, "CSRF".
 */
export function refuseCrossSiteRequest(request: FastifyRequest): void {
  if (SAFE_METHODS.has(request.method)) return;
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') {
    if (site === 'same-origin' || site === 'none') return;
    throw crossSite(`Sec-Fetch-Site: ${site}`);
  }
  const origin = request.headers.origin;
  if (origin === undefined) return;
  if (hostOf(origin) !== request.headers.host) throw crossSite(`Origin: ${origin}`);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function crossSite(evidence: string): ApiError {
  return new ApiError(
    403,
    'CROSS_SITE_REQUEST',
    `refused a cross-site request (${evidence}): with the session cookie, changes must come from the IOC's own pages; scripts and integrations use "Authorization: Bearer <API token>"`,
  );
}

/** The host[:port] of an Origin header; undefined for "null" (sandboxed frames) or garbage. */
function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
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
