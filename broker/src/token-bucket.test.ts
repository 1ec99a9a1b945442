import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

function takeAll(bucket: TokenBucket, now: number, tries: number): number {
  let taken = 0;
  for (let i = 0; i < tries; i++) if (bucket.take(now)) taken++;
  return taken;
}

describe('TokenBucket', () => {
  it('allows a burst, then the rate', () => {
    const bucket = new TokenBucket(20, 40, 0);
    expect(takeAll(bucket, 0, 100)).toBe(40);
    expect(bucket.take(0)).toBe(false);
    // 20 per second: 50 ms earn exactly one token.
    expect(takeAll(bucket, 50, 10)).toBe(1);
    expect(takeAll(bucket, 1050, 100)).toBe(20);
  });

  it('never holds more than the burst after a long pause', () => {
    const bucket = new TokenBucket(5, 10, 0);
    expect(takeAll(bucket, 3_600_000, 100)).toBe(10);
  });

  it('ignores a clock that goes backwards', () => {
    const bucket = new TokenBucket(1, 1, 1000);
    expect(bucket.take(1000)).toBe(true);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(2000)).toBe(true);
  });

  it('rejects a rate or burst that cannot work', () => {
    expect(() => new TokenBucket(0, 1, 0)).toThrow(/rate > 0/);
    expect(() => new TokenBucket(1, 0.5, 0)).toThrow(/burst >= 1/);
    expect(() => new TokenBucket(Number.NaN, 2, 0)).toThrow(RangeError);
  });
});
