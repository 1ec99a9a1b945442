import type { Reading } from '../reading.js';
import type { Rejection } from './rejection.js';

/** What one telemetry payload yielded: readings to validate and what was refused already. */
export interface ParsedPayload {
  readings: Reading[];
  rejections: Rejection[];
}

export interface PayloadOptions {
  /** Largest payload accepted, in bytes. */
  maxBytes: number;
}

/** SenML times below 2^28 s are relative to now (RFC 8428 section 4.5.3). */
const SENML_RELATIVE_LIMIT_S = 2 ** 28;
/** ISO 8601 with a date, a time and an explicit zone: no locale-dependent Date.parse guesses. */
const ISO_8601 = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d)$/;
const SIMPLE_KEYS = new Set(['ts', 'values']);

/**
 * Parses an MQTT telemetry payload of device `deviceId`: the simple JSON shape
 * `{"ts"?: <epoch ms | ISO 8601>, "values": {...}}` or a SenML array (RFC 8428). Never
 * throws: a payload that cannot be read at all yields one rejection and no readings; a bad
 * value or record is refused on its own and the rest is kept.
 */
export function parseTelemetryPayload(
  deviceId: string,
  payload: Buffer,
  receivedAt: Date,
  options: PayloadOptions,
): ParsedPayload {
  if (payload.length > options.maxBytes) {
    return refused(
      'PAYLOAD_TOO_LARGE',
      `payload is ${payload.length} bytes; the limit is ${options.maxBytes}; send fewer values per message`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return refused('MALFORMED_JSON', `payload is not valid JSON (${(err as Error).message})`);
  }
  if (Array.isArray(data)) return parseSenml(deviceId, data, receivedAt);
  if (isObject(data)) return parseSimple(deviceId, data, receivedAt);
  return refused(
    'UNSUPPORTED_SHAPE',
    'payload must be a JSON object {"ts"?, "values": {...}} or a SenML array',
  );
}

function parseSimple(
  deviceId: string,
  data: Record<string, unknown>,
  receivedAt: Date,
): ParsedPayload {
  const unknown = Object.keys(data).filter((key) => !SIMPLE_KEYS.has(key));
  if (unknown.length > 0) {
    return refused(
      'UNSUPPORTED_SHAPE',
      `unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}; a message has only "ts" and "values"`,
    );
  }
  if (!isObject(data.values) || Object.keys(data.values).length === 0) {
    return refused(
      'UNSUPPORTED_SHAPE',
      '"values" must be a non-empty object of metric: number or boolean',
    );
  }
  let ts: Date | undefined;
  if (data.ts !== undefined) {
    const parsed = parseTimestamp(data.ts);
    if (typeof parsed === 'string') return refused('BAD_TIMESTAMP', parsed);
    ts = parsed;
  }
  const rejections: Rejection[] = [];
  const values: Reading['values'] = {};
  for (const [metric, value] of Object.entries(data.values)) {
    if (typeof value === 'number' || typeof value === 'boolean') values[metric] = value;
    else rejections.push(wrongType(metric, value));
  }
  const readings: Reading[] =
    Object.keys(values).length > 0
      ? [{ deviceId, ...(ts && { ts }), values, source: 'mqtt', receivedAt }]
      : [];
  return { readings, rejections };
}

/** Base fields carry over to later records until redefined (RFC 8428 section 4.1). */
interface SenmlBase {
  name: string;
  time: number;
  value: number;
}

function parseSenml(deviceId: string, records: unknown[], receivedAt: Date): ParsedPayload {
  if (records.length === 0) return refused('UNSUPPORTED_SHAPE', 'SenML array is empty');
  const rejections: Rejection[] = [];
  const byTime = new Map<number | undefined, Reading['values']>();
  const base: SenmlBase = { name: '', time: 0, value: 0 };
  for (const [index, record] of records.entries()) {
    const at = `SenML record ${index}`;
    if (!isObject(record)) return refused('UNSUPPORTED_SHAPE', `${at} is not an object`);
    if (record.bn !== undefined) {
      if (typeof record.bn !== 'string')
        return refused('UNSUPPORTED_SHAPE', `${at}: "bn" must be a string`);
      base.name = record.bn;
    }
    if (record.bt !== undefined) {
      if (!isFiniteNumber(record.bt)) {
        return refused('BAD_TIMESTAMP', `${at}: "bt" must be a number of seconds`);
      }
      base.time = record.bt;
    }
    if (record.bv !== undefined) {
      if (!isFiniteNumber(record.bv))
        return refused('UNSUPPORTED_SHAPE', `${at}: "bv" must be a number`);
      base.value = record.bv;
    }
    if (record.n !== undefined && typeof record.n !== 'string') {
      return refused('UNSUPPORTED_SHAPE', `${at}: "n" must be a string`);
    }
    const name = base.name + (record.n ?? '');
    const metric = metricOf(deviceId, name);
    if (typeof metric !== 'string') {
      rejections.push({ code: 'UNSUPPORTED_SHAPE', message: `${at}: ${metric.problem}` });
      continue;
    }
    const value = senmlValue(record, base.value);
    if (typeof value === 'object') {
      rejections.push({ ...value, metric, message: `${at}: ${value.message}` });
      continue;
    }
    if (record.t !== undefined && !isFiniteNumber(record.t)) {
      rejections.push({
        code: 'BAD_TIMESTAMP',
        metric,
        message: `${at}: "t" must be a number of seconds`,
      });
      continue;
    }
    const hasTime = record.t !== undefined || base.time !== 0;
    const ts = hasTime ? senmlTime(base.time + ((record.t as number) ?? 0), receivedAt) : undefined;
    if (ts !== undefined && Number.isNaN(ts)) {
      rejections.push({ code: 'BAD_TIMESTAMP', metric, message: `${at}: time is out of range` });
      continue;
    }
    const values = byTime.get(ts) ?? {};
    values[metric] = value;
    byTime.set(ts, values);
  }
  const readings = [...byTime].map(
    ([ts, values]): Reading => ({
      deviceId,
      ...(ts !== undefined && { ts: new Date(ts) }),
      values,
      source: 'mqtt',
      receivedAt,
    }),
  );
  return { readings, rejections };
}

/** `<deviceId>/<metric>` or a bare `<metric>`; another device's name is refused. */
function metricOf(deviceId: string, name: string): string | { problem: string } {
  if (name === '') return { problem: 'has no name; set "n" (or "bn" + "n") to the metric' };
  const slash = name.lastIndexOf('/');
  if (slash === -1) return name;
  const owner = name.slice(0, slash);
  if (owner !== deviceId) {
    return {
      problem: `name "${name}" belongs to device "${owner}", not "${deviceId}"; a device sends only its own values`,
    };
  }
  const metric = name.slice(slash + 1);
  return metric === '' ? { problem: `name "${name}" has no metric after the "/"` } : metric;
}

function senmlValue(
  record: Record<string, unknown>,
  baseValue: number,
): number | boolean | Omit<Rejection, 'metric'> {
  if (record.v !== undefined) {
    if (typeof record.v !== 'number')
      return { code: 'WRONG_TYPE', message: '"v" must be a number' };
    return record.v + baseValue;
  }
  if (record.vb !== undefined) {
    if (typeof record.vb !== 'boolean')
      return { code: 'WRONG_TYPE', message: '"vb" must be true or false' };
    return record.vb;
  }
  if (record.vs !== undefined || record.vd !== undefined) {
    return {
      code: 'WRONG_TYPE',
      message: 'string ("vs") and data ("vd") values are not supported; use "v" or "vb"',
    };
  }
  return { code: 'UNSUPPORTED_SHAPE', message: 'has no value; set "v" or "vb"' };
}

/** SenML seconds → epoch ms (relative times count from receipt); NaN when out of range. */
function senmlTime(seconds: number, receivedAt: Date): number {
  const ms =
    seconds < SENML_RELATIVE_LIMIT_S
      ? receivedAt.getTime() + seconds * 1000
      : Math.round(seconds * 1000);
  return new Date(ms).getTime();
}

/** Epoch ms or ISO 8601; a string describing the problem when it is neither. */
function parseTimestamp(value: unknown): Date | string {
  let ms = Number.NaN;
  if (typeof value === 'number') ms = Math.trunc(value);
  else if (typeof value === 'string' && ISO_8601.test(value)) ms = Date.parse(value);
  else {
    return `"ts" must be epoch milliseconds or an ISO 8601 time with a zone (e.g. "2026-11-21T03:04:05Z"); got ${JSON.stringify(value)}`;
  }
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return `"ts" ${JSON.stringify(value)} is not a valid instant`;
  return date;
}

function wrongType(metric: string, value: unknown): Rejection {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  return {
    code: 'WRONG_TYPE',
    metric,
    message: `${metric} must be a number or boolean, got ${got}`,
  };
}

function refused(code: Rejection['code'], message: string): ParsedPayload {
  return { readings: [], rejections: [{ code, message }] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
