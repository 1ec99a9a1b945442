import type { AppConfig, ServiceDeps } from '@ioc/core';
import { Counter } from 'prom-client';
import { TelemetrySubscriber } from './telemetry-subscriber.js';

export { TelemetrySubscriber, type TelemetrySubscriberOptions } from './telemetry-subscriber.js';

export interface IngestDeps extends ServiceDeps {
  /** Broker credentials of the ingest service. */
  mqtt: { url: string; username: string; password: string };
}

export interface RunningIngest {
  subscriber: TelemetrySubscriber;
  stop(): Promise<void>;
}

/**
 * Ingestion skeleton: subscribes to all device telemetry and counts it. Validation,
 * enrichment, the durable spool and the InfluxDB writer arrive with the IoT platform issue.
 */
export async function start(_config: AppConfig, deps: IngestDeps): Promise<RunningIngest> {
  const logger = deps.logger.child({ component: 'ingest' });
  const received = new Counter({
    name: 'ioc_ingest_messages_received_total',
    help: 'Telemetry messages received from the broker',
    registers: [deps.metrics],
  });
  const subscriber = new TelemetrySubscriber({ ...deps.mqtt, logger });
  subscriber.on('message', (deviceId: string, payload: Buffer) => {
    received.inc();
    logger.trace({ deviceId, bytes: payload.length }, 'telemetry received');
  });
  await subscriber.start();
  deps.health.register('ingest', () =>
    subscriber.connected
      ? { status: 'up' }
      : { status: 'down', reason: 'not connected to the MQTT broker' },
  );
  return {
    subscriber,
    async stop() {
      deps.health.unregister('ingest');
      deps.metrics.removeSingleMetric('ioc_ingest_messages_received_total');
      await subscriber.stop();
    },
  };
}
