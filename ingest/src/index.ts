import { join } from 'node:path';
import type { AppConfig, InfluxStore, ServiceDeps, SqlStore } from '@ioc/core';
import { type DeviceRegistry, deviceTopic } from '@ioc/devices';
import {
  DeadLetterLog,
  type LatestValues,
  queryTelemetry,
  TelemetryPipeline,
  type TelemetryQuery,
  type TelemetrySample,
  TelemetrySpool,
} from './pipeline/index.js';
import { TelemetrySubscriber } from './telemetry-subscriber.js';

export * from './pipeline/index.js';
export type { Reading } from './reading.js';
export { TelemetrySubscriber, type TelemetrySubscriberOptions } from './telemetry-subscriber.js';

export interface IngestDeps extends ServiceDeps {
  /** Broker credentials of the ingest service. */
  mqtt: { url: string; username: string; password: string };
  influx: InfluxStore;
  sql: SqlStore;
  devices: DeviceRegistry;
}

/** What the web service reads: aggregated history from InfluxDB, latest values from memory. */
export interface TelemetryReader {
  query(query: TelemetryQuery): Promise<TelemetrySample[]>;
  latest(deviceId: string): LatestValues | undefined;
}

export interface RunningIngest {
  pipeline: TelemetryPipeline;
  spool: TelemetrySpool;
  telemetry: TelemetryReader;
  stop(): Promise<void>;
}

/**
 * Ingestion: device telemetry from the broker → parse → validate against the device type →
 * enrich from the registry → durable spool on disk (then acknowledged) → InfluxDB in batches.
 * Rejections go back to the device's `errors` topic and to the dead-letter table.
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
  let subscriber: TelemetrySubscriber | undefined;
  const pipeline = new TelemetryPipeline({
    registry: deps.devices,
    spool,
    deadLetters,
    logger,
    metrics: deps.metrics,
    maxPayloadBytes: config.mqtt.maxPayloadBytes,
    reportError: (deviceId, report) =>
      subscriber?.publish(deviceTopic(deviceId, 'errors'), JSON.stringify(report)),
  });
  subscriber = new TelemetrySubscriber({
    ...deps.mqtt,
    logger,
    onTelemetry: async (deviceId, payload, receivedAt) => {
      const outcome = await pipeline.handleMqtt(deviceId, payload, receivedAt);
      if (!outcome.durable) throw new Error('the spool could not store the values');
    },
  });
  try {
    await subscriber.start();
  } catch (err) {
    await pipeline.close();
    await spool.close();
    await deadLetters.close();
    throw err;
  }
  deps.health.register('ingest', () => {
    if (!subscriber?.connected)
      return { status: 'down', reason: 'not connected to the MQTT broker' };
    return spool.health();
  });

  return {
    pipeline,
    spool,
    telemetry: {
      query: (query) => queryTelemetry(deps.influx, query),
      latest: (deviceId) => pipeline.latest(deviceId),
    },
    async stop() {
      deps.health.unregister('ingest');
      await subscriber?.stop();
      await pipeline.close();
      await spool.close();
      await deadLetters.close();
    },
  };
}
