import type { Device, DeviceCatalogue } from '@ioc/devices';
import { loadDeviceCatalogue } from '@ioc/devices';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_AGE_MS, DEFAULT_MAX_FUTURE_MS, validateReading } from './validator.js';

let catalogue: DeviceCatalogue;
beforeAll(async () => {
  catalogue = await loadDeviceCatalogue();
});

const now = Date.UTC(2026, 10, 21, 3);
const options = { now, maxAgeMs: DEFAULT_MAX_AGE_MS, maxFutureMs: DEFAULT_MAX_FUTURE_MS };
const device = {
  id: 'tc-1',
  type: 'traffic-counter',
  unit: '20194',
  sector: 'transport',
  enabled: true,
  revokedAt: null,
} as Device;
const reading = (values: Record<string, number | boolean>, ts = now) => ({
  deviceId: 'tc-1',
  ts: new Date(ts),
  values,
  source: 'mqtt' as const,
  receivedAt: new Date(now),
});

describe('validateReading', () => {
  it('accepts the range bounds and whole numbers for integer metrics', () => {
    expect(
      validateReading(reading({ vehicles: 10000, avg_speed_kmh: 0 }), device, catalogue, options),
    ).toEqual({
      ts: now,
      values: { vehicles: 10000, avg_speed_kmh: 0 },
      rejections: [],
    });
  });

  it('names the range and unit of an out-of-range value', () => {
    const { rejections } = validateReading(
      reading({ avg_speed_kmh: 200.5 }),
      device,
      catalogue,
      options,
    );
    expect(rejections).toEqual([
      {
        code: 'OUT_OF_RANGE',
        metric: 'avg_speed_kmh',
        message: 'avg_speed_kmh 200.5 km/h is outside the valid range 0 to 200 km/h',
      },
    ]);
  });

  it('allows a device clock up to 5 minutes ahead and data up to 7 days old', () => {
    const ok = (ts: number) =>
      validateReading(reading({ vehicles: 1 }, ts), device, catalogue, options).rejections;
    expect(ok(now + DEFAULT_MAX_FUTURE_MS)).toEqual([]);
    expect(ok(now + DEFAULT_MAX_FUTURE_MS + 1)[0]?.code).toBe('TIMESTAMP_IN_FUTURE');
    expect(ok(now - DEFAULT_MAX_AGE_MS)).toEqual([]);
    expect(ok(now - DEFAULT_MAX_AGE_MS - 1)[0]?.code).toBe('TIMESTAMP_TOO_OLD');
    const narrow = { ...options, maxAgeMs: 3_600_000 };
    expect(
      validateReading(reading({ vehicles: 1 }, now - 3_600_001), device, catalogue, narrow)
        .rejections[0]?.message,
    ).toMatch(/older than 60 minutes/);
  });

  it('refuses every value of a disabled device or one of a type no longer in the catalogue', () => {
    const disabled = validateReading(
      reading({ vehicles: 1 }),
      { ...device, enabled: false },
      catalogue,
      options,
    );
    expect(disabled).toMatchObject({ values: {}, rejections: [{ code: 'DEVICE_DISABLED' }] });
    const gone = validateReading(
      reading({ vehicles: 1 }),
      { ...device, type: 'gone' },
      catalogue,
      options,
    );
    expect(gone.rejections[0]?.code).toBe('UNKNOWN_DEVICE_TYPE');
  });
});
