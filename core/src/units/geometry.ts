import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import type { BBox, Position } from 'geojson';
import type { UnitGeometry } from './types.js';

function rings(geometry: UnitGeometry): Position[][] {
  return geometry.type === 'Polygon' ? geometry.coordinates : geometry.coordinates.flat();
}

/** [minLon, minLat, maxLon, maxLat] over every vertex. */
export function bboxOf(geometry: UnitGeometry): BBox {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const ring of rings(geometry)) {
    for (const [x, y] of ring as [number, number][]) {
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  return [minX, minY, maxX, maxY];
}

export function bboxContains(bbox: BBox, lon: number, lat: number): boolean {
  return lon >= bbox[0] && lat >= bbox[1] && lon <= bbox[2] && lat <= bbox[3];
}

/** Point-in-polygon with the bbox as a cheap prefilter (boundary counts as inside). */
export function containsPoint(
  geometry: UnitGeometry,
  bbox: BBox,
  lon: number,
  lat: number,
): boolean {
  return bboxContains(bbox, lon, lat) && booleanPointInPolygon([lon, lat], geometry);
}

/**
 * Rough distance from a point to a geometry's outline, in degrees of latitude (longitude
 * scaled by cos(lat)). Only used to rank candidates, e.g. to put an island commune in the
 * nearest region when boundaries from different sources do not quite overlap.
 */
export function distanceToOutline(geometry: UnitGeometry, lon: number, lat: number): number {
  const kx = Math.cos((lat * Math.PI) / 180);
  let best = Number.POSITIVE_INFINITY;
  for (const ring of rings(geometry)) {
    const points = ring as [number, number][];
    for (let i = 1; i < points.length; i++) {
      const [ax, ay] = points[i - 1] as [number, number];
      const [bx, by] = points[i] as [number, number];
      const d = segmentDistance((lon - ax) * kx, lat - ay, (bx - ax) * kx, by - ay);
      if (d < best) best = d;
    }
  }
  return best;
}

/** Distance from point p to segment 0→v, with p and v relative to the segment start. */
function segmentDistance(px: number, py: number, vx: number, vy: number): number {
  const lengthSquared = vx * vx + vy * vy;
  const t = lengthSquared === 0 ? 0 : Math.max(0, Math.min(1, (px * vx + py * vy) / lengthSquared));
  return Math.hypot(px - t * vx, py - t * vy);
}
