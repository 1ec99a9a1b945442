import type { Feature, FeatureCollection } from 'geojson';
import { StartupError } from '../errors.js';
import { UnitLookupError } from './errors.js';
import { bboxOf, containsPoint } from './geometry.js';
import { foldDiacritics, nameKey } from './text.js';
import type {
  AdminUnit,
  AdminUnitInput,
  UnitDatasetInfo,
  UnitFeatureProperties,
  UnitGeometry,
  UnitSummaryNode,
} from './types.js';

export interface FindByNameOptions {
  /** Match without tone marks and đ (e.g. 'Hai Chau' finds 'Hải Châu'). Default false. */
  ignoreDiacritics?: boolean;
}

/**
 * The administrative-unit hierarchy of one dataset. Built once from validated input;
 * every lookup by code is a map access, ancestry walks at most the tree's depth.
 */
export class AdminUnitTree {
  readonly dataset: UnitDatasetInfo;
  /** Data-quality remarks from loading (e.g. a unit placed by nearest region); empty when clean. */
  readonly notes: readonly string[];
  readonly #byCode = new Map<string, AdminUnit>();
  readonly #children = new Map<string, AdminUnit[]>();
  readonly #roots: AdminUnit[] = [];
  readonly #byName = new Map<string, AdminUnit[]>();
  readonly #byFoldedName = new Map<string, AdminUnit[]>();
  /** Units with geometry, deepest first, so locate() returns the first hit. */
  readonly #locatable: AdminUnit[];

  /**
   * Throws a StartupError (code UNIT_DUPLICATE_CODE, UNIT_PARENT_UNKNOWN or UNIT_CYCLE)
   * when the input does not form a tree.
   */
  constructor(dataset: UnitDatasetInfo, inputs: readonly AdminUnitInput[], notes: string[] = []) {
    this.dataset = dataset;
    this.notes = Object.freeze([...notes]);
    const where = `unit dataset '${dataset.id}'`;

    const inputByCode = new Map<string, AdminUnitInput>();
    for (const input of inputs) {
      if (inputByCode.has(input.code)) {
        throw new StartupError(
          `${where}: duplicate unit code '${input.code}' (${inputByCode.get(input.code)?.name} and ${input.name}); codes must be unique across all layers (use "codePrefix" for a layer whose codes collide)`,
          'UNIT_DUPLICATE_CODE',
        );
      }
      inputByCode.set(input.code, input);
    }
    for (const input of inputs) {
      if (input.parentCode !== null && !inputByCode.has(input.parentCode)) {
        throw new StartupError(
          `${where}: unit '${input.code}' (${input.name}) has parent '${input.parentCode}', which is not a unit of this dataset`,
          'UNIT_PARENT_UNKNOWN',
        );
      }
    }

    const levels = computeLevels(inputByCode, where);
    for (const input of inputs) {
      const geometry = input.geometry;
      const unit: AdminUnit = Object.freeze({
        ...input,
        level: levels.get(input.code) ?? 0,
        bbox: geometry ? bboxOf(geometry) : null,
      });
      this.#byCode.set(unit.code, unit);
      this.#children.set(unit.code, []);
    }
    for (const unit of this.#byCode.values()) {
      if (unit.parentCode === null) this.#roots.push(unit);
      else this.#children.get(unit.parentCode)?.push(unit);
      for (const text of [unit.name, unit.fullName, unit.nameEn]) {
        if (!text) continue;
        addTo(this.#byName, nameKey(text), unit);
        addTo(this.#byFoldedName, foldDiacritics(text), unit);
      }
    }
    this.#locatable = [...this.#byCode.values()]
      .filter((unit) => unit.geometry !== null)
      .sort((a, b) => b.level - a.level);
  }

  get size(): number {
    return this.#byCode.size;
  }

  has(code: string): boolean {
    return this.#byCode.has(code);
  }

  get(code: string): AdminUnit | undefined {
    return this.#byCode.get(code);
  }

  /** Direct children in data order. Throws UnitLookupError for an unknown code. */
  children(code: string): readonly AdminUnit[] {
    this.#require(code);
    return this.#children.get(code) ?? [];
  }

  /** Parent, grandparent, … up to the root (nearest first). */
  ancestors(code: string): AdminUnit[] {
    const out: AdminUnit[] = [];
    let unit = this.#require(code);
    while (unit.parentCode !== null) {
      unit = this.#byCode.get(unit.parentCode) as AdminUnit;
      out.push(unit);
    }
    return out;
  }

  /** Every unit below `code` (not itself), depth-first in data order. */
  descendants(code: string): AdminUnit[] {
    this.#require(code);
    const out: AdminUnit[] = [];
    const visit = (parent: string) => {
      for (const child of this.#children.get(parent) ?? []) {
        out.push(child);
        visit(child.code);
      }
    };
    visit(code);
    return out;
  }

  /**
   * True when `code` is `ancestorCode` itself or lies below it, so a scope given as a unit
   * includes that unit. Unknown codes give false (a scope check must never widen access).
   */
  isWithin(code: string, ancestorCode: string): boolean {
    let unit = this.#byCode.get(code);
    if (!unit || !this.#byCode.has(ancestorCode)) return false;
    while (unit) {
      if (unit.code === ancestorCode) return true;
      unit = unit.parentCode === null ? undefined : this.#byCode.get(unit.parentCode);
    }
    return false;
  }

  roots(): readonly AdminUnit[] {
    return this.#roots;
  }

  /** Every unit, in data order. */
  all(): AdminUnit[] {
    return [...this.#byCode.values()];
  }

  /**
   * Units whose name, full name or English name matches (NFC, case-insensitive;
   * optionally without diacritics). Names are not unique, hence a list.
   */
  findByName(name: string, options: FindByNameOptions = {}): readonly AdminUnit[] {
    return options.ignoreDiacritics
      ? (this.#byFoldedName.get(foldDiacritics(name)) ?? [])
      : (this.#byName.get(nameKey(name)) ?? []);
  }

  /**
   * The deepest unit whose geometry contains the point (WGS84 lon/lat), or null when none
   * does. Throws UnitLookupError for a non-finite or out-of-range coordinate.
   */
  locate(lon: number, lat: number): AdminUnit | null {
    if (
      !Number.isFinite(lon) ||
      !Number.isFinite(lat) ||
      Math.abs(lon) > 180 ||
      Math.abs(lat) > 90
    ) {
      throw new UnitLookupError(
        'UNIT_BAD_POINT',
        `locate needs a WGS84 longitude in [-180, 180] and latitude in [-90, 90]; got (${lon}, ${lat})`,
      );
    }
    for (const unit of this.#locatable) {
      if (
        containsPoint(
          unit.geometry as UnitGeometry,
          unit.bbox as [number, number, number, number],
          lon,
          lat,
        )
      ) {
        return unit;
      }
    }
    return null;
  }

  /** The whole hierarchy without geometry, roots first, children nested. */
  toSummary(): UnitSummaryNode[] {
    const node = (unit: AdminUnit): UnitSummaryNode => {
      const { geometry: _geometry, ...rest } = unit;
      return { ...rest, children: (this.#children.get(unit.code) ?? []).map(node) };
    };
    return this.#roots.map(node);
  }

  /**
   * GeoJSON of the given units (default: all), feature id = unit code. Units without
   * geometry are left out. Throws UnitLookupError for an unknown code.
   */
  toFeatureCollection(
    codes?: Iterable<string>,
  ): FeatureCollection<UnitGeometry, UnitFeatureProperties> {
    const units = codes ? [...codes].map((code) => this.#require(code)) : this.all();
    const features: Feature<UnitGeometry, UnitFeatureProperties>[] = [];
    for (const unit of units) {
      if (!unit.geometry) continue;
      const properties: UnitFeatureProperties = {
        code: unit.code,
        name: unit.name,
        type: unit.type,
        parentCode: unit.parentCode,
        level: unit.level,
      };
      if (unit.nameEn !== undefined) properties.nameEn = unit.nameEn;
      if (unit.fullName !== undefined) properties.fullName = unit.fullName;
      if (unit.fullNameEn !== undefined) properties.fullNameEn = unit.fullNameEn;
      features.push({
        type: 'Feature',
        id: unit.code,
        ...(unit.bbox ? { bbox: unit.bbox } : {}),
        properties,
        geometry: unit.geometry,
      });
    }
    return { type: 'FeatureCollection', features };
  }

  #require(code: string): AdminUnit {
    const unit = this.#byCode.get(code);
    if (!unit) {
      throw new UnitLookupError(
        'UNIT_NOT_FOUND',
        `no unit with code '${code}' in unit dataset '${this.dataset.id}'`,
      );
    }
    return unit;
  }
}

function addTo(index: Map<string, AdminUnit[]>, key: string, unit: AdminUnit): void {
  const list = index.get(key);
  if (!list) index.set(key, [unit]);
  else if (!list.includes(unit)) list.push(unit);
}

/** Depth of every unit; throws UNIT_CYCLE when following parents loops. */
function computeLevels(byCode: Map<string, AdminUnitInput>, where: string): Map<string, number> {
  const levels = new Map<string, number>();
  for (const start of byCode.keys()) {
    const path: string[] = [];
    const onPath = new Set<string>();
    let code: string | null = start;
    while (code !== null && !levels.has(code)) {
      if (onPath.has(code)) {
        const loop = [...path.slice(path.indexOf(code)), code].join(' → ');
        throw new StartupError(`${where}: parent links form a cycle: ${loop}`, 'UNIT_CYCLE');
      }
      onPath.add(code);
      path.push(code);
      code = byCode.get(code)?.parentCode ?? null;
    }
    let level = code === null ? -1 : (levels.get(code) as number);
    for (let i = path.length - 1; i >= 0; i--) levels.set(path[i] as string, ++level);
  }
  return levels;
}
