import type { Device } from '@ioc/devices';

export const TELEMETRY_MEASUREMENT = 'telemetry';

/** One stored row of measurement `telemetry`: a device's values at one instant, with its tags. */
export interface TelemetryPoint {
  device: string;
  type: string;
  /** Administrative unit code. */
  unit: string;
  sector: string;
  /** Epoch ms. */
  ts: number;
  fields: Record<string, number | boolean>;
}

/** Tags the point with the device's registry metadata (ARCHITECTURE.md, InfluxDB schema). */
export function toTelemetryPoint(
  device: Device,
  ts: number,
  fields: Record<string, number | boolean>,
): TelemetryPoint {
  return {
    device: device.id,
    type: device.type,
    unit: device.unit,
    sector: device.sector,
    ts,
    fields,
  };
}

/**
 * The point as one line of InfluxDB line protocol at ms precision. Numbers are always
 * written as floats (never with the `i` suffix) so a field keeps one type whatever a device
 * sends; booleans as true/false. Returns undefined for a point without fields.
 */
export function toLineProtocol(point: TelemetryPoint): string | undefined {
  let fields = '';
  for (const key in point.fields) {
    const value = point.fields[key] as number | boolean;
    fields += `${fields === '' ? '' : ','}${fieldKey(key)}=${typeof value === 'boolean' ? String(value) : formatFloat(value)}`;
  }
  if (fields === '') return undefined;
  return `${seriesKey(point)} ${fields} ${Math.trunc(point.ts)}`;
}

/** Most series keys and field keys remembered (both are bounded by the registry in practice). */
const MAX_CACHED_KEYS = 100_000;
const seriesKeys = new Map<string, { type: string; unit: string; sector: string; key: string }>();
const fieldKeys = new Map<string, string>();

/**
 * `telemetry,device=…,sector=…,type=…,unit=…`: the same for every message of a device, so it
 * is escaped once per device (and again when its tags change), not once per message.
 */
function seriesKey(point: TelemetryPoint): string {
  const cached = seriesKeys.get(point.device);
  if (
    cached &&
    cached.type === point.type &&
    cached.unit === point.unit &&
    cached.sector === point.sector
  ) {
    return cached.key;
  }
  let key = TELEMETRY_MEASUREMENT;
  // Tags sorted by key, as InfluxDB prefers; an empty tag value is not allowed, so skip it.
  for (const tag of ['device', 'sector', 'type', 'unit'] as const) {
    if (point[tag] !== '') key += `,${tag}=${escapeKey(point[tag])}`;
  }
  if (seriesKeys.size >= MAX_CACHED_KEYS) seriesKeys.clear();
  seriesKeys.set(point.device, { type: point.type, unit: point.unit, sector: point.sector, key });
  return key;
}

function fieldKey(metric: string): string {
  let key = fieldKeys.get(metric);
  if (key === undefined) {
    key = escapeKey(metric);
    if (fieldKeys.size >= MAX_CACHED_KEYS) fieldKeys.clear();
    fieldKeys.set(metric, key);
  }
  return key;
}

/**
 * Tag keys, tag values and field keys: comma, equals sign, space and line breaks are
 * escaped as the official client does (a backslash stays literal in InfluxDB 1.x).
 */
function escapeKey(text: string): string {
  return text.replace(/[,= \n\r\t]/g, (c) => ESCAPES[c] ?? c);
}

const ESCAPES: Record<string, string> = {
  ',': '\\,',
  '=': '\\=',
  ' ': '\\ ',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function formatFloat(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`cannot store ${value} in InfluxDB`);
  return String(value);
}
