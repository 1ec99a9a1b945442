import { describe, expect, it } from 'vitest';
import {
  clampWindow,
  everyFor,
  MAX_SPAN_MS,
  MIN_SPAN_MS,
  RANGE_MS,
  RANGES,
  zoomed,
} from './history-range';

describe('history chart windows', () => {
  it('asks the server for at most 400 buckets at every preset, finer for shorter windows', () => {
    const steps = RANGES.map((r) => everyFor(RANGE_MS[r]));
    expect(steps).toEqual(['1m', '1m', '5m', '1h', '3h', '6h', '1d']);
    const ms: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
    for (const r of RANGES.slice(0, -1)) {
      const every = everyFor(RANGE_MS[r]);
      const step = Number(every.slice(0, -1)) * (ms[every.slice(-1)] ?? 0);
      expect(RANGE_MS[r] / step).toBeLessThanOrEqual(400);
    }
  });

  it('keeps a zoom between 1 hour and 1 year and never in the future', () => {
    const now = Date.parse('2026-11-20T05:00:00Z');
    const tiny = clampWindow(now - 60_000, now, now);
    expect(tiny.to.getTime() - tiny.from.getTime()).toBe(MIN_SPAN_MS);
    expect(tiny.to.getTime()).toBe(now);
    const huge = clampWindow(now - 5 * MAX_SPAN_MS, now, now);
    expect(huge.to.getTime() - huge.from.getTime()).toBe(MAX_SPAN_MS);
    const window = { from: new Date(now - RANGE_MS['24h']), to: new Date(now) };
    const inward = zoomed(window, 0.5, now);
    expect(inward.to.getTime() - inward.from.getTime()).toBe(RANGE_MS['24h'] / 2);
    const outward = zoomed(window, 2, now);
    expect(outward.to.getTime()).toBe(now);
    expect(outward.to.getTime() - outward.from.getTime()).toBe(2 * RANGE_MS['24h']);
  });
});
