/**
 * When to try a failed delivery again: exponential backoff with "equal jitter" (half of each
 * step fixed, half random), so many subscribers of one flaky endpoint spread out while every
 * wait is still longer than the one before. The defaults give 6 attempts over about 10 minutes
 * (waits of about 30 s, 1, 2, 4 and 5 min).
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Upper bound of the first wait, in ms; each later one doubles. */
  baseDelayMs: number;
  /** No wait is longer than this, in ms (a receiver's Retry-After included). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 30_000,
  maxDelayMs: 300_000,
});

/**
 * The wait after attempt number `attempt` (1 for the first) failed: uniformly random in
 * [step/2, step) with step = min(maxDelayMs, baseDelayMs × 2^(attempt-1)); at least the
 * receiver's Retry-After when it sent one.
 */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = step / 2 + random() * (step / 2);
  const asked = retryAfterMs === undefined ? 0 : Math.min(retryAfterMs, policy.maxDelayMs);
  return Math.round(Math.max(jittered, asked));
}
