// Geometry the wall needs from the unit boundaries: where to write a unit's name, which
// units make the mainland view (far islands such as Hoàng Sa would shrink it to a dot),
// and each unit's KPI colour.
import type { KpiBreakdown, UnitCollection, UnitFeature } from './wall-api';

type Ring = number[][];

export interface UnitLabel {
  code: string;
  name: string;
  position: [number, number];
  /** Bounding-box width in degrees: how much room the name has. */
  widthDeg: number;
}

export function unitLabels(units: UnitCollection, level: number): UnitLabel[] {
  return units.features.flatMap((feature) => {
    if (feature.properties.level !== level) return [];
    const ring = largestRing(feature);
    if (!ring) return [];
    const [west, , east] = boundsOf(ring);
    return [
      {
        code: feature.properties.code,
        name: feature.properties.name,
        position: ringCentroid(ring),
        widthDeg: east - west,
      },
    ];
  });
}

/** Every unit's centre (of its largest part), by code: where a unit's marker goes. */
export function unitCentroids(units: UnitCollection): Map<string, [number, number]> {
  const centres = new Map<string, [number, number]>();
  for (const feature of units.features) {
    const ring = largestRing(feature);
    if (ring) centres.set(feature.properties.code, ringCentroid(ring));
  }
  return centres;
}

/** [west, south, east, north] of the units around the median unit (islands far off left out). */
export function mainlandBounds(units: UnitCollection): [number, number, number, number] | null {
  const boxes = units.features
    .filter((f) => f.properties.level >= 1)
    .map((f) => featureBounds(f))
    .filter((b): b is [number, number, number, number] => b !== null);
  if (boxes.length === 0) {
    const all = units.features.map(featureBounds).filter((b) => b !== null);
    return all.length ? union(all) : null;
  }
  const centre = (b: number[]) => [
    ((b[0] ?? 0) + (b[2] ?? 0)) / 2,
    ((b[1] ?? 0) + (b[3] ?? 0)) / 2,
  ];
  const median = (values: number[]) =>
    values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const mx = median(boxes.map((b) => centre(b)[0] ?? 0));
  const my = median(boxes.map((b) => centre(b)[1] ?? 0));
  const near = boxes.filter((b) => {
    const [x = 0, y = 0] = centre(b);
    return Math.hypot(x - mx, y - my) < 1.5;
  });
  return union(near.length ? near : boxes);
}

function union(boxes: number[][]): [number, number, number, number] {
  return [
    Math.min(...boxes.map((b) => b[0] ?? 180)),
    Math.min(...boxes.map((b) => b[1] ?? 90)),
    Math.max(...boxes.map((b) => b[2] ?? -180)),
    Math.max(...boxes.map((b) => b[3] ?? -90)),
  ];
}

function featureBounds(feature: UnitFeature): [number, number, number, number] | null {
  const rings = outerRings(feature);
  if (rings.length === 0) return null;
  return union(rings.map(boundsOf));
}

function outerRings(feature: UnitFeature): Ring[] {
  const { geometry } = feature;
  if (!Array.isArray(geometry.coordinates)) return [];
  if (geometry.type === 'Polygon') return geometry.coordinates.slice(0, 1);
  return geometry.coordinates.flatMap((polygon) => polygon.slice(0, 1));
}

function largestRing(feature: UnitFeature): Ring | undefined {
  let best: Ring | undefined;
  let bestArea = -1;
  for (const ring of outerRings(feature)) {
    const area = Math.abs(signedArea(ring));
    if (area > bestArea) {
      best = ring;
      bestArea = area;
    }
  }
  return best;
}

function boundsOf(ring: Ring): [number, number, number, number] {
  let [w, s, e, n] = [180, 90, -180, -90];
  for (const [x = 0, y = 0] of ring) {
    w = Math.min(w, x);
    e = Math.max(e, x);
    s = Math.min(s, y);
    n = Math.max(n, y);
  }
  return [w, s, e, n];
}

function signedArea(ring: Ring): number {
  let area = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi = 0, yi = 0] = ring[i] ?? [];
    const [xj = 0, yj = 0] = ring[j] ?? [];
    area += xj * yi - xi * yj;
  }
  return area / 2;
}

function ringCentroid(ring: Ring): [number, number] {
  const area = signedArea(ring);
  if (Math.abs(area) < 1e-12) {
    const [w, s, e, n] = boundsOf(ring);
    return [(w + e) / 2, (s + n) / 2];
  }
  let cx = 0;
  let cy = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi = 0, yi = 0] = ring[i] ?? [];
    const [xj = 0, yj = 0] = ring[j] ?? [];
    const f = xj * yi - xi * yj;
    cx += (xi + xj) * f;
    cy += (yi + yj) * f;
  }
  return [cx / (6 * area), cy / (6 * area)];
}

/** Worse than target to better than target; orange–purple is safe for colour-blind viewers. */
export const CHOROPLETH_STEPS = [
  { key: 'farBelow', colour: '#b35806' },
  { key: 'below', colour: '#f1a340' },
  { key: 'near', colour: '#d8daeb' },
  { key: 'meets', colour: '#998ec3' },
  { key: 'above', colour: '#542788' },
] as const;
export type ChoroplethStep = (typeof CHOROPLETH_STEPS)[number]['key'];
export const NO_DATA_COLOUR = '#17293a';

/** The step for a unit's value: how far it is from the target, in the KPI's good direction. */
export function choroplethStep(
  value: number | null,
  breakdown: Pick<KpiBreakdown, 'target' | 'direction' | 'children'>,
): ChoroplethStep | null {
  if (value === null) return null;
  const sign = breakdown.direction === 'lower' ? -1 : 1;
  let reference = breakdown.target;
  if (reference === null) {
    // No target: compare with the median of the units.
    const values = breakdown.children.flatMap((c) => (c.value === null ? [] : [c.value]));
    values.sort((a, b) => a - b);
    reference = values[Math.floor(values.length / 2)] ?? value;
  }
  const scale = Math.max(Math.abs(reference), 1e-9);
  const gap = (sign * (value - reference)) / scale;
  if (gap < -0.1) return 'farBelow';
  if (gap < -0.02) return 'below';
  if (gap < 0) return 'near';
  if (gap < 0.03) return 'meets';
  return 'above';
}

/** The boundaries with a `fill` colour per unit, for the map's fill layer. */
export function withChoropleth(units: UnitCollection, breakdown?: KpiBreakdown): UnitCollection {
  const values = new Map(breakdown?.children.map((c) => [c.unit, c.value]));
  const colours = new Map<string, string>(CHOROPLETH_STEPS.map((s) => [s.key, s.colour]));
  return {
    type: 'FeatureCollection',
    features: units.features.map((feature) => {
      const step = breakdown
        ? choroplethStep(values.get(feature.properties.code) ?? null, breakdown)
        : null;
      return {
        ...feature,
        properties: { ...feature.properties, fill: (step && colours.get(step)) ?? NO_DATA_COLOUR },
      };
    }),
  };
}
