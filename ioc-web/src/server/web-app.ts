import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Logger } from '@ioc/core';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { installAuthentication } from './authentication.js';
import type { WebContext } from './context.js';
import { installErrorHandling } from './errors.js';
import { alertRoutes } from './routes/alerts.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { conferenceRoutes } from './routes/conferences.js';
import { deviceRoutes } from './routes/devices.js';
import { healthRoutes, metricsRoutes } from './routes/health.js';
import { kpiRoutes } from './routes/kpi.js';
import { notificationRoutes } from './routes/notifications.js';
import { opcuaRoutes } from './routes/opcua.js';
import { roomRoutes } from './routes/rooms.js';
import { ruleRoutes } from './routes/rules.js';
import { telemetryRoutes } from './routes/telemetry.js';
import { tokenRoutes } from './routes/tokens.js';
import { unitRoutes } from './routes/units.js';
import { userRoutes } from './routes/users.js';

export interface WebAppOptions {
  logger: Logger;
  /** Built React app (index.html + assets); served with SPA fallback when present. */
  appDir?: string;
  https?: { cert: Buffer; key: string | Buffer };
  version: string;
}

/** Builds the Fastify application: REST API under /api/v1, docs, health, metrics and the app. */
export async function buildWebApp(
  ctx: WebContext,
  options: WebAppOptions,
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    https: options.https ?? null,
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    // One debug line per request comes from the onResponse hook below instead.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
  }) as unknown as FastifyInstance;

  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode >= 400 || !request.url.startsWith('/healthz')) {
      request.log.debug(
        {
          method: request.method,
          url: request.url,
          status: reply.statusCode,
          ms: reply.elapsedTime,
        },
        'request',
      );
    }
  });

  installErrorHandling(app);
  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'IOC API',
        description: 'Intelligent Operations Centre REST API (Trung tâm điều hành thông minh)',
        version: options.version,
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'ioc_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });
  // The docs are public like /healthz (they describe the API, they do not open it).
  await app.register(async (scope) => {
    markRoutesPublic(scope);
    await scope.register(fastifySwaggerUi, {
      routePrefix: '/api/docs',
      uiConfig: { docExpansion: 'list' },
    });
  });

  installAuthentication(app, ctx);
  await app.register(healthRoutes, ctx);
  await app.register(metricsRoutes, ctx);
  await app.register(authRoutes, ctx);
  await app.register(unitRoutes, ctx);
  await app.register(tokenRoutes, ctx);
  await app.register(deviceRoutes, ctx);
  await app.register(telemetryRoutes, ctx);
  await app.register(opcuaRoutes, ctx);
  await app.register(kpiRoutes, ctx);
  await app.register(auditRoutes, ctx);
  await app.register(alertRoutes, ctx);
  await app.register(conferenceRoutes, ctx);
  await app.register(notificationRoutes, ctx);
  await app.register(ruleRoutes, ctx);
  await app.register(roomRoutes, ctx);
  await app.register(userRoutes, ctx);

  if (options.appDir && existsSync(join(options.appDir, 'index.html'))) {
    await serveSinglePageApp(app, options.appDir);
  }
  return app;
}

/** Routes registered in this scope need no credentials. */
function markRoutesPublic(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), public: true };
  });
}

/** The built app's files (public: they hold no data) and index.html for client-side routes. */
async function serveSinglePageApp(app: FastifyInstance, appDir: string): Promise<void> {
  const indexHtml = readFileSync(join(appDir, 'index.html'));
  await app.register(async (scope) => {
    markRoutesPublic(scope);
    await scope.register(fastifyStatic, {
      root: appDir,
      wildcard: false,
      index: false,
      // Hashed asset names never change content: cache them for a year; index.html: never.
      setHeaders: (res, path) => {
        if (path.includes('/assets/')) {
          res.header('cache-control', 'public, max-age=31536000, immutable');
        }
      },
    });
    const sendIndex = async (_request: FastifyRequest, reply: FastifyReply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(indexHtml);
    scope.get('/', { schema: { hide: true } }, sendIndex);
    // Client-side routes (/login, /wall/...) load the app; API-like paths keep their 404s.
    scope.get('/*', { schema: { hide: true } }, async (request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      if (
        /^\/(api|healthz|metrics|socket\.io|mqtt)(\/|$)/.test(path) ||
        /\.[a-z0-9]+$/i.test(path)
      ) {
        return reply.callNotFound();
      }
      return sendIndex(request, reply);
    });
  });
}
