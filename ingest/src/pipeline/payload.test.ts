import { describe, expect, it } from 'vitest';
import { parseTelemetryPayload } from './payload.js';

const receivedAt = new Date('2026-11-21T03:00:00.000Z');
const parse = (payload: unknown, maxBytes = 4096) =>
  parseTelemetryPayload(
    'dev-1',
    Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
    receivedAt,
    { maxBytes },
  );

describe('parseTelemetryPayload: simple JSON', () => {
  it('reads epoch ms and ISO 8601 with an offset', () => {
    expect(parse({ ts: 1795230000123, values: { a: 1, b: false } }).readings).toEqual([
      {
        deviceId: 'dev-1',
        ts: new Date(1795230000123),
        values: { a: 1, b: false },
        source: 'mqtt',
        receivedAt,
      },
    ]);
    const [reading] = parse({ ts: '2026-11-21T10:00:00.5+07:00', values: { a: 1 } }).readings;
    expect(reading?.ts?.toISOString()).toBe('2026-11-21T03:00:00.500Z');
  });

  it('refuses a timestamp without a zone, a date-only one and a non-number', () => {
    for (const ts of ['2026-11-21T03:00:00', '2026-11-21', true, 'Sat Nov 21 2026']) {
      expect(parse({ ts, values: { a: 1 } }).rejections[0]?.code).toBe('BAD_TIMESTAMP');
    }
  });

  it('refuses empty or missing values and counts the payload size in bytes', () => {
    expect(parse({ values: {} }).rejections[0]?.code).toBe('UNSUPPORTED_SHAPE');
    expect(parse({ ts: 1 }).rejections[0]?.code).toBe('UNSUPPORTED_SHAPE');
    expect(parse('null').rejections[0]?.code).toBe('UNSUPPORTED_SHAPE');
    // 6 characters but 12 bytes of UTF-8.
    expect(parse('"ệệệệ"', 11).rejections[0]?.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('parseTelemetryPayload: SenML', () => {
  it('groups records by time, applies bn, bt, bv and relative times', () => {
    const bt = 1795230000;
    const parsed = parse([
      { bn: 'dev-1/', bt, bv: 100, n: 'a', v: 1 },
      { n: 'b', vb: true },
      { n: 'a', v: 2, t: 1.5 },
    ]);
    expect(parsed.rejections).toEqual([]);
    expect(parsed.readings.map((r) => [r.ts?.getTime(), r.values])).toEqual([
      [bt * 1000, { a: 101, b: true }],
      [bt * 1000 + 1500, { a: 102 }],
    ]);
    // t below 2^28 is relative to now: -60 is a minute before receipt.
    const [relative] = parse([{ n: 'a', v: 1, t: -60 }]).readings;
    expect(relative?.ts?.getTime()).toBe(receivedAt.getTime() - 60_000);
    // No time at all: the pipeline uses the receive time.
    expect(parse([{ n: 'a', v: 1 }]).readings[0]?.ts).toBeUndefined();
  });

  it('refuses bad records one by one', () => {
    const parsed = parse([
      { n: 'a', vs: 'text' },
      { n: 'b', v: 'NaN' },
      { n: 'c', v: 1, t: 'now' },
      { v: 1 },
      { n: 'other/d', v: 1 },
      { n: 'e', v: 3 },
    ]);
    expect(parsed.readings.map((r) => r.values)).toEqual([{ e: 3 }]);
    expect(parsed.rejections.map((r) => [r.code, r.metric])).toEqual([
      ['WRONG_TYPE', 'a'],
      ['WRONG_TYPE', 'b'],
      ['BAD_TIMESTAMP', 'c'],
      ['UNSUPPORTED_SHAPE', undefined],
      ['UNSUPPORTED_SHAPE', undefined],
    ]);
  });

  it('refuses an empty array, a non-object record and a bad base time outright', () => {
    expect(parse([]).rejections[0]?.code).toBe('UNSUPPORTED_SHAPE');
    expect(parse([{ n: 'a', v: 1 }, 5]).rejections).toEqual([
      { code: 'UNSUPPORTED_SHAPE', message: 'SenML record 1 is not an object' },
    ]);
    expect(parse([{ bt: 'x', n: 'a', v: 1 }]).rejections[0]?.code).toBe('BAD_TIMESTAMP');
  });
});
