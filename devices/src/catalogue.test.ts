import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEVICE_CATALOGUE_FILE, DeviceCatalogue, loadDeviceCatalogue } from './catalogue.js';
import { SECTOR_IDS, SECTORS } from './sectors.js';

const scratch = mkdtempSync(join(tmpdir(), 'ioc-catalogue-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the shipped device catalogue', () => {
  it('loads the eight device types with their metrics', async () => {
    const catalogue = await loadDeviceCatalogue();
    expect(catalogue.types().map((t) => t.id)).toEqual([
      'water-level',
      'rain-gauge',
      'air-quality',
      'weather',
      'traffic-counter',
      'dc-environment',
      'pump-station',
      'sluice-gate',
    ]);
    const keys = (id: string) => catalogue.get(id)?.metrics.map((m) => m.key);
    expect(keys('water-level')).toEqual(['level_cm', 'battery_v']);
    expect(keys('rain-gauge')).toEqual(['rain_mm_h', 'rain_total_mm']);
    expect(keys('air-quality')).toEqual(['pm25', 'pm10', 'no2', 'o3', 'aqi']);
    expect(keys('weather')).toEqual(['temperature_c', 'humidity_pct', 'wind_ms', 'pressure_hpa']);
    expect(keys('traffic-counter')).toEqual(['vehicles', 'avg_speed_kmh']);
    expect(keys('dc-environment')).toEqual(['temperature_c', 'humidity_pct']);
    expect(keys('pump-station')).toEqual([
      'running',
      'flow_m3s',
      'inlet_level_cm',
      'motor_current_a',
    ]);
    expect(keys('sluice-gate')).toEqual([
      'opening_pct',
      'upstream_level_cm',
      'downstream_level_cm',
    ]);
  });

  it('describes each type and metric in Vietnamese and English with units and ranges', async () => {
    const catalogue = await loadDeviceCatalogue(DEVICE_CATALOGUE_FILE);
    expect(catalogue.get('water-level')).toMatchObject({
      name: { vi: 'Trạm đo mực nước', en: 'Water level station' },
      sector: 'environment',
      reportIntervalS: 300,
    });
    expect(catalogue.metric('air-quality', 'pm25')).toEqual({
      key: 'pm25',
      name: { vi: 'Bụi PM2.5', en: 'PM2.5' },
      unit: 'ug/m3',
      unitDisplay: 'µg/m³',
      kind: 'number',
      min: 0,
      max: 1000,
    });
    expect(catalogue.metric('pump-station', 'running')).toMatchObject({
      kind: 'boolean',
      unitDisplay: '',
    });
    expect(catalogue.metric('pump-station', 'running')).not.toHaveProperty('min');
    expect(catalogue.metric('traffic-counter', 'vehicles')).toMatchObject({ kind: 'integer' });
    expect(catalogue.metric('water-level', 'pm25')).toBeUndefined();
    expect(catalogue.metric('no-such-type', 'level_cm')).toBeUndefined();
    expect(catalogue.get('no-such-type')).toBeUndefined();
    for (const type of catalogue.types()) {
      expect(SECTOR_IDS).toContain(type.sector);
      expect(type.name.vi).toBe(type.name.vi.normalize('NFC'));
      for (const metric of type.metrics) {
        if (metric.kind !== 'boolean') expect(metric.min).toBeLessThan(metric.max as number);
      }
    }
    expect(catalogue.get('pump-station')?.sector).toBe('agriculture');
    expect(catalogue.get('dc-environment')?.sector).toBe('it-infrastructure');
    expect(catalogue.get('traffic-counter')?.sector).toBe('transport');
  });

  it('is immutable', async () => {
    const catalogue = await loadDeviceCatalogue();
    const type = catalogue.get('weather');
    expect(() => {
      (type as { reportIntervalS: number }).reportIntervalS = 1;
    }).toThrow(TypeError);
    expect(Object.isFrozen(type?.metrics[0])).toBe(true);
  });

  it('labels the seven sectors in Vietnamese and English', () => {
    expect(SECTOR_IDS).toEqual([
      'environment',
      'agriculture',
      'transport',
      'health',
      'construction',
      'it-infrastructure',
      'public-services',
    ]);
    expect(SECTORS.environment).toEqual({
      vi: 'Tài nguyên và Môi trường',
      en: 'Natural resources and environment',
    });
  });
});

/** A valid one-type catalogue to break in each test. */
function minimal() {
  return {
    types: [
      {
        id: 'tide-gauge',
        name: { vi: 'Trạm đo triều', en: 'Tide gauge' },
        sector: 'environment',
        reportIntervalS: 600,
        metrics: [
          {
            key: 'tide_cm',
            name: { vi: 'Mực nước triều', en: 'Tide level' },
            unit: 'cm',
            kind: 'number',
            min: -300,
            max: 500,
          },
        ],
      },
    ],
  };
}

type Catalogue = ReturnType<typeof minimal>;
type Metric = Catalogue['types'][0]['metrics'][0] & Record<string, unknown>;

describe('catalogue validation', () => {
  const rejects = (change: (data: Catalogue & Record<string, unknown>) => void) => {
    const data = minimal();
    change(data);
    return expect(() => DeviceCatalogue.from(data, 'test.json'));
  };
  const metric = (data: Catalogue) => data.types[0]?.metrics[0] as Metric;

  it('extends by data: a new type needs no code', () => {
    const catalogue = DeviceCatalogue.from(minimal());
    expect(catalogue.get('tide-gauge')?.metrics[0]).toMatchObject({ unitDisplay: 'cm' });
  });

  it('normalises text to NFC', () => {
    const data = minimal();
    (data.types[0] as { name: { vi: string } }).name.vi = 'Trạm đo triều'.normalize('NFD');
    expect(DeviceCatalogue.from(data).get('tide-gauge')?.name.vi).toBe(
      'Trạm đo triều'.normalize('NFC'),
    );
  });

  it('names the place and the expectation for schema errors', () => {
    const invalid = { name: 'StartupError', code: 'DEVICE_CATALOGUE_INVALID' };
    rejects((d) => {
      (d.types[0] as { sector: string }).sector = 'tourism';
    }).toThrow(
      expect.objectContaining({
        ...invalid,
        message: expect.stringMatching(
          /^test\.json: \/types\/0\/sector is "tourism"; expected one of environment, agriculture/,
        ),
      }),
    );
    rejects((d) => {
      delete (d.types[0] as { name: { vi?: string } }).name.vi;
    }).toThrow('test.json: /types/0/name/vi is missing; add non-empty text');
    rejects((d) => {
      metric(d).kind = 'float';
    }).toThrow('/types/0/metrics/0/kind is "float"; expected one of number, integer, boolean');
    rejects((d) => {
      metric(d).key = 'Tide Level';
    }).toThrow(/\/types\/0\/metrics\/0\/key is "Tide Level"; expected a metric key of lower-case/);
    rejects((d) => {
      (d.types[0] as { reportIntervalS: number }).reportIntervalS = 0;
    }).toThrow('/types/0/reportIntervalS is 0; expected the expected seconds between two reports');
    rejects((d) => {
      metric(d).colour = 'blue';
    }).toThrow('/types/0/metrics/0/colour is not a known field; remove it or correct its spelling');
    rejects((d) => {
      d.types = [];
    }).toThrow('/types is []; expected at least one device type');
    expect(() => DeviceCatalogue.from([], 'test.json')).toThrow(/test\.json: \(root\) is \[\]/);
  });

  it('refuses duplicate ids and keys, bad ranges and bounds on booleans', () => {
    rejects((d) => {
      d.types.push(structuredClone(d.types[0] as Catalogue['types'][0]));
    }).toThrow('test.json: /types/1/id: type "tide-gauge" is defined twice');
    rejects((d) => {
      d.types[0]?.metrics.push(structuredClone(metric(d)));
    }).toThrow('/types/0/metrics/1/key: metric "tide_cm" appears twice in type "tide-gauge"');
    rejects((d) => {
      metric(d).min = 600;
    }).toThrow('/types/0/metrics/0: metric "tide_cm" has min 600 above max 500');
    rejects((d) => {
      delete (metric(d) as Partial<Metric>).max;
    }).toThrow('/types/0/metrics/0: number metric "tide_cm" needs both "min" and "max"');
    rejects((d) => {
      metric(d).kind = 'integer';
      metric(d).min = -0.5;
    }).toThrow('integer metric "tide_cm" needs whole-number min and max');
    rejects((d) => {
      metric(d).kind = 'boolean';
    }).toThrow('boolean metric "tide_cm" cannot have min or max; remove them');
  });

  it('reports a missing file and a file that is not JSON', async () => {
    const missing = join(scratch, 'missing.json');
    await expect(loadDeviceCatalogue(missing)).rejects.toMatchObject({
      code: 'DEVICE_CATALOGUE_MISSING',
      message: expect.stringContaining(`cannot read the device catalogue ${missing}`),
    });
    const broken = join(scratch, 'broken.json');
    writeFileSync(broken, '{"types": [');
    await expect(loadDeviceCatalogue(broken)).rejects.toMatchObject({
      code: 'DEVICE_CATALOGUE_INVALID',
      message: expect.stringContaining(`device catalogue ${broken} is not valid JSON`),
    });
    const wrong = join(scratch, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ types: [{ id: 'x' }] }));
    await expect(loadDeviceCatalogue(wrong)).rejects.toMatchObject({
      code: 'DEVICE_CATALOGUE_INVALID',
      message: expect.stringContaining(`device catalogue ${wrong}: /types/0/`),
    });
  });
});
