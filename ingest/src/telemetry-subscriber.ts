import { EventEmitter } from 'node:events';
import type { Logger } from '@ioc/core';
import { allDevicesTopic, parseDeviceTopic } from '@ioc/devices';
import { connectAsync, type MqttClient } from 'mqtt';

export interface TelemetrySubscriberOptions {
  url: string;
  username: string;
  password: string;
  logger: Logger;
}

/**
 * The ingest side's connection to the broker: a persistent session subscribed to every
 * device's telemetry, re-subscribed automatically by mqtt.js after a reconnect.
 * Emits 'message' with (deviceId, payload, receivedAt).
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
    const { url, username, password, logger } = this.#options;
    const client = await connectAsync(url, {
      clientId: `ioc-ingest-${process.pid}`,
      username,
      password,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
    });
    this.#client = client;
    client.on('message', (topic, payload) => {
      const target = parseDeviceTopic(topic);
      if (target?.channel === 'telemetry')
        this.emit('message', target.deviceId, payload, new Date());
    });
    client.on('reconnect', () => logger.warn('ingest reconnecting to the broker'));
    client.on('error', (err) => logger.error({ err: err.message }, 'ingest mqtt error'));
    await client.subscribeAsync(allDevicesTopic('telemetry'), { qos: 1 });
    logger.info({ url }, 'ingest subscribed to device telemetry');
  }

  async stop(): Promise<void> {
    await this.#client?.endAsync();
    this.#client = undefined;
  }
}
