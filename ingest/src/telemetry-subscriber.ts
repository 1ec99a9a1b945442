import { EventEmitter } from 'node:events';
import type { Logger } from '@ioc/core';
import { allDevicesTopic, parseDeviceTopic } from '@ioc/devices';
import { connectAsync, type MqttClient } from 'mqtt';

export interface TelemetrySubscriberOptions {
  url: string;
  username: string;
  password: string;
  logger: Logger;
  /**
   * Handles one telemetry message. Its QoS 1 acknowledgement (PUBACK) is sent only after the
   * returned promise settles, so a message is never acknowledged before it is stored.
   */
  onTelemetry: (deviceId: string, payload: Buffer, receivedAt: Date) => Promise<void>;
}

/**
 * The ingest side's connection to the broker: subscribed to every device's telemetry,
 * re-subscribed automatically by mqtt.js after a reconnect; also publishes to devices
 * (their `errors` topic).
 */
export class TelemetrySubscriber extends EventEmitter {
  readonly #options: TelemetrySubscriberOptions;
  #client?: MqttClient;

  constructor(options: TelemetrySubscriberOptions) {
    super();
    this.#options = options;
  }

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  async start(): Promise<void> {
    const { url, username, password, logger, onTelemetry } = this.#options;
    const client = await connectAsync(url, {
      clientId: `ioc-ingest-${process.pid}`,
      username,
      password,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
    });
    this.#client = client;
    // mqtt.js sends the PUBACK when this callback is called: after the spool has the data.
    client.handleMessage = (packet, done) => {
      const target = parseDeviceTopic(packet.topic);
      if (target?.channel !== 'telemetry') return done();
      const payload = Buffer.isBuffer(packet.payload)
        ? packet.payload
        : Buffer.from(packet.payload);
      onTelemetry(target.deviceId, payload, new Date()).then(
        () => done(),
        (err) => {
          logger.error(
            { err, deviceId: target.deviceId },
            'telemetry not stored; not acknowledged',
          );
          done(err as Error);
        },
      );
    };
    client.on('reconnect', () => logger.warn('ingest reconnecting to the broker'));
    client.on('error', (err) => logger.error({ err: err.message }, 'ingest mqtt error'));
    await client.subscribeAsync(allDevicesTopic('telemetry'), { qos: 1 });
    logger.info({ url }, 'ingest subscribed to device telemetry');
  }

  publish(topic: string, payload: string): void {
    this.#client?.publish(topic, payload, { qos: 1 });
  }

  async stop(): Promise<void> {
    await this.#client?.endAsync();
    this.#client = undefined;
  }
}
