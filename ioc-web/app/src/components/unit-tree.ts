// Pure helpers that turn the flat unit list from /api/v1/units into what the panel shows.
import type { AdminUnit } from '../api/ioc-api';

export interface UnitNode {
  unit: AdminUnit;
  children: UnitNode[];
}

const collator = new Intl.Collator('vi', { numeric: true });

function byName(a: UnitNode, b: UnitNode): number {
  return collator.compare(a.unit.name, b.unit.name);
}

/** Roots are units with no parent, or whose parent is not in the list. */
export function buildUnitTree(units: readonly AdminUnit[]): UnitNode[] {
  const nodes = new Map(units.map((unit) => [unit.code, { unit, children: [] } as UnitNode]));
  const roots: UnitNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.unit.parentCode ? nodes.get(node.unit.parentCode) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  for (const node of nodes.values()) node.children.sort(byName);
  return roots.sort(byName);
}

export interface TypeCount {
  type: string;
  count: number;
}

/** Counts per unit type, higher levels first (province before its communes). */
export function countByType(units: readonly AdminUnit[]): TypeCount[] {
  const counts = new Map<string, { count: number; level: number }>();
  for (const unit of units) {
    const entry = counts.get(unit.type) ?? { count: 0, level: unit.level };
    entry.count += 1;
    entry.level = Math.min(entry.level, unit.level);
    counts.set(unit.type, entry);
  }
  return [...counts]
    .sort(([, a], [, b]) => a.level - b.level || b.count - a.count)
    .map(([type, { count }]) => ({ type, count }));
}

/** Folds case and Vietnamese diacritics, so "hoa khanh" finds "Hoà Khánh" and "Hòa Khánh". */
export function searchKey(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ');
}

export function matchUnits(units: readonly AdminUnit[], query: string): AdminUnit[] {
  const key = searchKey(query.trim());
  if (key === '') return [];
  return units
    .filter(
      (unit) =>
        searchKey(unit.name).includes(key) ||
        (unit.nameEn !== undefined && searchKey(unit.nameEn).includes(key)) ||
        unit.code.includes(key),
    )
    .sort((a, b) => a.level - b.level || collator.compare(a.name, b.name));
}
