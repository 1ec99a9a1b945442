// The demo KPI feed: one-stop and online-service figures for every commune of the demo
// province, pushed through the real POST /api/v1/kpi with a service token.
import { readFileSync } from 'node:fs';
import type {
  AdminUnitTree,
  ApiTokens,
  AppConfig,
  AuditLog,
  RunningService,
  ServiceDeps,
} from '@ioc/core';
import { ensureKpiFeedToken } from './feed-token.js';
import { KpiClient } from './kpi-client.js';
import { KpiFeed } from './kpi-feed.js';
import { KpiDemoModel } from './kpi-model.js';

export { DEMO_KPI_TOKEN_FILE, ensureKpiFeedToken } from './feed-token.js';
export {
  KpiClient,
  KpiClientError,
  type KpiClientOptions,
  type KpiSubmitAnswer,
} from './kpi-client.js';
export {
  KpiFeed,
  type KpiFeedEvents,
  type KpiFeedOptions,
  type KpiFeedState,
  type KpiHistoryReport,
} from './kpi-feed.js';
export {
  type CommuneProfile,
  DEMO_KPI_SECTORS,
  dayLoad,
  KpiDemoModel,
  type KpiDemoRow,
} from './kpi-model.js';

export interface KpiFeedDeps extends ServiceDeps {
  units: AdminUnitTree;
  tokens: ApiTokens;
  audit: AuditLog;
  /** Base URL of this IOC's web server. */
  webUrl: string;
}

export interface RunningKpiFeed extends RunningService {
  feed: KpiFeed;
}

/**
 * Starts the demo KPI feed (history in the background, then live figures) with a service
 * token of its own; `simulators.kpiHistoryDays` days of history, seed `simulators.seed`.
 */
export async function startKpiFeed(config: AppConfig, deps: KpiFeedDeps): Promise<RunningKpiFeed> {
  const token = await ensureKpiFeedToken({
    dataDir: config.dataDir,
    tokens: deps.tokens,
    audit: deps.audit,
  });
  const root = deps.units.roots()[0];
  if (!root) throw new Error('the unit tree has no root');
  const feed = new KpiFeed({
    model: new KpiDemoModel({ units: deps.units, seed: config.simulators.seed }),
    client: new KpiClient({
      url: deps.webUrl,
      token,
      pinnedCertificate: config.web.tls ? readFileSync(config.web.tls.certFile) : undefined,
    }),
    logger: deps.logger.child({ component: 'simulators.kpi' }),
    historyDays: config.simulators.kpiHistoryDays,
    rootUnit: root.code,
  });
  feed.start();
  deps.health.register('kpi-feed', () => ({
    status: feed.state === 'failed' ? 'down' : 'up',
    reason: feed.describe(),
  }));
  return {
    feed,
    async stop() {
      deps.health.unregister('kpi-feed');
      await feed.stop();
    },
  };
}
