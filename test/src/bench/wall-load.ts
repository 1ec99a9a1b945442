import type { LiveBus } from '@ioc/core';
import type { WallSensor } from './wall-registry.js';

const TICK_MS = 10;

/**
 * `ratePerSecond` value changes on the bus as the host publishes them: one `telemetry.latest`
 * event per accepted message, here one device's reading each, sensors taken in a shuffled
 * round so every one changes about every `sensors / rate` seconds. Paced on the clock (each
 * tick publishes what is due since the start), so a slow tick catches up instead of lowering
 * the rate.
 */
export class BusTelemetryLoad {
  readonly #bus: LiveBus;
  readonly #sensors: WallSensor[];
  readonly #rate: number;
  #timer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #published = 0;
  #next = 0;

  constructor(bus: LiveBus, sensors: WallSensor[], ratePerSecond: number) {
    this.#bus = bus;
    // Stride through the list (coprime with its length) so neighbours do not change together.
    const stride = coprimeStride(sensors.length);
    this.#sensors = sensors.map((_, i) => sensors[(i * stride) % sensors.length] as WallSensor);
    this.#rate = ratePerSecond;
  }

  /** Changes published so far. */
  get published(): number {
    return this.#published;
  }

  start(): void {
    this.#startedAt = performance.now();
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const due = Math.floor(((performance.now() - this.#startedAt) * this.#rate) / 1000);
    const now = Date.now();
    for (; this.#published < due; this.#published++) {
      const sensor = this.#sensors[this.#next] as WallSensor;
      this.#next = (this.#next + 1) % this.#sensors.length;
      this.#bus.publish('telemetry.latest', {
        points: [
          {
            deviceId: sensor.id,
            unit: sensor.unit,
            sector: sensor.sector,
            ts: now,
            values: { [sensor.metric]: Math.round(Math.random() * 10_000) / 100 },
          },
        ],
      });
    }
  }
}

function coprimeStride(length: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let stride = 7919;
  while (length > 1 && gcd(stride, length) !== 1) stride++;
  return stride;
}
