import type { AdminUnit, AdminUnitTree } from '@ioc/core';
import { foldDiacritics } from '@ioc/core';
import { SeededRandom } from '../random.js';

/** One simulated field device: what the registry is given, plus where it stands. */
export interface DemoDevice {
  id: string;
  /** Device type id of the catalogue. */
  type: DemoDeviceType;
  /** Code of the commune or ward the device stands in. */
  unit: string;
  /** Vietnamese display name. */
  name: string;
  lat: number;
  lon: number;
  tags: Record<string, string>;
}

export const DEMO_DEVICE_TYPES = [
  'water-level',
  'rain-gauge',
  'air-quality',
  'weather',
  'traffic-counter',
  'dc-environment',
] as const;
export type DemoDeviceType = (typeof DEMO_DEVICE_TYPES)[number];

/** How one type of the demo fleet is named and where it may stand. */
interface TypePlan {
  type: DemoDeviceType;
  /** Id prefix: `<prefix>-<unit slug>-<nn>`. */
  prefix: string;
  /** Vietnamese name before the unit's name. */
  label: string;
  /** Share of the fleet after the fixed data-centre sensors. */
  weight: number;
  /** Urban wards only (air quality, traffic), or every commune and ward. */
  urbanOnly: boolean;
}

const TYPE_PLANS: readonly TypePlan[] = [
  { type: 'water-level', prefix: 'wl', label: 'Trạm đo mực nước', weight: 0.2, urbanOnly: false },
  { type: 'rain-gauge', prefix: 'rg', label: 'Trạm đo mưa', weight: 0.2, urbanOnly: false },
  {
    type: 'air-quality',
    prefix: 'aq',
    label: 'Trạm quan trắc không khí',
    weight: 0.15,
    urbanOnly: true,
  },
  { type: 'weather', prefix: 'ws', label: 'Trạm khí tượng tự động', weight: 0.1, urbanOnly: false },
  {
    type: 'traffic-counter',
    prefix: 'tc',
    label: 'Điểm đếm phương tiện',
    weight: 0.35,
    urbanOnly: true,
  },
];

/** The city data centre (Trung tâm Hành chính, Hải Châu) and its four rack-row sensors. */
const DATA_CENTRE = {
  unit: '20242',
  lon: 108.2237,
  lat: 16.0775,
  sensors: 4,
  label: 'Cảm biến phòng máy chủ, Trung tâm dữ liệu thành phố',
};

export const MAX_DEMO_DEVICES = 20_000;
const MAX_PLACEMENT_TRIES = 2000;

/**
 * Decides the demo fleet: which devices, of which type, in which commune, at which point.
 * The same seed, size and unit dataset always give the same fleet, so restarts find the
 * devices they provisioned before.
 */
export function planDemoFleet(units: AdminUnitTree, seed: number, size: number): DemoDevice[] {
  if (!Number.isInteger(size) || size < 1 || size > MAX_DEMO_DEVICES) {
    throw new RangeError(
      `the demo fleet size must be a whole number from 1 to ${MAX_DEMO_DEVICES}; got ${size}`,
    );
  }
  const random = new SeededRandom(seed);
  const all = placeableUnits(units);
  const wards = all.filter((u) => u.type === 'ward');
  if (all.length === 0 || wards.length === 0) {
    throw new RangeError(
      `unit dataset ${units.dataset.id} has no communes or wards with a boundary to place demo devices in`,
    );
  }

  const devices: DemoDevice[] = dataCentreSensors(
    units,
    random,
    Math.min(size, DATA_CENTRE.sensors),
  );
  const counts = apportion(
    size - devices.length,
    TYPE_PLANS.map((p) => p.weight),
  );
  TYPE_PLANS.forEach((plan, i) => {
    const candidates = shuffled(plan.urbanOnly ? wards : all, random);
    const perUnit = new Map<string, number>();
    for (let n = 0; n < (counts[i] ?? 0); n++) {
      const unit = candidates[n % candidates.length] as AdminUnit;
      const number = (perUnit.get(unit.code) ?? 0) + 1;
      perUnit.set(unit.code, number);
      const nn = String(number).padStart(2, '0');
      const { lon, lat } = pointIn(units, unit, random);
      devices.push({
        id: `${plan.prefix}-${slug(unit)}-${nn}`,
        type: plan.type,
        unit: unit.code,
        name: `${plan.label} ${unit.name} ${nn}`,
        lon,
        lat,
        tags: { source: 'demo' },
      });
    }
  });
  return devices;
}

/** Communes and wards with a boundary; island special zones are left out. */
function placeableUnits(units: AdminUnitTree): AdminUnit[] {
  return units
    .all()
    .filter((u) => (u.type === 'commune' || u.type === 'ward') && u.geometry && u.bbox)
    .sort((a, b) => a.code.localeCompare(b.code));
}

function dataCentreSensors(
  units: AdminUnitTree,
  random: SeededRandom,
  count: number,
): DemoDevice[] {
  const unit = units.get(DATA_CENTRE.unit);
  if (!unit) return [];
  const inside = units.locate(DATA_CENTRE.lon, DATA_CENTRE.lat)?.code === unit.code;
  const { lon, lat } = inside ? DATA_CENTRE : pointIn(units, unit, random);
  return Array.from({ length: count }, (_, i) => {
    const nn = String(i + 1).padStart(2, '0');
    return {
      id: `dc-${slug(unit)}-${nn}`,
      type: 'dc-environment' as const,
      unit: unit.code,
      name: `${DATA_CENTRE.label} ${nn}`,
      lon,
      lat,
      tags: { source: 'demo', rack_row: String.fromCharCode(65 + i) },
    };
  });
}

/** Splits `total` by `weights` (largest remainder), so the parts always add up to `total`. */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const counts = exact.map(Math.floor);
  const order = exact
    .map((x, i) => ({ i, rest: x - Math.floor(x) }))
    .sort((a, b) => b.rest - a.rest || a.i - b.i);
  let left = total - counts.reduce((a, b) => a + b, 0);
  for (const { i } of order) {
    if (left-- <= 0) break;
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts;
}

function shuffled<T>(items: readonly T[], random: SeededRandom): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** A seeded point inside the unit's boundary (rejection sampling in its bounding box). */
function pointIn(
  units: AdminUnitTree,
  unit: AdminUnit,
  random: SeededRandom,
): { lon: number; lat: number } {
  const [minLon, minLat, maxLon, maxLat] = unit.bbox as [number, number, number, number];
  for (let i = 0; i < MAX_PLACEMENT_TRIES; i++) {
    const lon = round(random.between(minLon, maxLon), 5);
    const lat = round(random.between(minLat, maxLat), 5);
    if (units.locate(lon, lat)?.code === unit.code) return { lon, lat };
  }
  throw new RangeError(`could not place a demo device inside unit ${unit.code} (${unit.name})`);
}

/** `Hoà Xuân` → `hoa-xuan`: the unit's name as a device id segment. */
function slug(unit: AdminUnit): string {
  const text = unit.nameEn ?? foldDiacritics(unit.name);
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || unit.code
  );
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
