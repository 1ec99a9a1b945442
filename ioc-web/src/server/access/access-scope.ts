import type { AdminUnit, AdminUnitTree } from '@ioc/core';

/**
 * What one room covers: admin unit codes (each with its whole subtree) and sectors. An empty
 * list leaves that axis unrestricted, so `{units: [], sectors: []}` is the whole province.
 */
export interface RoomScope {
  units: readonly string[];
  sectors: readonly string[];
}

/** One room's scope resolved against the unit tree: exact unit codes, or null for any. */
interface Clause {
  units: ReadonlySet<string> | null;
  /** The scope's own unit codes (subtree roots), for narrowing queries. */
  roots: readonly string[];
  sectors: ReadonlySet<string> | null;
}

/** A list query narrowed to one scope clause, or nothing at all. */
export type Narrowed<Q> = { query: Q } | { empty: true } | { scan: true };

/**
 * What a caller may see: the union of their rooms' scopes (or everything). A thing with a
 * unit and a sector is visible when one room covers both. Unknown units and missing units or
 * sectors are only visible where that axis is unrestricted: a check never widens access.
 */
export class AccessScope {
  readonly #clauses: readonly Clause[] | null;
  readonly #units: AdminUnitTree;

  private constructor(units: AdminUnitTree, clauses: readonly Clause[] | null) {
    this.#units = units;
    this.#clauses = clauses;
  }

  /** Admins, IOC operators, API tokens and the local CLI. */
  static everything(units: AdminUnitTree): AccessScope {
    return new AccessScope(units, null);
  }

  /** The union of these rooms' scopes; no rooms: nothing. */
  static ofRooms(units: AdminUnitTree, scopes: readonly RoomScope[]): AccessScope {
    const clauses = scopes.map((scope): Clause => {
      const roots = scope.units.filter((code) => units.has(code));
      const expanded = new Set<string>();
      for (const code of roots) {
        expanded.add(code);
        for (const below of units.descendants(code)) expanded.add(below.code);
      }
      return {
        // A room whose only units no longer exist sees no unit, not every unit.
        units: scope.units.length === 0 ? null : expanded,
        roots,
        sectors: scope.sectors.length === 0 ? null : new Set(scope.sectors),
      };
    });
    return new AccessScope(units, clauses);
  }

  /** True when nothing is hidden from this caller. */
  get unrestricted(): boolean {
    return this.#clauses === null || this.#clauses.some((c) => !c.units && !c.sectors);
  }

  /** True when the caller sees nothing at all (no rooms). */
  get empty(): boolean {
    return this.#clauses !== null && this.#clauses.length === 0;
  }

  /** Something of this unit and sector (a device, an alert, a KPI figure). */
  allows(unit: string | null | undefined, sector: string | null | undefined): boolean {
    if (this.#clauses === null) return true;
    return this.#clauses.some(
      (c) => coversUnit(c, unit ?? null) && (!c.sectors || (!!sector && c.sectors.has(sector))),
    );
  }

  /** The unit is visible in some room (whatever the sector): its details may be shown. */
  allowsUnit(code: string): boolean {
    if (this.#clauses === null) return true;
    return this.#units.has(code) && this.#clauses.some((c) => coversUnit(c, code));
  }

  /** Some room covers this sector (somewhere). */
  allowsSector(sector: string): boolean {
    if (this.#clauses === null) return true;
    return this.#clauses.some((c) => !c.sectors || c.sectors.has(sector));
  }

  allowsDevice(device: { unit: string; sector: string }): boolean {
    return this.allows(device.unit, device.sector);
  }

  allowsAlert(alert: { unit: string | null; sector: string | null }): boolean {
    return this.allows(alert.unit, alert.sector);
  }

  /**
   * A figure rolled up over `unit`'s whole subtree for `sector`: allowed when one room covers
   * the entire subtree (the unit lies within one of its units) and that sector.
   */
  allowsRollup(unit: string, sector: string | null): boolean {
    return this.allows(unit, sector);
  }

  /** The units the caller may see in detail, in the given order. */
  filterUnits<U extends Pick<AdminUnit, 'code'>>(units: readonly U[]): U[] {
    if (this.#clauses === null) return [...units];
    return units.filter((u) => this.allowsUnit(u.code));
  }

  /**
   * Units to show as the outline above the scope (for navigation): ancestors of visible units
   * that are not visible themselves. Empty when every unit is visible.
   */
  outlineUnits(): AdminUnit[] {
    if (this.#clauses === null) return [];
    const outline = new Map<string, AdminUnit>();
    for (const clause of this.#clauses) {
      for (const root of clause.roots) {
        for (const above of this.#units.ancestors(root)) {
          if (!this.allowsUnit(above.code)) outline.set(above.code, above);
        }
      }
    }
    return [...outline.values()];
  }

  /**
   * The unit a roll-up defaults to when the caller names none: the tree's root when visible,
   * else the one unit their rooms cover, else undefined (they must choose).
   */
  defaultUnit(): string | undefined {
    const root = this.#units.roots()[0]?.code;
    if (root !== undefined && this.allowsUnit(root)) return root;
    const roots = new Set((this.#clauses ?? []).flatMap((c) => c.roots));
    return roots.size === 1 ? [...roots][0] : undefined;
  }

  /**
   * Pushes the scope into a store query that filters by one unit subtree and one sector:
   * possible when the caller has one room whose scope is at most one unit and one sector.
   * Otherwise `scan` (filter row by row) or `empty` (the query and the scope do not meet).
   */
  narrow<Q extends { unit?: string; sector?: string }>(query: Q): Narrowed<Q> {
    if (this.unrestricted) return { query };
    const clauses = this.#clauses as readonly Clause[];
    if (clauses.length === 0) return { empty: true };
    const clause = clauses[0] as Clause;
    if (clauses.length > 1 || clause.roots.length > 1 || (clause.sectors?.size ?? 0) > 1) {
      return { scan: true };
    }
    if (clause.units && clause.roots.length === 0) return { empty: true };
    let unit = query.unit;
    const root = clause.roots[0];
    if (root !== undefined) {
      if (unit === undefined || this.#units.isWithin(root, unit)) unit = root;
      else if (!this.#units.isWithin(unit, root)) return { empty: true };
    }
    let sector = query.sector;
    const only = clause.sectors ? [...clause.sectors][0] : undefined;
    if (only !== undefined) {
      if (sector !== undefined && sector !== only) return { empty: true };
      sector = only;
    }
    return { query: { ...query, unit, sector } };
  }
}

function coversUnit(clause: Clause, unit: string | null): boolean {
  return !clause.units || (unit !== null && clause.units.has(unit));
}
