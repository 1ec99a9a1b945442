import { describe, expect, it } from 'vitest';
import { formatLocalMinute, parseLocalMinute } from './local-time';

describe('conference times in Viet Nam time', () => {
  it('reads dd/MM/yyyy HH:mm as UTC+7', () => {
    expect(parseLocalMinute('01/12/2026 08:30')?.toISOString()).toBe('2026-12-01T01:30:00.000Z');
    expect(parseLocalMinute(' 1/2/2026 0:05 ')?.toISOString()).toBe('2026-01-31T17:05:00.000Z');
    expect(parseLocalMinute('31/12/2026 23:59')?.toISOString()).toBe('2026-12-31T16:59:00.000Z');
  });

  it('refuses what names no minute', () => {
    for (const text of [
      '',
      '2026-12-01 08:30',
      '31/02/2026 08:00',
      '01/13/2026 08:00',
      '01/12/2026 24:00',
      '01/12/2026 8:3',
      '01/12/2026 08:30 PM',
    ]) {
      expect(parseLocalMinute(text), text).toBeUndefined();
    }
  });

  it('writes an instant back the way it is read', () => {
    const instant = new Date('2026-06-30T18:45:00Z');
    expect(formatLocalMinute(instant)).toBe('01/07/2026 01:45');
    expect(parseLocalMinute(formatLocalMinute(instant))).toEqual(instant);
  });
});
