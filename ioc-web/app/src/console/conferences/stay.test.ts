import { describe, expect, it } from 'vitest';
import { stayOf } from './stay';

describe('how long a peer stayed', () => {
  it('splits the stay into hours and minutes, rounded to the minute', () => {
    expect(stayOf('2026-06-01T02:00:00Z', '2026-06-01T02:35:00Z')).toEqual({
      hours: 0,
      minutes: 35,
    });
    expect(stayOf('2026-06-01T02:00:00Z', '2026-06-01T03:05:29Z')).toEqual({
      hours: 1,
      minutes: 5,
    });
    expect(stayOf('2026-06-01T02:00:00Z', '2026-06-01T04:59:31Z')).toEqual({
      hours: 3,
      minutes: 0,
    });
    // A leave logged without its join (joined = left).
    expect(stayOf('2026-06-01T02:00:00Z', '2026-06-01T02:00:00Z')).toEqual({
      hours: 0,
      minutes: 0,
    });
  });

  it('gives nothing for times that are not dates or run backwards', () => {
    expect(stayOf('yesterday', '2026-06-01T02:00:00Z')).toBeUndefined();
    expect(stayOf('2026-06-01T02:00:00Z', '')).toBeUndefined();
    expect(stayOf('2026-06-01T02:00:00Z', '2026-06-01T01:59:00Z')).toBeUndefined();
  });
});
