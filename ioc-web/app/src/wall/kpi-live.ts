// KPI tiles kept current from the live feed: the server sends the room's roll-up of each KPI
// that changed for the day it changed (`kpiRollups`), and the tile's daily series takes it in
// place of a REST re-read. Target and direction came with the series (REST, at load), so the
// badge and the trend are worked out here the way the server does.
import type { KpiRollup } from './live-room';
import type { KpiPoint, KpiSeries } from './wall-api';

/** The tiles with these roll-ups applied; tiles not named are returned as they were. */
export function withRollups(
  tiles: readonly KpiSeries[],
  rollups: readonly KpiRollup[],
): KpiSeries[] {
  if (rollups.length === 0) return [...tiles];
  return tiles.map((tile) => {
    const mine = rollups.filter((r) => r.kpi === tile.kpi);
    if (mine.length === 0) return tile;
    const byDate = new Map(tile.points.map((p) => [p.date, p]));
    for (const rollup of mine) byDate.set(rollup.date, { date: rollup.date, value: rollup.value });
    const points = [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
    const latest = points.findLast((p): p is KpiPoint & { value: number } => p.value !== null);
    return {
      ...tile,
      points,
      latest: latest ?? null,
      meetsTarget: meetsTarget(tile, latest?.value ?? null),
    };
  });
}

function meetsTarget(tile: KpiSeries, value: number | null): boolean | null {
  if (value === null || tile.target === null) return null;
  if (tile.direction === 'higher') return value >= tile.target;
  if (tile.direction === 'lower') return value <= tile.target;
  return null;
}
