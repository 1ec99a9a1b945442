import type { BBox, MultiPolygon, Polygon } from 'geojson';

/** The kinds of administrative unit. `region` is a non-official grouping (e.g. a former province). */
export const UNIT_TYPES = [
  'country',
  'province',
  'district',
  'region',
  'commune',
  'ward',
  'special-zone',
] as const;

export type UnitType = (typeof UNIT_TYPES)[number];

export type UnitGeometry = Polygon | MultiPolygon;

/** One administrative unit (đơn vị hành chính). All text is Unicode NFC. */
export interface AdminUnit {
  /** Official code (mã đơn vị hành chính) or, for non-official groupings, a dataset-given code. */
  readonly code: string;
  readonly name: string;
  readonly nameEn?: string;
  readonly fullName?: string;
  readonly fullNameEn?: string;
  readonly type: UnitType;
  readonly parentCode: string | null;
  /** Depth in the tree: 0 for a root, 1 for its children, and so on. */
  readonly level: number;
  readonly geometry: UnitGeometry | null;
  /** [minLon, minLat, maxLon, maxLat] of the geometry; null without geometry. */
  readonly bbox: BBox | null;
  /** The source feature's properties, as read (strings NFC). */
  readonly properties: Readonly<Record<string, unknown>>;
}

/** What a dataset contributes before the tree derives `level` and `bbox`. */
export type AdminUnitInput = Omit<AdminUnit, 'level' | 'bbox'>;

export interface UnitDatasetInfo {
  readonly id: string;
  readonly name: string;
  readonly description: string;
}

/** A unit without geometry, with its children nested: what `toSummary()` returns. */
export interface UnitSummaryNode extends Omit<AdminUnit, 'geometry'> {
  readonly children: UnitSummaryNode[];
}

/** Properties of the features `toFeatureCollection()` returns (the feature id is the code). */
export interface UnitFeatureProperties {
  code: string;
  name: string;
  nameEn?: string;
  fullName?: string;
  fullNameEn?: string;
  type: UnitType;
  parentCode: string | null;
  level: number;
}
