/**
 * The lowest (for a rise) or highest (for a fall) value of one metric of one device within a
 * window of device time, in amortised constant time per sample: a monotonic queue of the
 * samples that can still become the extreme.
 */
export class RateWindow {
  readonly #windowMs: number;
  readonly #rise: boolean;
  readonly #ts: number[] = [];
  readonly #values: number[] = [];
  #head = 0;
  /** Device time of the newest sample. */
  lastTs = Number.NEGATIVE_INFINITY;
  /** The extreme of the window, the newest sample included. */
  extreme = Number.NaN;
  /** Samples seen since the window was made (after a restart it starts empty). */
  samples = 0;

  constructor(windowS: number, rise: boolean) {
    this.#windowMs = windowS * 1000;
    this.#rise = rise;
  }

  /** Adds a sample newer than every other. */
  add(ts: number, value: number): void {
    this.samples++;
    this.lastTs = ts;
    const values = this.#values;
    const times = this.#ts;
    while (values.length > this.#head) {
      const last = values[values.length - 1] as number;
      if (this.#rise ? last < value : last > value) break;
      values.pop();
      times.pop();
    }
    values.push(value);
    times.push(ts);
    while ((times[this.#head] as number) < ts - this.#windowMs) this.#head++;
    if (this.#head > 32 && this.#head * 2 > times.length) {
      times.splice(0, this.#head);
      values.splice(0, this.#head);
      this.#head = 0;
    }
    this.extreme = values[this.#head] as number;
  }
}
