import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { type Logger, type Principal, StartupError } from '@ioc/core';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { WebContext } from './context.js';
import { installErrorHandling } from './errors.js';
import { deviceRoutes } from './routes/devices.js';
import { tokenRoutes } from './routes/tokens.js';

/**
 * The CLI's way into a running server: the same admin routes as the API, on a Unix socket
 * that only the owner of the data directory can open (directory 0700, socket 0600). Whoever
 * can open it already owns the database files, so it acts as a local administrator.
 */
export async function startLocalAdminChannel(
  socketPath: string,
  ctx: WebContext,
  logger: Logger,
): Promise<FastifyInstance> {
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
  chmodSync(dirname(socketPath), 0o700);
  if (existsSync(socketPath)) {
    if (await answers(socketPath)) {
      throw new StartupError(
        `another IOC server already answers on ${socketPath}; stop it first`,
        'ALREADY_RUNNING',
      );
    }
    unlinkSync(socketPath); // left behind by a server that was killed
  }

  const user = userInfo();
  const principal: Principal = {
    kind: 'local',
    id: `local:${user.uid}`,
    name: `cli:${user.username}`,
    role: 'admin',
  };
  const app = Fastify({
    loggerInstance: logger.child({ component: 'cli-channel' }),
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance;
  installErrorHandling(app);
  app.addHook('onRequest', async (request) => {
    request.principal = principal;
  });
  app.get('/status', async () => ({ status: 'running', pid: process.pid }));
  await app.register(tokenRoutes, ctx);
  await app.register(deviceRoutes, ctx);
  await app.listen({ path: socketPath });
  chmodSync(socketPath, 0o600);
  return app;
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
