import type { SeededRandom } from '../random.js';

/** What storms look like: how often they come, how long they last, how hard they rain. */
export interface StormClimate {
  /** The first storm starts within this many seconds, so a demo comes alive quickly. */
  firstStormWithinSeconds: number;
  /** Dry spell between storms: minimum plus an exponential tail with this mean. */
  minDrySeconds: number;
  meanExtraDrySeconds: number;
  durationSeconds: readonly [min: number, max: number];
  peakMmPerHour: readonly [min: number, max: number];
}

/**
 * Central-Vietnam autumn storms (Đà Nẵng, Sept-Dec), compressed so several pass within an
 * hour of demo time; intensities are in the range of real convective bursts (20-90 mm/h).
 */
export const DA_NANG_STORMS: StormClimate = {
  firstStormWithinSeconds: 120,
  minDrySeconds: 900,
  meanExtraDrySeconds: 1800,
  durationSeconds: [600, 1800],
  peakMmPerHour: [20, 90],
};

interface Storm {
  start: number;
  duration: number;
  peak: number;
}

/**
 * City-wide rainfall intensity over time: a train of storms, each a front-loaded triangle
 * (peak at 40 % of its duration), separated by dry spells. Deterministic for a given random.
 */
export class StormRainfall {
  readonly #random: SeededRandom;
  readonly #climate: StormClimate;
  #now = 0;
  #storm: Storm;

  constructor(random: SeededRandom, climate: StormClimate = DA_NANG_STORMS) {
    this.#random = random;
    this.#climate = climate;
    this.#storm = this.#drawStorm(random.between(0, climate.firstStormWithinSeconds));
  }

  /** Moves the clock forward and returns the intensity (mm/h) at the new time. */
  advance(dtSeconds: number): number {
    this.#now += dtSeconds;
    while (this.#now >= this.#storm.start + this.#storm.duration) {
      const end = this.#storm.start + this.#storm.duration;
      const dry =
        this.#climate.minDrySeconds -
        this.#climate.meanExtraDrySeconds * Math.log(1 - this.#random.next());
      this.#storm = this.#drawStorm(end + dry);
    }
    return this.intensity();
  }

  /** Intensity (mm/h) at the current time. */
  intensity(): number {
    const { start, duration, peak } = this.#storm;
    const elapsed = this.#now - start;
    if (elapsed < 0) return 0;
    const peakAt = 0.4 * duration;
    return elapsed <= peakAt
      ? (peak * elapsed) / peakAt
      : (peak * (duration - elapsed)) / (duration - peakAt);
  }

  #drawStorm(start: number): Storm {
    const [minDuration, maxDuration] = this.#climate.durationSeconds;
    const [minPeak, maxPeak] = this.#climate.peakMmPerHour;
    return {
      start,
      duration: this.#random.between(minDuration, maxDuration),
      peak: this.#random.between(minPeak, maxPeak),
    };
  }
}
