import { join } from 'node:path';
import type { AdminUnitTree, AppConfig, InfluxStore, ServiceDeps, SqlStore } from '@ioc/core';
import { type DeviceRegistry, deviceTopic } from '@ioc/devices';
import { AlertEscalation, type AlertSink, AlertStore } from './alerts/index.js';
import { KpiCatalogue, KpiService } from './kpi/index.js';
import { NotificationService } from './notifications/index.js';
import {
  OpcuaBridge,
  OpcuaConfiguration,
  type OpcuaMapping,
  OpcuaMappingStore,
  type OpcuaServerSource,
} from './opcua/index.js';
import {
  DeadLetterLog,
  type LatestValues,
  queryTelemetry,
  type Rejection,
  TelemetryPipeline,
  type TelemetryQuery,
  type TelemetrySample,
  TelemetrySpool,
} from './pipeline/index.js';
import { applyRulesFile, RuleEngine, RuleStore } from './rules/index.js';

export * from './alerts/index.js';
export * from './kpi/index.js';
export * from './notifications/index.js';
export * from './opcua/index.js';
export * from './pipeline/index.js';
export type { Reading } from './reading.js';
export * from './rules/index.js';

export interface IngestDeps extends ServiceDeps {
  influx: InfluxStore;
  sql: SqlStore;
  devices: DeviceRegistry;
  /** The admin-unit tree: alert unit-subtree filters and storm grouping. */
  units: AdminUnitTree;
  /** Publishes to the broker (error reports to a device's `errors` topic). */
  publish: (topic: string, payload: string) => void;
  /**
   * Told of every telemetry message (MQTT) and every reading of a registered device
   * (OPC-UA), with its receive time: presence judges missed reports from it.
   */
  onDeviceReport?: (deviceId: string, receivedAt: Date) => void;
  /** Where the rule engine raises and clears alerts; default: ingest's own AlertStore. */
  alerts?: AlertSink;
}

/** What the web service reads: aggregated history from InfluxDB, latest values from memory. */
export interface TelemetryReader {
  query(query: TelemetryQuery): Promise<TelemetrySample[]>;
  latest(deviceId: string): LatestValues | undefined;
}

export interface RunningIngest {
  /**
   * Takes one MQTT telemetry message; resolves once its accepted values are on disk (the
   * broker acknowledges the message only then), rejects when they could not be stored.
   */
  acceptTelemetry(deviceId: string, payload: Buffer, receivedAt: Date): Promise<void>;
  pipeline: TelemetryPipeline;
  spool: TelemetrySpool;
  telemetry: TelemetryReader;
  /** Alerts: the rule engine's AlertSink, people's actions (ack, assign, ...), queries. */
  alerts: AlertStore;
  /** Public-service KPIs: definitions, checked submissions into InfluxDB, roll-ups. */
  kpi: KpiService;
  /** Alert notifications: subscriptions (webhook, e-mail), deliveries, test sends. */
  notifications: NotificationService;
  /** OPC-UA servers and node mappings (SQL, checked, applied live) and browsing. */
  opcua: OpcuaConfiguration;
  /** Alert rules in SQL (the API's RuleAdmin); changes apply to the engine at once. */
  rules: RuleStore;
  /** Evaluates the rules on the live stream (telemetry, presence, KPIs). */
  ruleEngine: RuleEngine;
  /**
   * Starts reading the mapped nodes of every enabled OPC-UA server in the database into the
   * same pipeline (validation, spool, InfluxDB). With a mapping (the mapping file, the demo
   * PLC), first writes its servers to the database, replacing what it held for them; may be
   * called again later to apply another. Connections happen in the background; the
   * `opcua` health follows them.
   */
  startOpcua(mapping?: OpcuaMapping, source?: Exclude<OpcuaServerSource, 'api'>): Promise<void>;
  stop(): Promise<void>;
}

/** Rejections that concern the whole device rather than its values. */
const DEVICE_REFUSALS = new Set<Rejection['code']>([
  'UNKNOWN_DEVICE',
  'DEVICE_REVOKED',
  'DEVICE_DISABLED',
  'UNKNOWN_DEVICE_TYPE',
]);

/**
 * Ingestion: device telemetry → parse → validate against the device type → enrich from the
 * registry → durable spool on disk → InfluxDB in batches. The broker hands each message to
 * `acceptTelemetry` before it acknowledges it. Rejections go back to the device's `errors`
 * topic and to the dead-letter table.
 */
export async function start(config: AppConfig, deps: IngestDeps): Promise<RunningIngest> {
  const logger = deps.logger.child({ component: 'ingest' });
  // First: a bad KPI file stops the start before anything is opened.
  const kpi = new KpiService({
    influx: deps.influx,
    catalogue: await KpiCatalogue.load(config.ingest.kpiFile),
    units: deps.units,
    bus: deps.bus,
    logger: deps.logger.child({ component: 'kpi' }),
    metrics: deps.metrics,
  });
  // Also before anything is opened: a bad rules file stops the start.
  const rules = new RuleStore({
    sql: deps.sql,
    catalogue: deps.devices.catalogue,
    units: deps.units,
    devices: deps.devices,
    kpis: { has: (code) => kpi.catalogue.get(code) !== undefined },
    logger: deps.logger.child({ component: 'rules' }),
  });
  const rulesFile = await applyRulesFile(config.ingest.rulesFile, rules);
  if (config.ingest.rulesFile || rulesFile.released.length > 0) {
    logger.info({ file: config.ingest.rulesFile, ...rulesFile }, 'rules file applied');
  }
  const spool = await TelemetrySpool.open({
    dir: join(config.dataDir, 'spool'),
    influx: deps.influx,
    logger,
    metrics: deps.metrics,
  });
  const deadLetters = new DeadLetterLog({ sql: deps.sql, logger, metrics: deps.metrics });
  const pipeline = new TelemetryPipeline({
    registry: deps.devices,
    spool,
    deadLetters,
    logger,
    metrics: deps.metrics,
    maxPayloadBytes: config.mqtt.maxPayloadBytes,
    reportError: (deviceId, report) =>
      deps.publish(deviceTopic(deviceId, 'errors'), JSON.stringify(report)),
  });
  deps.health.register('ingest', () => spool.health());
  // Before the alert store, so that it follows alert changes from the first one.
  const notifications = await NotificationService.start({
    sql: deps.sql,
    bus: deps.bus,
    units: deps.units,
    smtp: config.notifications.smtp,
    logger: deps.logger,
    metrics: deps.metrics,
  });
  const alertLogger = deps.logger.child({ component: 'alerts' });
  const alerts = new AlertStore({
    sql: deps.sql,
    bus: deps.bus,
    units: deps.units,
    logger: alertLogger,
    storm: config.alerts.storm,
    metrics: deps.metrics,
  });
  const escalation = new AlertEscalation({
    store: alerts,
    minutes: config.alerts.escalationMinutes,
    maxLevel: config.alerts.escalationMaxLevel,
    logger: alertLogger,
  });
  escalation.start();
  const opcuaBridge = new OpcuaBridge({
    logger,
    pkiDir: join(config.dataDir, 'opcua-client-pki'),
    metrics: deps.metrics,
    onReading: (reading) => {
      void pipeline.handleReading(reading).then((outcome) => {
        // A reading of an unknown, revoked or disabled device says nothing about presence.
        if (!outcome.rejections.some((r) => DEVICE_REFUSALS.has(r.code)))
          deps.onDeviceReport?.(reading.deviceId, reading.receivedAt);
      });
    },
  });
  const opcua = new OpcuaConfiguration({
    store: new OpcuaMappingStore(deps.sql),
    bridge: opcuaBridge,
    registry: deps.devices,
    logger,
  });
  deps.health.register('opcua', () => opcuaBridge.health());
  const ruleEngine = new RuleEngine({
    rules,
    sink: deps.alerts ?? alerts,
    units: deps.units,
    catalogue: deps.devices.catalogue,
    devices: deps.devices,
    logger: deps.logger.child({ component: 'rules' }),
    metrics: deps.metrics,
  });
  await ruleEngine.start();
  ruleEngine.attach(pipeline, deps.bus);

  return {
    async acceptTelemetry(deviceId, payload, receivedAt) {
      deps.onDeviceReport?.(deviceId, receivedAt);
      const outcome = await pipeline.handleMqtt(deviceId, payload, receivedAt);
      if (!outcome.durable) throw new Error('the spool could not store the values');
    },
    pipeline,
    spool,
    alerts,
    kpi,
    notifications,
    telemetry: {
      query: (query) => queryTelemetry(deps.influx, query),
      latest: (deviceId) => pipeline.latest(deviceId),
    },
    opcua,
    rules,
    ruleEngine,
    async startOpcua(mapping, source = 'file') {
      if (mapping) await opcua.seed(mapping, source);
      await opcua.start();
    },
    async stop() {
      await ruleEngine.stop();
      await escalation.stop();
      await notifications.stop();
      deps.health.unregister('opcua');
      await opcuaBridge.stop();
      deps.health.unregister('ingest');
      await pipeline.close();
      await spool.close();
      await deadLetters.close();
    },
  };
}
