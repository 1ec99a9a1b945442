import type { Logger } from '@ioc/core';
import { deviceTopic } from '@ioc/devices';
import { connect, type MqttClient } from 'mqtt';
import type { DeviceModel, Reading } from './device-models.js';
import type { DemoCredentials } from './fleet.js';

export interface SimulatedDeviceOptions {
  url: string;
  credentials: DemoCredentials;
  model: DeviceModel;
  /** Milliseconds between two reports (each one jittered by ±10 %). */
  intervalMs: number;
  keepaliveS: number;
  /** Uniform [0, 1): jitter of the first report and of each interval. */
  random: () => number;
  logger: Logger;
  onConnectionChange: (connected: boolean) => void;
  onPublished: (reading: Reading) => void;
  /** The broker refused the credentials: the device gives up until the next start. */
  onRefused: (reason: string) => void;
}

// MQTT 3.1.1 CONNACK codes after which retrying only feeds the broker's login throttle.
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

/**
 * One simulated field device: its own MQTT connection (client id = username = device id),
 * `online`/`offline` retained on its status topic (the broker publishes the `offline` will
 * if the connection drops), and telemetry `{"ts", "values"}` at QoS 1 every interval.
 */
export class SimulatedDevice {
  readonly id: string;
  readonly #options: SimulatedDeviceOptions;
  readonly #telemetryTopic: string;
  readonly #statusTopic: string;
  #client: MqttClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #connected = false;
  #stopped = false;

  constructor(options: SimulatedDeviceOptions) {
    this.#options = options;
    this.id = options.credentials.device.id;
    this.#telemetryTopic = deviceTopic(this.id, 'telemetry');
    this.#statusTopic = deviceTopic(this.id, 'status');
  }

  get connected(): boolean {
    return this.#connected;
  }

  connect(): void {
    if (this.#client || this.#stopped) return;
    const { url, credentials, keepaliveS } = this.#options;
    const client = connect(url, {
      clientId: this.id,
      username: this.id,
      password: credentials.secret,
      keepalive: keepaliveS,
      clean: true,
      protocolVersion: 4,
      // Spread reconnects so a broker restart does not get every device back at once.
      reconnectPeriod: 3000 + Math.floor(this.#options.random() * 4000),
      connectTimeout: 30_000,
      will: { topic: this.#statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.#client = client;
    client.on('connect', () => {
      this.#setConnected(true);
      client.publish(this.#statusTopic, 'online', { qos: 1, retain: true });
      if (!this.#timer) this.#schedule(this.#options.random() * this.#options.intervalMs);
    });
    client.on('close', () => this.#setConnected(false));
    client.on('error', (err) => {
      const code = (err as { code?: unknown }).code;
      if (code === BAD_USERNAME_OR_PASSWORD || code === NOT_AUTHORIZED) {
        this.#options.onRefused(err.message);
        void this.stop();
        return;
      }
      this.#options.logger.debug({ err, device: this.id }, 'simulated device connection error');
    });
  }

  /** Publishes `offline` (a clean disconnect sends no will) and closes the connection. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    if (!client) return;
    if (client.connected) {
      try {
        await client.publishAsync(this.#statusTopic, 'offline', { qos: 1, retain: true });
        await client.endAsync();
      } catch {
        await client.endAsync(true);
      }
    } else {
      await client.endAsync(true);
    }
    this.#setConnected(false);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#report();
      const jitter = 0.9 + 0.2 * this.#options.random();
      this.#schedule(this.#options.intervalMs * jitter);
    }, delayMs);
  }

  #report(): void {
    const client = this.#client;
    // A logger without a link loses the reading rather than queueing without bound.
    if (!client?.connected) return;
    const ts = Date.now();
    const reading = this.#options.model.read(ts);
    if (!reading) return; // a dropout
    const payload = JSON.stringify({ ts, values: reading.values });
    client.publish(this.#telemetryTopic, payload, { qos: 1 }, (err) => {
      if (err) {
        this.#options.logger.debug({ err, device: this.id }, 'simulated telemetry not delivered');
      } else {
        this.#options.onPublished(reading);
      }
    });
  }

  #setConnected(connected: boolean): void {
    if (this.#connected === connected) return;
    this.#connected = connected;
    this.#options.onConnectionChange(connected);
  }
}
