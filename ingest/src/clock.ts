/** A cancellable timer of a Clock. */
export interface ClockTimer {
  cancel(): void;
}

/**
 * Time as ingest's timed parts see it (the rule engine's "for" durations, windows,
 * missing-data deadlines and rate limits; notification retries), so that tests move time
 * instead of waiting for it.
 */
export interface Clock {
  /** Epoch ms. */
  now(): number;
  /** Calls `fn` once, `ms` from now. */
  setTimer(fn: () => void, ms: number): ClockTimer;
}

// setTimeout's longest delay; a longer wait re-arms on wake-up.
const MAX_DELAY_MS = 2_147_483_647;

/** The real clock: Date.now() and unref'd timers (they never keep the process alive). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const timer = setTimeout(fn, Math.min(Math.max(0, ms), MAX_DELAY_MS));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

/**
 * A clock that moves only when told to: `advance(ms)` runs, in time order and
 * synchronously, every timer that falls due. For tests.
 */
export class ManualClock implements Clock {
  #now: number;
  #timers: Array<{ at: number; seq: number; fn: () => void }> = [];
  #seq = 0;

  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): ClockTimer {
    const timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(timer);
    return {
      cancel: () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
      },
    };
  }

  /** Moves time forward by `ms`, firing due timers (including ones they set) on the way. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const next = this.#timers
        .filter((t) => t.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = end;
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.length;
  }
}
