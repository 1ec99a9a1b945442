import type { Server as HttpServer } from 'node:http';
import { fastifyCookie } from '@fastify/cookie';
import type { LiveBus, Logger, Principal } from '@ioc/core';
import { Server as SocketServer } from 'socket.io';
import { SESSION_COOKIE } from './authentication.js';
import type { WebContext } from './context.js';
import { LiveRooms } from './live/live-rooms.js';

/**
 * socket.io for live data to walls and consoles. Every connection is authenticated (session
 * cookie or `auth: { token }`) before it joins anything; a socket then joins one room it may
 * open and gets its snapshot and throttled deltas (see LiveRooms, and ioc-web/README.md).
 */
export function startLiveChannel(
  server: HttpServer,
  ctx: WebContext,
  bus: LiveBus,
  logger: Logger,
  options: { intervalMs?: number } = {},
): { io: SocketServer; rooms: LiveRooms; close(): Promise<void> } {
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

  const rooms = new LiveRooms({ io, ctx, bus, logger, intervalMs: options.intervalMs });
  io.on('connection', (socket) => {
    const principal = socket.data.principal as Principal;
    rooms.attach(socket);
    socket.emit('hello', { user: { name: principal.name, role: principal.role } });
  });

  const unsubscribe = bus.subscribe('service.status', (event) => io.emit('service.status', event));

  return {
    io,
    rooms,
    async close() {
      unsubscribe();
      rooms.close();
      io.disconnectSockets(true);
      // Not io.close(): it also closes the HTTP server and waits for every keep-alive
      // connection; the web service closes that server itself, dropping idle connections.
      io.engine.close();
    },
  };
}

/** The caller of a socket.io handshake: `auth.token` (API token) or the session cookie. */
export async function resolvePrincipal(
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
