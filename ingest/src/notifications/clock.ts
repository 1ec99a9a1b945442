/** A cancellable timer of a Clock. */
export interface ClockTimer {
  cancel(): void;
}

/**
 * Time as the notification service sees it: the clock and the timers of retries. Tests
 * hand in a manual one and fire retries themselves instead of sleeping through the backoff.
 * (The same shape as the rule engine's clock, so one clock can drive both.)
 */
export interface Clock {
  /** Epoch ms. */
  now(): number;
  /** Calls `fn` once, `ms` from now. */
  setTimer(fn: () => void, ms: number): ClockTimer;
}

// setTimeout's longest delay.
const MAX_DELAY_MS = 2_147_483_647;

/** Date.now() and unref'd timers (they never keep the process alive). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const timer = setTimeout(fn, Math.min(Math.max(0, ms), MAX_DELAY_MS));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};
