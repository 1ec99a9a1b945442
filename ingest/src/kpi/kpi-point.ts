import type { KpiObservation } from '@ioc/core';

/** InfluxDB measurement of KPI figures; tags `kpi`, `sector`, `unit`; fields `value`, `target`. */
export const KPI_MEASUREMENT = 'kpi';

/** Tag values escape commas, spaces and equals signs (and the backslash itself). */
function escapeTag(value: string): string {
  return value.replace(/[\\,= ]/g, (c) => `\\${c}`);
}

/**
 * One line of line protocol (ms precision). The series key (measurement + tags) and the
 * timestamp identify the figure, so writing the same observation again replaces it.
 * Tags are in key order, as InfluxDB sorts them anyway.
 */
export function kpiLine(observation: KpiObservation, time: number, target: number | null): string {
  const sector = observation.sector ? `,sector=${escapeTag(observation.sector)}` : '';
  const tags = `kpi=${escapeTag(observation.kpi)}${sector},unit=${escapeTag(observation.unit)}`;
  const fields =
    target === null ? `value=${observation.value}` : `value=${observation.value},target=${target}`;
  return `${KPI_MEASUREMENT},${tags} ${fields} ${time}`;
}
