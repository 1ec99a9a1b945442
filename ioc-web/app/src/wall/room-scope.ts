// What of the map belongs to the room: its scope units with their subtrees (from the
// boundaries' parent links) and its sectors. The server already filters every answer by the
// caller's rooms; this frames the map on the room and dims what lies outside it, and keeps
// the REST fallback (which answers for all the caller's rooms) to this room.
import { mainlandBounds } from './map-geometry';
import type { UnitCollection, WallRoom } from './wall-api';

export type Bounds = [number, number, number, number];

export class RoomScope {
  /** Every unit code inside the room, or null when the room covers every unit. */
  readonly units: ReadonlySet<string> | null;
  readonly #sectors: ReadonlySet<string> | null;
  readonly #boundaries: UnitCollection;

  constructor(room: Pick<WallRoom, 'scope'> | undefined, boundaries: UnitCollection) {
    this.#boundaries = boundaries;
    const roots = room?.scope.units ?? [];
    this.units = roots.length === 0 ? null : subtreeOf(roots, boundaries);
    const sectors = room?.scope.sectors ?? [];
    this.#sectors = sectors.length === 0 ? null : new Set(sectors);
  }

  allowsUnit(code: string | null): boolean {
    return this.units === null || (code !== null && this.units.has(code));
  }

  allows(unit: string | null, sector: string | null): boolean {
    return (
      this.allowsUnit(unit) &&
      (this.#sectors === null || sector === null || this.#sectors.has(sector))
    );
  }

  /** The map view for the room, or for one unit of it (a scene's `view.unit`). */
  bounds(unit?: string): Bounds | null {
    const codes = unit ? subtreeOf([unit], this.#boundaries) : this.units;
    if (codes === null) return mainlandBounds(this.#boundaries);
    const features = this.#boundaries.features.filter((f) => codes.has(f.properties.code));
    if (features.length === 0) return mainlandBounds(this.#boundaries);
    // mainlandBounds only frames level ≥ 1; a room of one province-level unit still fits.
    return mainlandBounds({
      type: 'FeatureCollection',
      features: features.map((f) => ({ ...f, properties: { ...f.properties, level: 1 } })),
    });
  }
}

function subtreeOf(roots: readonly string[], boundaries: UnitCollection): Set<string> {
  const children = new Map<string, string[]>();
  for (const feature of boundaries.features) {
    const parent = feature.properties.parentCode;
    if (parent) children.set(parent, [...(children.get(parent) ?? []), feature.properties.code]);
  }
  const codes = new Set<string>();
  const queue = [...roots];
  for (let code = queue.pop(); code !== undefined; code = queue.pop()) {
    if (codes.has(code)) continue;
    codes.add(code);
    queue.push(...(children.get(code) ?? []));
  }
  return codes;
}
