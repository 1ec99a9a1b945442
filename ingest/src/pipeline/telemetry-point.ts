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
  const fields: string[] = [];
  for (const [key, value] of Object.entries(point.fields)) {
    fields.push(
      `${escapeKey(key)}=${typeof value === 'boolean' ? String(value) : formatFloat(value)}`,
    );
  }
  if (fields.length === 0) return undefined;
  let line = TELEMETRY_MEASUREMENT;
  // Tags sorted by key, as InfluxDB prefers; an empty tag value is not allowed, so skip it.
  for (const key of ['device', 'sector', 'type', 'unit'] as const) {
    if (point[key] !== '') line += `,${key}=${escapeKey(point[key])}`;
  }
  return `${line} ${fields.join(',')} ${Math.trunc(point.ts)}`;
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
