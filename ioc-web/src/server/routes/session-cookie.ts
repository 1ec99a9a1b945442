import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from '../authentication.js';
import type { WebContext } from '../context.js';

/**
 * Opens a browser session for a signed-in user, however they signed in (password or SSO):
 * a random id in an HttpOnly, SameSite=Strict cookie (Secure over HTTPS).
 */
export async function startSession(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: WebContext,
  userId: string,
): Promise<void> {
  const session = await ctx.sessions.create(userId, {
    ip: request.ip,
    userAgent: request.headers['user-agent'],
  });
  reply.setCookie(SESSION_COOKIE, session, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
    maxAge: Math.round(ctx.sessionTtlHours * 3600),
  });
}
