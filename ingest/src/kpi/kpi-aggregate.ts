import type { InfluxQueryParams, InfluxStore } from '@ioc/core';
import { KPI_MEASUREMENT } from './kpi-point.js';
import { VIETNAM_OFFSET_MS } from './local-day.js';

/** What one InfluxQL read asks for: stored KPIs over a set of units and a time range. */
export interface KpiAggregateSpec {
  /** KPIs combined over time by sum or mean: their points are summed and counted as they are. */
  pooled: readonly string[];
  /** KPIs combined over time by last: the last point of each series is summed and counted. */
  last: readonly string[];
  units: readonly string[];
  sector?: string;
  from: number;
  to: number;
  /** One row per local day (else one row for the whole range). */
  byDay: boolean;
  /** One row per unit (else the units are added together). */
  byUnit: boolean;
}

/** `sum` and `count` of the points (or series' last points) of one KPI, day and/or unit. */
export interface KpiAggregateRow {
  kpi: string;
  unit: string | null;
  /** Epoch ms of the local day's midnight when `byDay`, else null. */
  time: number | null;
  sum: number;
  count: number;
}

// Buckets of one local day: InfluxDB aligns `time(1d)` to UTC midnight; -7h moves them to
// 00:00 in Asia/Ho_Chi_Minh, where `date` observations sit.
const LOCAL_DAY = `time(1d, -${VIETNAM_OFFSET_MS / 3_600_000}h)`;

/**
 * Reads the sums behind KPI roll-ups in at most two InfluxQL queries, whatever the number of
 * units: the subtree is one regex on the `unit` tag and InfluxDB adds the units up (or groups
 * by them for a breakdown). A stock (time `last`) needs each series' last point before the
 * adding, which a subquery does on the server.
 */
export async function readKpiAggregates(
  influx: InfluxStore,
  spec: KpiAggregateSpec,
): Promise<KpiAggregateRow[]> {
  const params: InfluxQueryParams = {
    from: new Date(spec.from).toISOString(),
    to: new Date(spec.to).toISOString(),
  };
  if (spec.sector) params.sector = spec.sector;
  const range = 'time >= $from AND time < $to';
  const where = (codes: readonly string[]) =>
    [
      `"kpi" =~ ${anyOf(codes)}`,
      `"unit" =~ ${anyOf(spec.units)}`,
      ...(spec.sector ? ['"sector" = $sector'] : []),
      range,
    ].join(' AND ');
  const outer = [...(spec.byDay ? [LOCAL_DAY] : []), '"kpi"', ...(spec.byUnit ? ['"unit"'] : [])];
  const fill = spec.byDay ? ' fill(none)' : '';

  const queries: Promise<KpiAggregateRow[]>[] = [];
  if (spec.pooled.length > 0) {
    const influxql = `SELECT sum("value") AS "sum", count("value") AS "count" FROM "${KPI_MEASUREMENT}" WHERE ${where(spec.pooled)} GROUP BY ${outer.join(', ')}${fill}`;
    queries.push(run(influx, influxql, params, spec.byDay));
  }
  if (spec.last.length > 0) {
    const inner = [...(spec.byDay ? [LOCAL_DAY] : []), '"kpi"', '"unit"', '"sector"'];
    const influxql = `SELECT sum("v") AS "sum", count("v") AS "count" FROM (SELECT last("value") AS "v" FROM "${KPI_MEASUREMENT}" WHERE ${where(spec.last)} GROUP BY ${inner.join(', ')}) WHERE ${range} GROUP BY ${outer.join(', ')}${fill}`;
    queries.push(run(influx, influxql, params, spec.byDay));
  }
  return (await Promise.all(queries)).flat();
}

async function run(
  influx: InfluxStore,
  influxql: string,
  params: InfluxQueryParams,
  byDay: boolean,
): Promise<KpiAggregateRow[]> {
  const rows: KpiAggregateRow[] = [];
  for (const series of await influx.query(influxql, params)) {
    const time = series.columns.indexOf('time');
    const sum = series.columns.indexOf('sum');
    const count = series.columns.indexOf('count');
    for (const values of series.values) {
      if (values[count] === null || values[count] === 0) continue;
      rows.push({
        kpi: series.tags?.kpi ?? '',
        unit: series.tags?.unit ?? null,
        time: byDay ? Number(values[time]) : null,
        sum: Number(values[sum]),
        count: Number(values[count]),
      });
    }
  }
  return rows;
}

/** A regex literal matching exactly one of the values. */
function anyOf(values: readonly string[]): string {
  const escaped = values.map((v) => v.replace(/[\\^$.*+?()[\]{}|/]/g, (c) => `\\${c}`));
  return `/^(?:${escaped.join('|')})$/`;
}
