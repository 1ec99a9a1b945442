// The web service started in the test's own process (for tests that publish bus events or
// hold the stores themselves), with the stores a test does not hand in made on its SQL.
import {
  type AdminUnitTree,
  ApiTokens,
  type AppConfig,
  AuditLog,
  createLogger,
  HealthRegistry,
  LiveBus,
  loadConfig,
  SessionStore,
  type SqlStore,
  type UserAccounts,
} from '@ioc/core';
import { type DeviceCatalogue, DeviceRegistry } from '@ioc/devices';
import * as web from '@ioc/ioc-web';
import { Registry } from 'prom-client';

export interface WebInProcessOptions extends Partial<web.WebDeps> {
  sql: SqlStore;
  units: AdminUnitTree;
  accounts: UserAccounts;
  catalogue: DeviceCatalogue;
  /** Data directory of the default config (loopback, a free port). */
  dataDir: string;
  /** Replaces the default config. */
  config?: AppConfig;
}

export function startWebInProcess(options: WebInProcessOptions): Promise<web.RunningWeb> {
  const { sql, dataDir, config, ...given } = options;
  const logger = given.logger ?? createLogger('silent');
  return web.start(
    config ??
      loadConfig({
        env: {},
        cwd: dataDir,
        overrides: { dataDir, web: { host: '127.0.0.1', port: 0 } },
      }),
    {
      health: new HealthRegistry(),
      metrics: new Registry(),
      bus: new LiveBus(),
      sessions: new SessionStore(sql, 1),
      tokens: new ApiTokens(sql),
      audit: new AuditLog(sql),
      devices: new DeviceRegistry({
        sql,
        catalogue: options.catalogue,
        units: options.units,
        logger,
      }),
      ...given,
      logger,
    },
  );
}
