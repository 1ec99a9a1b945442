import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.js';

describe('LoginThrottle', () => {
  it('blocks an address after 5 failures within 60 s, for 30 s', () => {
    const throttle = new LoginThrottle();
    for (let i = 0; i < 4; i++) {
      expect(throttle.recordFailure('10.0.0.1', i * 1000)).toBe(false);
      expect(throttle.blockedFor('10.0.0.1', i * 1000)).toBe(0);
    }
    expect(throttle.recordFailure('10.0.0.1', 4000)).toBe(true);
    expect(throttle.blockedFor('10.0.0.1', 4000)).toBe(30_000);
    expect(throttle.blockedFor('10.0.0.1', 33_999)).toBe(1);
    expect(throttle.blockedFor('10.0.0.1', 34_000)).toBe(0);
    // Other addresses are not affected.
    expect(throttle.blockedFor('10.0.0.2', 4000)).toBe(0);
  });

  it('forgets failures older than the window', () => {
    const throttle = new LoginThrottle({ maxFailures: 3, windowMs: 10_000 });
    throttle.recordFailure('a', 0);
    throttle.recordFailure('a', 5000);
    expect(throttle.recordFailure('a', 10_500)).toBe(false); // the one at 0 has expired
    expect(throttle.recordFailure('a', 11_000)).toBe(true);
  });

  it('starts counting afresh after a block', () => {
    const throttle = new LoginThrottle({ maxFailures: 2, blockMs: 100 });
    throttle.recordFailure('a', 0);
    expect(throttle.recordFailure('a', 1)).toBe(true);
    expect(throttle.recordFailure('a', 200)).toBe(false);
    expect(throttle.blockedFor('a', 200)).toBe(0);
  });

  it('bounds the addresses it remembers', () => {
    const throttle = new LoginThrottle({ maxAddresses: 100 });
    for (let i = 0; i < 1000; i++) throttle.recordFailure(`10.0.${i >> 8}.${i & 255}`, i);
    expect(throttle.trackedAddresses).toBeLessThanOrEqual(100);
    // The most recent ones are kept.
    throttle.recordFailure('10.0.3.231', 2000);
    expect(throttle.trackedAddresses).toBeLessThanOrEqual(100);
  });

  it('keeps a blocked address while others can be forgotten', () => {
    const throttle = new LoginThrottle({ maxFailures: 2, maxAddresses: 2 });
    throttle.recordFailure('attacker', 0);
    expect(throttle.recordFailure('attacker', 1)).toBe(true);
    throttle.recordFailure('b', 2);
    throttle.recordFailure('c', 3); // one too many: 'b' goes, not the older 'attacker'
    expect(throttle.trackedAddresses).toBe(2);
    expect(throttle.blockedFor('attacker', 4)).toBeGreaterThan(0);
  });
});
