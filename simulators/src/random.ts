/**
 * A small seeded pseudo-random source, so a simulator run can be replayed exactly
 * (same seed, same sequence of steps → same values). Not for anything secret.
 */
export class SeededRandom {
  #state: number;
  #spareGaussian: number | undefined;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    // Fold any number (including fractions and negatives) into a non-zero 32-bit state.
    this.#state = Math.trunc(seed) >>> 0 || 0x9e3779b9;
  }

  /** Uniform in [0, 1) (mulberry32). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Standard normal (Box-Muller), for measurement noise. */
  gaussian(): number {
    if (this.#spareGaussian !== undefined) {
      const spare = this.#spareGaussian;
      this.#spareGaussian = undefined;
      return spare;
    }
    const u = 1 - this.next(); // (0, 1]: log(0) would be -Infinity
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.#spareGaussian = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }
}
