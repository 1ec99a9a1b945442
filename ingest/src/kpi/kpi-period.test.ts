import { describe, expect, it } from 'vitest';
import { KpiPeriod, MAX_KPI_PERIOD_DAYS } from './kpi-period.js';
import { isLocalDate, localDateOf, localMidnight, mondayOf } from './local-day.js';

describe('local days in Asia/Ho_Chi_Minh', () => {
  it('puts a day at its local midnight (17:00 UTC the day before) and back', () => {
    expect(new Date(localMidnight('2026-01-01')).toISOString()).toBe('2025-12-31T17:00:00.000Z');
    expect(localDateOf(Date.parse('2025-12-31T16:59:59Z'))).toBe('2025-12-31');
    expect(localDateOf(Date.parse('2025-12-31T17:00:00Z'))).toBe('2026-01-01');
    expect(mondayOf('2026-03-01')).toBe('2026-02-23'); // a Sunday
    expect(mondayOf('2026-03-02')).toBe('2026-03-02');
  });

  it('accepts real calendar days only', () => {
    expect(isLocalDate('2024-02-29')).toBe(true);
    expect(isLocalDate('2025-02-29')).toBe(false);
    expect(isLocalDate('2025-13-01')).toBe(false);
    expect(isLocalDate('2025-1-01')).toBe(false);
    expect(isLocalDate('2025-01-01T00:00:00Z')).toBe(false);
  });
});

describe('KpiPeriod', () => {
  const now = Date.parse('2026-03-15T03:00:00Z'); // 10:00 on 15/03/2026 in Đà Nẵng

  it('defaults to the 30 days up to today, by day', () => {
    const period = KpiPeriod.parse({}, now);
    expect([period.from, period.to, period.every]).toEqual(['2026-02-14', '2026-03-15', '1d']);
    expect(period.starts).toHaveLength(30);
  });

  it('widens to whole weeks (from Monday) and whole months', () => {
    const weeks = KpiPeriod.parse({ from: '2026-03-04', to: '2026-03-10', every: '1w' }, now);
    expect([weeks.from, weeks.to]).toEqual(['2026-03-02', '2026-03-15']);
    expect(weeks.starts).toEqual(['2026-03-02', '2026-03-09']);
    expect(weeks.bucketOf('2026-03-08')).toBe(0);
    expect(weeks.bucketOf('2026-03-09')).toBe(1);

    const quarters = KpiPeriod.parse({ from: '2025-02-10', to: '2025-12-01', every: '3mo' }, now);
    expect([quarters.from, quarters.to]).toEqual(['2025-02-01', '2026-01-31']);
    expect(quarters.starts).toEqual(['2025-02-01', '2025-05-01', '2025-08-01', '2025-11-01']);
    expect(quarters.bucketOf('2025-10-31')).toBe(2);

    const days = KpiPeriod.parse({ from: '2026-01-01', to: '2026-01-10', every: '7d' }, now);
    expect(days.starts).toEqual(['2026-01-01', '2026-01-08']);
    expect(days.to).toBe('2026-01-14');
  });

  it('takes ISO 8601 times as their local day', () => {
    const period = KpiPeriod.parse(
      { from: '2025-12-31T17:30:00Z', to: '2026-01-02T00:00:00+07:00' },
      now,
    );
    expect([period.from, period.to]).toEqual(['2026-01-01', '2026-01-02']);
  });

  it('refuses bad days, reversed ranges, bad buckets and over-long periods', () => {
    const refusal = (query: Parameters<typeof KpiPeriod.parse>[0]) => {
      try {
        KpiPeriod.parse(query, now);
      } catch (err) {
        return { code: (err as { code: string }).code, message: (err as Error).message };
      }
      throw new Error('expected a refusal');
    };
    expect(refusal({ from: '2026-02-30' })).toMatchObject({
      code: 'INVALID_QUERY',
      message: expect.stringContaining('from must be a day like 2026-03-31'),
    });
    expect(refusal({ to: '2026-01-01T00:00:00' }).code).toBe('INVALID_QUERY'); // no zone
    expect(refusal({ from: '2026-03-10', to: '2026-03-01' }).message).toContain('is after');
    expect(refusal({ every: '1h' }).message).toContain('1d, 7d, 1w or 1mo');
    expect(refusal({ every: '0d' }).code).toBe('INVALID_QUERY');
    expect(refusal({ from: '2000-01-01', to: '2026-01-01' })).toMatchObject({
      code: 'PERIOD_TOO_LONG',
      message: expect.stringContaining(`at most ${MAX_KPI_PERIOD_DAYS}`),
    });
  });
});
