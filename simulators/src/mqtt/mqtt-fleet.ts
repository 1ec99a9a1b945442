import { EventEmitter } from 'node:events';
import type { Logger } from '@ioc/core';
import type { DeviceCatalogue } from '@ioc/devices';
import { Counter, Gauge, type Registry } from 'prom-client';
import { SeededRandom } from '../random.js';
import { createDeviceModel, type FaultRates, type Reading } from './device-models.js';
import type { DemoCredentials } from './fleet.js';
import type { RainfallSource } from './rainfall-feed.js';
import { SimulatedDevice } from './simulated-device.js';

export interface MqttFleetOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  url: string;
  devices: readonly DemoCredentials[];
  catalogue: DeviceCatalogue;
  /** City-wide storms the rain gauges and water levels respond to. */
  rainfall: RainfallSource;
  logger: Logger;
  /** Registry for the simulator's counters; none when omitted. */
  metrics?: Registry;
  seed?: number;
  /** Reports come at the type's report interval divided by this. Default 10. */
  speed?: number;
  /** Bounds of the resulting interval, so the wall stays lively but sane. Default 10-60 s. */
  minIntervalMs?: number;
  maxIntervalMs?: number;
  /** Pause between two devices' connects, so hundreds do not stampede the broker. Default 100 ms. */
  connectSpacingMs?: number;
  keepaliveS?: number;
  faults?: Partial<FaultRates>;
}

export interface MqttFleetEvents {
  connected: [deviceId: string];
  disconnected: [deviceId: string];
  published: [deviceId: string, reading: Reading];
  /** The broker refused a device's credentials; it stays off until the next start. */
  refused: [deviceId: string, reason: string];
}

const METRIC_PUBLISHED = 'ioc_simulator_messages_published_total';
const METRIC_CONNECTED = 'ioc_simulator_devices_connected';

/**
 * The demo fleet on the wire: one real MQTT connection per device, connected one after the
 * other, each publishing its model's readings at its type's report interval / speed.
 */
export class MqttFleetSimulator extends EventEmitter<MqttFleetEvents> {
  readonly #options: MqttFleetOptions;
  readonly #devices: SimulatedDevice[];
  #connectTimer: NodeJS.Timeout | undefined;
  #connectedCount = 0;
  #published = 0;
  #started = false;
  #stopped = false;
  readonly #publishedCounter?: Counter<'type'>;

  constructor(options: MqttFleetOptions) {
    super();
    const speed = options.speed ?? 10;
    if (!(speed > 0) || !Number.isFinite(speed)) {
      throw new RangeError(`speed must be a positive number; got ${speed}`);
    }
    this.#options = options;
    const seed = options.seed ?? 1;
    const jitter = new SeededRandom(seed + 7919);
    const minMs = options.minIntervalMs ?? 10_000;
    const maxMs = Math.max(minMs, options.maxIntervalMs ?? 60_000);
    this.#devices = options.devices.map((credentials) => {
      const { device } = credentials;
      const type = options.catalogue.get(device.type);
      if (!type) throw new RangeError(`device type "${device.type}" is not in the catalogue`);
      const intervalMs = Math.min(maxMs, Math.max(minMs, (type.reportIntervalS * 1000) / speed));
      return new SimulatedDevice({
        url: options.url,
        credentials,
        model: createDeviceModel({
          device,
          type,
          rainfall: options.rainfall,
          seed,
          faults: options.faults,
        }),
        intervalMs,
        keepaliveS: options.keepaliveS ?? 30,
        random: () => jitter.next(),
        logger: options.logger,
        onConnectionChange: (up) => this.#onConnectionChange(device.id, up),
        onPublished: (reading) => {
          this.#published++;
          this.#publishedCounter?.inc({ type: device.type });
          this.emit('published', device.id, reading);
        },
        onRefused: (reason) => {
          options.logger.warn(
            { device: device.id, reason },
            'the broker refused a demo device; delete its entry from demo-devices.json and restart to re-key it',
          );
          this.emit('refused', device.id, reason);
        },
      });
    });

    if (options.metrics) {
      this.#publishedCounter = new Counter({
        name: METRIC_PUBLISHED,
        help: 'Telemetry messages the demo devices published (acknowledged by the broker)',
        labelNames: ['type'],
        registers: [options.metrics],
      });
      const fleet = this;
      new Gauge({
        name: METRIC_CONNECTED,
        help: 'Demo devices with an open MQTT connection',
        registers: [options.metrics],
        collect() {
          this.set(fleet.connectedCount);
        },
      });
    }
  }

  get size(): number {
    return this.#devices.length;
  }

  get connectedCount(): number {
    return this.#connectedCount;
  }

  /** Telemetry messages acknowledged by the broker since start. */
  get published(): number {
    return this.#published;
  }

  /** Starts connecting the devices one after the other; returns at once. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const spacing = this.#options.connectSpacingMs ?? 100;
    let next = 0;
    const connectNext = () => {
      this.#connectTimer = undefined;
      if (this.#stopped) return;
      this.#devices[next++]?.connect();
      if (next < this.#devices.length) this.#connectTimer = setTimeout(connectNext, spacing);
    };
    connectNext();
  }

  /** Resolves once `count` devices (all by default) are connected. */
  async whenConnected(count = this.#devices.length): Promise<void> {
    if (this.#connectedCount >= count) return;
    await new Promise<void>((resolve) => {
      const check = () => {
        if (this.#connectedCount < count) return;
        this.off('connected', check);
        resolve();
      };
      this.on('connected', check);
    });
  }

  /** Stops every device: `offline` on its status topic, then a clean disconnect. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#connectTimer);
    await Promise.all(this.#devices.map((device) => device.stop()));
    if (this.#options.metrics) {
      this.#options.metrics.removeSingleMetric(METRIC_PUBLISHED);
      this.#options.metrics.removeSingleMetric(METRIC_CONNECTED);
    }
  }

  #onConnectionChange(deviceId: string, up: boolean): void {
    this.#connectedCount += up ? 1 : -1;
    this.emit(up ? 'connected' : 'disconnected', deviceId);
  }
}
