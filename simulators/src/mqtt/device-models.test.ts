import { type DeviceCatalogue, loadDeviceCatalogue } from '@ioc/devices';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDeviceModel, type FaultRates, localTime, type Reading } from './device-models.js';
import { DEMO_DEVICE_TYPES, type DemoDevice, type DemoDeviceType } from './fleet-plan.js';
import { type RainfallSource, StormTimeline } from './rainfall-feed.js';

let catalogue: DeviceCatalogue;

beforeAll(async () => {
  catalogue = await loadDeviceCatalogue();
});

// 2026-11-21 00:00 in Đà Nẵng (UTC+7).
const MIDNIGHT = Date.UTC(2026, 10, 20, 17);
const HOUR = 3_600_000;
const NO_FAULTS: FaultRates = { dropout: 0, stuck: 0, spike: 0 };

function device(type: DemoDeviceType, lon = 108.0, id = `${type}-x-01`): DemoDevice {
  return { id, type, unit: '20242', name: id, lon, lat: 16.05, tags: {} };
}

function model(
  type: DemoDeviceType,
  rainfall: RainfallSource,
  faults: Partial<FaultRates> = NO_FAULTS,
  lon?: number,
) {
  const catalogueType = catalogue.get(type);
  if (!catalogueType) throw new Error(`catalogue lacks ${type}`);
  return createDeviceModel({
    device: device(type, lon),
    type: catalogueType,
    rainfall,
    seed: 5,
    faults,
  });
}

/** Readings every `stepMs` over `hours` from `start`. */
function run(m: ReturnType<typeof model>, start: number, hours: number, stepMs = 60_000) {
  const out: Array<{ at: number; reading: Reading | undefined }> = [];
  for (let at = start; at <= start + hours * HOUR; at += stepMs)
    out.push({ at, reading: m.read(at) });
  return out;
}

const dry: RainfallSource = { intensityAt: () => 0 };

describe('device models', () => {
  it('keeps every metric of every type inside its catalogue range over two stormy days', () => {
    for (const type of DEMO_DEVICE_TYPES) {
      const storms = new StormTimeline({ seed: 9, startAt: MIDNIGHT });
      const metrics = catalogue.get(type)?.metrics ?? [];
      for (const { reading } of run(model(type, storms), MIDNIGHT, 48)) {
        expect(reading, type).toBeDefined();
        expect(Object.keys(reading?.values ?? {}).sort()).toEqual(metrics.map((m) => m.key).sort());
        for (const metric of metrics) {
          const value = reading?.values[metric.key] as number;
          expect(value, `${type}.${metric.key}`).toBeGreaterThanOrEqual(metric.min ?? 0);
          expect(value, `${type}.${metric.key}`).toBeLessThanOrEqual(metric.max ?? Infinity);
          if (metric.kind === 'integer') expect(Number.isInteger(value)).toBe(true);
        }
      }
    }
  });

  it('goes out of range only in a deliberate spike, and spikes are rare by default', () => {
    const storms = new StormTimeline({ seed: 4, startAt: MIDNIGHT });
    const metrics = catalogue.get('water-level')?.metrics ?? [];
    const readings = run(model('water-level', storms, {}), MIDNIGHT, 24 * 7).map((r) => r.reading);
    const outOfRange = (r: Reading) =>
      metrics.some(
        (m) =>
          (r.values[m.key] as number) > (m.max as number) ||
          (r.values[m.key] as number) < (m.min as number),
      );
    const sent = readings.filter((r): r is Reading => r !== undefined);
    for (const r of sent) expect(outOfRange(r)).toBe(r.fault === 'spike');
    const dropped = readings.length - sent.length;
    expect(dropped).toBeGreaterThan(0); // ~1 % of 10 081
    expect(dropped).toBeLessThan(readings.length * 0.03);
    expect(sent.filter((r) => r.fault === 'spike').length).toBeLessThan(sent.length * 0.005);
  });

  it('injects each fault when asked: dropouts, stuck values, spikes above the range', () => {
    const dropping = model('weather', dry, { ...NO_FAULTS, dropout: 1 });
    expect(run(dropping, MIDNIGHT, 1).every((r) => r.reading === undefined)).toBe(true);

    const spiking = model('dc-environment', dry, { ...NO_FAULTS, spike: 1 });
    for (const { reading } of run(spiking, MIDNIGHT, 1)) {
      expect(reading?.fault).toBe('spike');
      const over = catalogue
        .get('dc-environment')
        ?.metrics.filter((m) => (reading?.values[m.key] as number) > (m.max as number));
      expect(over).toHaveLength(1);
    }

    const sticking = model('weather', dry, { ...NO_FAULTS, stuck: 1 });
    const readings = run(sticking, MIDNIGHT, 10).map((r) => r.reading as Reading);
    expect(readings[0]?.fault).toBeUndefined();
    const frozen = Object.keys(readings[0]?.values ?? {}).filter((key) =>
      readings.slice(1, 21).every((r) => r.values[key] === readings[0]?.values[key]),
    );
    expect(frozen).toHaveLength(1);
    expect(readings.slice(1, 21).every((r) => r.fault === 'stuck')).toBe(true);
  });

  it('raises rain with a storm, and the water level after it, then lets it fall again', () => {
    const storms = new StormTimeline({ seed: 11, startAt: MIDNIGHT });
    const gauge = run(model('rain-gauge', storms), MIDNIGHT, 3, 30_000);
    const level = run(model('water-level', storms), MIDNIGHT, 3, 30_000);
    const rain = gauge.map((g) => g.reading?.values.rain_mm_h as number);
    const stage = level.map((l) => l.reading?.values.level_cm as number);
    const rainPeak = rain.indexOf(Math.max(...rain));
    const stagePeak = stage.indexOf(Math.max(...stage));
    const stormStart = rain.findIndex((r) => r > 0);
    expect(rain[rainPeak]).toBeGreaterThan(10);
    expect(stormStart).toBeGreaterThanOrEqual(0);
    expect(stagePeak).toBeGreaterThan(rainPeak);
    expect((stage[stagePeak] as number) - (stage[stormStart] as number)).toBeGreaterThan(20);
    expect(stage.at(-1) as number).toBeLessThan((stage[stagePeak] as number) - 10);
    // The daily total only grows during the storm.
    const totals = gauge.map((g) => g.reading?.values.rain_total_mm as number);
    expect(totals.every((t, i) => i === 0 || t >= (totals[i - 1] as number))).toBe(true);
    expect(totals.at(-1)).toBeGreaterThan(2);
  });

  it('restarts the daily rain total at midnight in Đà Nẵng', () => {
    const steady: RainfallSource = { intensityAt: () => 12 };
    const gauge = model('rain-gauge', steady, NO_FAULTS, 108.74);
    const before = run(gauge, MIDNIGHT - 2 * HOUR, 1.99).at(-1)?.reading?.values.rain_total_mm;
    expect(before).toBeGreaterThan(15);
    const after = gauge.read(MIDNIGHT + 10 * 60_000)?.values.rain_total_mm;
    expect(after).toBeLessThan(3);
  });

  it('follows the day: rush-hour air pollution and afternoon warmth in local time', () => {
    expect(localTime(MIDNIGHT).hour).toBe(0);
    expect(localTime(MIDNIGHT + 7.5 * HOUR).hour).toBe(7.5);
    const mean = (type: DemoDeviceType, key: string, hour: number) => {
      const m = model(type, dry);
      let sum = 0;
      for (let day = 0; day < 5; day++)
        sum += m.read(MIDNIGHT + day * 24 * HOUR + hour * HOUR)?.values[key] as number;
      return sum / 5;
    };
    expect(mean('air-quality', 'pm25', 7.5)).toBeGreaterThan(1.5 * mean('air-quality', 'pm25', 3));
    expect(mean('traffic-counter', 'vehicles', 17.5)).toBeGreaterThan(
      3 * mean('traffic-counter', 'vehicles', 2),
    );
    expect(mean('weather', 'temperature_c', 14)).toBeGreaterThan(
      mean('weather', 'temperature_c', 5) + 4,
    );
  });

  it('refuses a device whose type does not match the catalogue type given', () => {
    const weatherType = catalogue.get('weather');
    if (!weatherType) throw new Error('catalogue lacks weather');
    expect(() =>
      createDeviceModel({
        device: device('rain-gauge'),
        type: weatherType,
        rainfall: dry,
        seed: 1,
      }),
    ).toThrow(/is a rain-gauge, not a weather/);
  });
});
