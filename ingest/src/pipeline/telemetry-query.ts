import { ApiError, type InfluxStore } from '@ioc/core';
import { METRIC_KEY_PATTERN } from '@ioc/devices';
import { TELEMETRY_MEASUREMENT } from './telemetry-point.js';

export interface TelemetryQuery {
  device: string;
  metric: string;
  from: Date;
  to: Date;
  /** InfluxQL duration of each bucket: `30s`, `5m`, `1h`, `1d`... */
  every: string;
  /** Aggregate per bucket; default mean (use last for boolean metrics). */
  aggregate?: 'mean' | 'min' | 'max' | 'last';
}

export interface TelemetrySample {
  /** Start of the bucket, ISO 8601 UTC. */
  ts: string;
  value: number | boolean;
}

/** Most buckets one query may return. */
export const MAX_TELEMETRY_BUCKETS = 10_000;
const EVERY = /^([1-9]\d{0,8})(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const METRIC = new RegExp(METRIC_KEY_PATTERN);

/**
 * One metric of one device aggregated by `every` over [from, to), from InfluxDB with
 * InfluxQL. Identifiers are checked against the catalogue's key pattern and values are
 * bound parameters, so no input reaches the query text unchecked. Bad input is an
 * ApiError 400 naming the parameter.
 */
export async function queryTelemetry(
  influx: InfluxStore,
  query: TelemetryQuery,
): Promise<TelemetrySample[]> {
  const { device, metric, from, to, every } = query;
  const aggregate = query.aggregate ?? 'mean';
  if (!device) throw new ApiError(400, 'INVALID_QUERY', 'device is required');
  if (!METRIC.test(metric)) {
    throw new ApiError(
      400,
      'INVALID_QUERY',
      `metric "${metric}" is not a metric key (lower-case letters, digits, _)`,
    );
  }
  if (!['mean', 'min', 'max', 'last'].includes(aggregate)) {
    throw new ApiError(
      400,
      'INVALID_QUERY',
      `aggregate must be mean, min, max or last; got "${aggregate}"`,
    );
  }
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
    throw new ApiError(400, 'INVALID_QUERY', 'from and to must be valid ISO 8601 times');
  }
  if (from.getTime() >= to.getTime())
    throw new ApiError(400, 'INVALID_QUERY', 'from must be before to');
  const match = EVERY.exec(every);
  if (!match) {
    throw new ApiError(
      400,
      'INVALID_QUERY',
      `every "${every}" must be a duration like 30s, 5m, 1h or 1d`,
    );
  }
  const bucketMs = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  const buckets = Math.ceil((to.getTime() - from.getTime()) / bucketMs);
  if (buckets > MAX_TELEMETRY_BUCKETS) {
    throw new ApiError(
      400,
      'TOO_MANY_BUCKETS',
      `from..to with every=${every} gives ${buckets} buckets; at most ${MAX_TELEMETRY_BUCKETS}: widen every or shorten the range`,
    );
  }
  const series = await influx.query(
    `SELECT ${aggregate}("${metric}") FROM "${TELEMETRY_MEASUREMENT}" WHERE "device" = $device AND time >= $from AND time < $to GROUP BY time(${every}) fill(none)`,
    { device, from: from.toISOString(), to: to.toISOString() },
  );
  return (series[0]?.values ?? []).map(([time, value]) => ({
    ts: new Date(time as number).toISOString(),
    value: value as number | boolean,
  }));
}
