/**
 * A token bucket: `ratePerSecond` tokens flow in continuously up to `burst`; each message
 * takes one. Time is passed in (milliseconds) so the arithmetic is testable without timers.
 */
export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    now: number,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) {
      throw new RangeError(
        `token bucket needs a rate > 0 and a burst >= 1 (got ${ratePerSecond}, ${burst})`,
      );
    }
    this.#tokens = burst;
    this.#updatedAt = now;
  }

  /** Takes one token if there is one; false means "over the rate, drop this message". */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed / 1000) * this.ratePerSecond);
    this.#updatedAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
