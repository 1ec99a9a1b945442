import { pointOnFeature } from '@turf/point-on-feature';
import type { BBox } from 'geojson';
import { StartupError } from '../errors.js';
import { bboxOf, containsPoint, distanceToOutline } from './geometry.js';
import type { UnitDraft } from './layers.js';
import type { AdminUnitInput, UnitGeometry } from './types.js';

interface Container {
  unit: AdminUnitInput;
  geometry: UnitGeometry;
  bbox: BBox;
}

/**
 * Gives every draft with "parent": {"containedIn": ...} the container unit that holds a
 * point on its surface (turf point-on-feature, so never a centroid outside a crescent-shaped
 * commune). With "fallback": "nearest", a unit whose point lies in no container (an island
 * where two sources' coastlines differ) goes to the nearest one, and a note says so.
 */
export function placeByGeometry(
  drafts: UnitDraft[],
  where: string,
  notes: string[],
): AdminUnitInput[] {
  const containersOf = new Map<number | string, Container[]>();
  const containersFor = (target: number | string): Container[] => {
    let containers = containersOf.get(target);
    if (!containers) {
      containers = drafts
        .filter((d) => (typeof target === 'number' ? d.layer === target : d.unit.type === target))
        .flatMap((d): Container[] =>
          d.unit.geometry
            ? [{ unit: d.unit, geometry: d.unit.geometry, bbox: bboxOf(d.unit.geometry) }]
            : [],
        );
      containersOf.set(target, containers);
    }
    return containers;
  };
  return drafts.map((draft) => {
    const rule = draft.placeIn;
    if (!rule) return draft.unit;
    const { unit } = draft;
    const target = rule.containedIn;
    const containers = containersFor(target).filter((c) => c.unit !== unit);
    const targetName = typeof target === 'number' ? `layer ${target}` : `type '${target}'`;
    if (containers.length === 0) {
      throw new StartupError(
        `${where}: "containedIn" ${targetName} has no units with geometry to place unit '${unit.code}' in`,
        'UNIT_DATASET_INVALID',
      );
    }
    if (!unit.geometry) {
      throw new StartupError(
        `${where}: unit '${unit.code}' (${unit.name}) has no geometry, so "containedIn" cannot place it`,
        'UNIT_GEOMETRY_INVALID',
      );
    }
    const [lon, lat] = pointOnFeature(unit.geometry).geometry.coordinates as [number, number];
    const hits = containers.filter((c) => containsPoint(c.geometry, c.bbox, lon, lat));
    let parent = hits[0];
    if (hits.length > 1) {
      notes.push(
        `unit ${unit.code} (${unit.name}): its surface point lies in ${hits.map((h) => h.unit.code).join(' and ')}; placed in ${parent?.unit.code}`,
      );
    }
    if (!parent) {
      if (rule.fallback !== 'nearest') {
        throw new StartupError(
          `${where}: unit '${unit.code}' (${unit.name}): its surface point (${lon}, ${lat}) lies in no unit of ${targetName}; fix the geometry or add "fallback": "nearest"`,
          'UNIT_NOT_CONTAINED',
        );
      }
      parent = nearest(containers, lon, lat);
      notes.push(
        `unit ${unit.code} (${unit.name}): its surface point (${lon}, ${lat}) lies in no unit of ${targetName}; placed in the nearest, ${parent.unit.code}`,
      );
    }
    return { ...unit, parentCode: parent.unit.code };
  });
}

function nearest(containers: Container[], lon: number, lat: number): Container {
  let best = containers[0] as Container;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const container of containers) {
    const distance = distanceToOutline(container.geometry, lon, lat);
    if (distance < bestDistance) {
      best = container;
      bestDistance = distance;
    }
  }
  return best;
}
