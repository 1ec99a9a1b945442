import { type StormClimate, StormRainfall } from '../plant/rainfall.js';
import { SeededRandom } from '../random.js';

/** City-wide rainfall intensity (mm/h) at a wall-clock instant (epoch ms). */
export interface RainfallSource {
  intensityAt(epochMs: number): number;
}

/** How far back lookups may reach: field stations see a storm up to ~30 min late. */
const HISTORY_MS = 2 * 60 * 60 * 1000;

/**
 * Recorded rainfall samples, e.g. the PLC simulator's storms tick by tick, so that the MQTT
 * stations rain with the same storms as the drainage works. Lookups interpolate between
 * samples; before the first one or after the last one the nearest sample holds.
 */
export class RainfallHistory implements RainfallSource {
  readonly #times: number[] = [];
  readonly #values: number[] = [];

  /** Adds a sample; samples must come in time order (older ones are ignored). */
  record(epochMs: number, mmPerHour: number): void {
    const last = this.#times.at(-1);
    if (last !== undefined && epochMs <= last) return;
    this.#times.push(epochMs);
    this.#values.push(Math.max(0, mmPerHour));
    let drop = 0;
    while (drop < this.#times.length - 2 && (this.#times[drop] as number) < epochMs - HISTORY_MS) {
      drop++;
    }
    if (drop > 0) {
      this.#times.splice(0, drop);
      this.#values.splice(0, drop);
    }
  }

  get lastSampleAt(): number | undefined {
    return this.#times.at(-1);
  }

  intensityAt(epochMs: number): number {
    const times = this.#times;
    if (times.length === 0) return 0;
    if (epochMs <= (times[0] as number)) return this.#values[0] as number;
    if (epochMs >= (times.at(-1) as number)) return this.#values.at(-1) as number;
    let lo = 0;
    let hi = times.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((times[mid] as number) <= epochMs) lo = mid;
      else hi = mid;
    }
    const t0 = times[lo] as number;
    const t1 = times[hi] as number;
    const v0 = this.#values[lo] as number;
    const v1 = this.#values[hi] as number;
    return v0 + ((v1 - v0) * (epochMs - t0)) / (t1 - t0);
  }
}

export interface StormTimelineOptions {
  seed?: number;
  /** Wall-clock instant the storm train starts at. Default: now. */
  startAt?: number;
  climate?: StormClimate;
  /** Simulated seconds per real second. Default 1. */
  timeScale?: number;
}

const STEP_MS = 10_000;

/**
 * The plant's storm model (front-loaded storms between dry spells) run on the wall clock,
 * for when no PLC simulator feeds its own storms. Deterministic for a seed and start.
 */
export class StormTimeline implements RainfallSource {
  readonly #storms: StormRainfall;
  readonly #history = new RainfallHistory();
  readonly #timeScale: number;
  #now: number;

  constructor(options: StormTimelineOptions = {}) {
    this.#storms = new StormRainfall(new SeededRandom(options.seed ?? 1), options.climate);
    this.#timeScale = options.timeScale ?? 1;
    this.#now = options.startAt ?? Date.now();
    this.#history.record(this.#now, this.#storms.intensity());
  }

  intensityAt(epochMs: number): number {
    while (this.#now < epochMs) {
      this.#now += STEP_MS;
      this.#history.record(this.#now, this.#storms.advance((STEP_MS / 1000) * this.#timeScale));
    }
    return this.#history.intensityAt(epochMs);
  }
}
