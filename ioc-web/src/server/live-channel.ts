import type { Server as HttpServer } from 'node:http';
import { fastifyCookie } from '@fastify/cookie';
import type { LiveBus, Logger, Principal } from '@ioc/core';
import { Server as SocketServer } from 'socket.io';
import { SESSION_COOKIE } from './authentication.js';
import type { WebContext } from './context.js';

/**
 * socket.io for live data to walls and consoles. Every connection is authenticated (session
 * cookie or `auth: { token }`) before it joins anything. Per-room deltas arrive with the wall.
 */
export function startLiveChannel(
  server: HttpServer,
  ctx: WebContext,
  bus: LiveBus,
  logger: Logger,
): { io: SocketServer; close(): Promise<void> } {
  const io = new SocketServer(server, {
    serveClient: false,
    // Leave other upgrade paths (MQTT over WebSocket at /mqtt) to their own handlers.
    destroyUpgrade: false,
    maxHttpBufferSize: 64 * 1024,
  });

  io.use(async (socket, next) => {
    try {
      const principal = await resolvePrincipal(socket.handshake, ctx);
      if (!principal) {
        logger.info({ ip: socket.handshake.address }, 'live channel refused: no credentials');
        return next(
          Object.assign(new Error('UNAUTHENTICATED'), {
            data: { code: 'UNAUTHENTICATED', message: 'sign in first' },
          }),
        );
      }
      socket.data.principal = principal;
      next();
    } catch (err) {
      next(err as Error);
    }
  });

  io.on('connection', (socket) => {
    const principal = socket.data.principal as Principal;
    socket.emit('hello', { user: { name: principal.name, role: principal.role } });
  });

  const unsubscribe = bus.subscribe('service.status', (event) => io.emit('service.status', event));

  return {
    io,
    async close() {
      unsubscribe();
      io.disconnectSockets(true);
      // Not io.close(): it also closes the HTTP server and waits for every keep-alive
      // connection; the web service closes that server itself, dropping idle connections.
      io.engine.close();
    },
  };
}

async function resolvePrincipal(
  handshake: {
    headers: Record<string, string | string[] | undefined>;
    auth: Record<string, unknown>;
  },
  ctx: WebContext,
): Promise<Principal | undefined> {
  const token = handshake.auth.token;
  if (typeof token === 'string') return ctx.tokens.resolve(token);
  const header = handshake.headers.cookie;
  const cookie =
    typeof header === 'string' ? fastifyCookie.parse(header)[SESSION_COOKIE] : undefined;
  return cookie ? ctx.sessions.resolve(cookie) : undefined;
}
