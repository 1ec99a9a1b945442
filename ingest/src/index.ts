import { join } from 'node:path';
import type { AppConfig, InfluxStore, ServiceDeps, SqlStore } from '@ioc/core';
import { ApiError } from '@ioc/core';
import { type DeviceRegistry, deviceTopic } from '@ioc/devices';
import {
  type BrowsedNode,
  OpcuaBridge,
  OpcuaBridgeError,
  type OpcuaMapping,
} from './opcua/index.js';
import {
  DeadLetterLog,
  type LatestValues,
  queryTelemetry,
  TelemetryPipeline,
  type TelemetryQuery,
  type TelemetrySample,
  TelemetrySpool,
} from './pipeline/index.js';

export * from './opcua/index.js';
export * from './pipeline/index.js';
export type { Reading } from './reading.js';

export interface IngestDeps extends ServiceDeps {
  influx: InfluxStore;
  sql: SqlStore;
  devices: DeviceRegistry;
  /** Publishes to the broker (error reports to a device's `errors` topic). */
  publish: (topic: string, payload: string) => void;
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
  /**
   * Starts reading the mapped nodes of OPC-UA servers into the same pipeline (validation,
   * spool, InfluxDB). Connection happens in the background; `opcua` health follows it.
   */
  startOpcua(mapping: OpcuaMapping): Promise<void>;
  /** Children of an OPC-UA node of a configured server (for building mappings). */
  browseOpcua(serverId: string, nodeId?: string): Promise<BrowsedNode[]>;
  stop(): Promise<void>;
}

// How a browse failure reads over HTTP.
const BROWSE_STATUS: Record<string, number> = {
  UNKNOWN_SERVER: 404,
  INVALID_NODE_ID: 400,
  NOT_CONNECTED: 503,
  BROWSE_FAILED: 502,
};

/**
 * Ingestion: device telemetry → parse → validate against the device type → enrich from the
 * registry → durable spool on disk → InfluxDB in batches. The broker hands each message to
 * `acceptTelemetry` before it acknowledges it. Rejections go back to the device's `errors`
 * topic and to the dead-letter table.
 */
export async function start(config: AppConfig, deps: IngestDeps): Promise<RunningIngest> {
  const logger = deps.logger.child({ component: 'ingest' });
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
  let opcua: OpcuaBridge | undefined;

  return {
    async acceptTelemetry(deviceId, payload, receivedAt) {
      const outcome = await pipeline.handleMqtt(deviceId, payload, receivedAt);
      if (!outcome.durable) throw new Error('the spool could not store the values');
    },
    pipeline,
    spool,
    telemetry: {
      query: (query) => queryTelemetry(deps.influx, query),
      latest: (deviceId) => pipeline.latest(deviceId),
    },
    async startOpcua(mapping) {
      if (opcua) throw new Error('the OPC-UA bridge is already running');
      opcua = new OpcuaBridge({
        mapping,
        logger,
        pkiDir: join(config.dataDir, 'opcua-client-pki'),
        metrics: deps.metrics,
        onReading: (reading) => void pipeline.handleReading(reading),
      });
      await opcua.start();
      const bridge = opcua;
      deps.health.register('opcua', () => bridge.health());
    },
    async browseOpcua(serverId, nodeId) {
      if (!opcua) throw new ApiError(404, 'UNKNOWN_SERVER', 'no OPC-UA server is configured');
      try {
        return await opcua.browse(serverId, nodeId);
      } catch (err) {
        if (!(err instanceof OpcuaBridgeError)) throw err;
        throw new ApiError(BROWSE_STATUS[err.code] ?? 500, err.code, err.message);
      }
    },
    async stop() {
      deps.health.unregister('opcua');
      await opcua?.stop();
      deps.health.unregister('ingest');
      await pipeline.close();
      await spool.close();
      await deadLetters.close();
    },
  };
}
