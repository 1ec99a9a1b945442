import { readFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Principal } from '@ioc/core';
import {
  type AdminUnitTree,
  type ApiTokens,
  type AppConfig,
  type AuditLog,
  type InfluxStore,
  listenFailure,
  type ServiceDeps,
  type SessionStore,
  StartupError,
  type UserAccounts,
} from '@ioc/core';
import type { DeviceCatalogue, DeviceRegistry } from '@ioc/devices';
import type { Server as SocketServer } from 'socket.io';
import type { PresenceReader, TelemetryReader, WebContext } from './server/context.js';
import { resolvePrincipal, startLiveChannel } from './server/live-channel.js';
import { startLocalAdminChannel } from './server/local-admin-channel.js';
import { OidcSignIn } from './server/oidc/oidc-sign-in.js';
import type { RoomStore } from './server/rooms/room-store.js';
import type { AlertDesk } from './server/routes/alerts.js';
import type { ConferenceDesk } from './server/routes/conferences.js';
import type { KpiDesk } from './server/routes/kpi.js';
import type { NotificationAdmin } from './server/routes/notifications.js';
import type { OpcuaAdmin } from './server/routes/opcua.js';
import type { RuleAdmin } from './server/routes/rules.js';
import { InfluxTelemetryAt } from './server/telemetry-at.js';
import { buildWebApp } from './server/web-app.js';

export {
  AccessScope,
  type RoomScope,
} from './server/access/access-scope.js';
export { SESSION_COOKIE } from './server/authentication.js';
export type { PresenceReader, TelemetryReader, WebContext } from './server/context.js';
export type { RoomSnapshot, SnapshotDevice } from './server/live/live-rooms.js';
export type { RoomDelta } from './server/live/room-feed.js';
export { type OidcSettings, OidcSignIn } from './server/oidc/oidc-sign-in.js';
export { type DemoRoomMember, seedDemoRooms } from './server/rooms/room-seed.js';
export {
  type Room,
  type RoomInput,
  type RoomRole,
  RoomStore,
  type Scene,
} from './server/rooms/room-store.js';
export type { AlertDesk } from './server/routes/alerts.js';
export type {
  AttendanceView,
  ConferenceDesk,
  ConferenceView,
  JoinLinkView,
} from './server/routes/conferences.js';
export type { KpiDesk, KpiSeriesRequest, KpiSubmitView } from './server/routes/kpi.js';
export type { NotificationAdmin } from './server/routes/notifications.js';
export type { OpcuaAdmin } from './server/routes/opcua.js';
export type { RuleAdmin, RuleView } from './server/routes/rules.js';

export interface WebDeps extends ServiceDeps {
  units: AdminUnitTree;
  accounts: UserAccounts;
  sessions: SessionStore;
  tokens: ApiTokens;
  audit: AuditLog;
  devices: DeviceRegistry;
  catalogue: DeviceCatalogue;
  sendCommand?: (deviceId: string, payload: unknown) => Promise<void>;
  telemetry?: TelemetryReader;
  /** InfluxDB, for sensor values at a past instant (the wall's time travel). */
  influx?: InfluxStore;
  alerts?: AlertDesk;
  /** Conference scheduling (media's ConferenceStore); without it /api/v1/conferences answers 503. */
  conferences?: ConferenceDesk;
  opcua?: OpcuaAdmin;
  kpi?: KpiDesk;
  notifications?: NotificationAdmin;
  rules?: RuleAdmin;
  /** Operating rooms (SQL); without them room operators and viewers see nothing. */
  rooms?: RoomStore;
  /** The broker's presence authority, for live snapshots. */
  presence?: PresenceReader;
  /** Directory of the built React app; defaults to ioc-web/app/dist. */
  appDir?: string;
}

export interface RunningWeb {
  /** The HTTP(S) server, for other services to attach upgrade handlers (MQTT over WebSocket). */
  server: HttpServer;
  /** Base URL the server answers on, e.g. http://127.0.0.1:8080. */
  url: string;
  /** The socket.io server, for other services' namespaces (the SFU's `/conference`). */
  io: SocketServer;
  /** Who a socket.io handshake belongs to (session cookie or `auth.token`), if anyone. */
  authenticateHandshake(handshake: {
    headers: Record<string, string | string[] | undefined>;
    auth: Record<string, unknown>;
  }): Promise<Principal | undefined>;
  stop(): Promise<void>;
}

/** Where the CLI finds a running server. */
export function localAdminSocketPath(config: AppConfig): string {
  return join(config.dataDir, 'run', 'ioc.sock');
}

export const DEFAULT_APP_DIR = fileURLToPath(new URL('../app/dist/', import.meta.url));

/** Starts the web service: REST API, OpenAPI docs, socket.io, the app and the CLI channel. */
export async function start(config: AppConfig, deps: WebDeps): Promise<RunningWeb> {
  const logger = deps.logger.child({ component: 'web' });
  const ctx: WebContext = {
    health: deps.health,
    metrics: deps.metrics,
    units: deps.units,
    unitDataset: config.units.dataset,
    accounts: deps.accounts,
    sessions: deps.sessions,
    tokens: deps.tokens,
    audit: deps.audit,
    devices: deps.devices,
    catalogue: deps.catalogue,
    sendCommand: deps.sendCommand,
    telemetry: deps.telemetry,
    telemetryAt: deps.influx ? new InfluxTelemetryAt(deps.influx) : undefined,
    alerts: deps.alerts,
    conferences: deps.conferences,
    opcua: deps.opcua,
    kpi: deps.kpi,
    notifications: deps.notifications,
    rules: deps.rules,
    rooms: deps.rooms,
    presence: deps.presence,
    sessionTtlHours: config.auth.sessionTtlHours,
    // Discovered before listening: an unreachable SSO fails the start with one clear line.
    oidc: config.auth.oidc
      ? await OidcSignIn.discover(config.auth.oidc, { publicUrl: config.web.publicUrl, logger })
      : undefined,
  };
  const app = await buildWebApp(ctx, {
    logger,
    appDir: deps.appDir ?? DEFAULT_APP_DIR,
    https: readTls(config),
    version: packageVersion(),
  });
  const live = startLiveChannel(app.server as HttpServer, ctx, deps.bus, logger);
  try {
    await live.rooms.start();
    await app.listen({ host: config.web.host, port: config.web.port });
  } catch (err) {
    await live.close();
    await app.close();
    throw listenFailure(err, {
      host: config.web.host,
      port: config.web.port,
      key: 'web.port',
      env: 'IOC_WEB_PORT',
    });
  }
  let channel: Awaited<ReturnType<typeof startLocalAdminChannel>>;
  try {
    channel = await startLocalAdminChannel(localAdminSocketPath(config), ctx, logger);
  } catch (err) {
    await live.close();
    await app.close();
    throw err;
  }

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.web.port;
  const scheme = config.web.tls ? 'https' : 'http';
  const url = `${scheme}://${config.web.host.includes(':') ? `[${config.web.host}]` : config.web.host}:${port}`;
  deps.health.register('web', () =>
    app.server.listening ? { status: 'up' } : { status: 'down', reason: 'HTTP server closed' },
  );
  logger.info({ url }, 'web server listening');

  return {
    server: app.server as HttpServer,
    url,
    io: live.io,
    authenticateHandshake: (handshake) => resolvePrincipal(handshake, ctx),
    async stop() {
      deps.health.unregister('web');
      logger.debug('closing the CLI channel');
      await channel.close();
      logger.debug('closing socket.io');
      await live.close();
      logger.debug('closing the HTTP server');
      // Idle keep-alive connections close at once; give busy ones a moment, then cut them so a
      // slow client cannot hold up a shutdown.
      const grace = setTimeout(() => app.server.closeAllConnections(), 2000);
      await app.close();
      clearTimeout(grace);
    },
  };
}

function readTls(config: AppConfig): { cert: Buffer; key: Buffer } | undefined {
  const tls = config.web.tls;
  if (!tls) return undefined;
  try {
    return { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) };
  } catch (err) {
    throw new StartupError(
      `cannot read the TLS certificate or key (web.tls): ${(err as Error).message}`,
      'CONFIG_INVALID',
    );
  }
}

function packageVersion(): string {
  const pkg = new URL('../package.json', import.meta.url);
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}
