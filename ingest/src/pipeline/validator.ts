import type { Device, DeviceCatalogue, DeviceMetric } from '@ioc/devices';
import type { Reading } from '../reading.js';
import type { Rejection } from './rejection.js';

export interface ValidationOptions {
  /** Reference time (ms) for the timestamp checks. */
  now: number;
  /** Oldest accepted device time, as an age in ms. */
  maxAgeMs: number;
  /** How far ahead of `now` a device clock may be. */
  maxFutureMs: number;
}

/** The values of a reading that passed, at the instant they are stored under. */
export interface ValidatedReading {
  /** Epoch ms: the device time, else the receive time. */
  ts: number;
  values: Record<string, number | boolean>;
  rejections: Rejection[];
}

/** Default oldest accepted device time: a week, long enough for a device's own buffer. */
export const DEFAULT_MAX_AGE_MS = 7 * 24 * 3600_000;
/** Device clocks more than this ahead are wrong, not early. */
export const DEFAULT_MAX_FUTURE_MS = 5 * 60_000;

/**
 * Checks a reading against its device (registered, not revoked) and the device's type in
 * the catalogue. Each bad value is refused on its own; the good ones of the same reading
 * are kept. A bad timestamp or device refuses the whole reading.
 */
export function validateReading(
  reading: Reading,
  device: Device | undefined,
  catalogue: DeviceCatalogue,
  options: ValidationOptions,
): ValidatedReading {
  const ts = (reading.ts ?? reading.receivedAt).getTime();
  const refuse = (rejection: Rejection): ValidatedReading => ({
    ts,
    values: {},
    rejections: [rejection],
  });
  if (!device) {
    return refuse({
      code: 'UNKNOWN_DEVICE',
      message: `device "${reading.deviceId}" is not registered; provision it first`,
    });
  }
  if (device.revokedAt) {
    return refuse({
      code: 'DEVICE_REVOKED',
      message: `device "${device.id}" was revoked at ${device.revokedAt}; its data is no longer accepted`,
    });
  }
  if (!device.enabled) {
    return refuse({
      code: 'DEVICE_DISABLED',
      message: `device "${device.id}" is disabled; enable it to accept its data`,
    });
  }
  if (!catalogue.has(device.type)) {
    return refuse({
      code: 'UNKNOWN_DEVICE_TYPE',
      message: `device type "${device.type}" of "${device.id}" is not in the device catalogue`,
    });
  }
  if (ts > options.now + options.maxFutureMs) {
    return refuse({
      code: 'TIMESTAMP_IN_FUTURE',
      message: `timestamp ${new Date(ts).toISOString()} is more than ${options.maxFutureMs / 60_000} minutes ahead of the server clock (${new Date(options.now).toISOString()}); check the device clock (NTP)`,
    });
  }
  if (ts < options.now - options.maxAgeMs) {
    return refuse({
      code: 'TIMESTAMP_TOO_OLD',
      message: `timestamp ${new Date(ts).toISOString()} is older than ${formatAge(options.maxAgeMs)}; values that old are not accepted (check the timestamp is in milliseconds)`,
    });
  }
  const values: ValidatedReading['values'] = {};
  const rejections: Rejection[] = [];
  for (const [key, value] of Object.entries(reading.values)) {
    const metric = catalogue.metric(device.type, key);
    const problem = metric
      ? checkValue(metric, value)
      : {
          code: 'UNKNOWN_METRIC' as const,
          message: `"${key}" is not a metric of type ${device.type}; known: ${catalogue
            .get(device.type)
            ?.metrics.map((m) => m.key)
            .join(', ')}`,
        };
    if (problem) rejections.push({ ...problem, metric: key });
    else values[key] = value;
  }
  return { ts, values, rejections };
}

function checkValue(
  metric: DeviceMetric,
  value: number | boolean,
): Omit<Rejection, 'metric'> | undefined {
  const { key, kind } = metric;
  if (kind === 'boolean') {
    if (typeof value === 'boolean') return undefined;
    return { code: 'WRONG_TYPE', message: `${key} must be true or false, got ${value}` };
  }
  if (typeof value !== 'number') {
    return { code: 'WRONG_TYPE', message: `${key} must be a number, got ${value}` };
  }
  if (!Number.isFinite(value)) {
    return { code: 'NOT_FINITE', message: `${key} must be a finite number, got ${value}` };
  }
  if (kind === 'integer' && !Number.isInteger(value)) {
    return { code: 'WRONG_TYPE', message: `${key} must be a whole number, got ${value}` };
  }
  const { min = -Infinity, max = Infinity } = metric;
  if (value < min || value > max) {
    const unit = metric.unitDisplay ? ` ${metric.unitDisplay}` : '';
    return {
      code: 'OUT_OF_RANGE',
      message: `${key} ${value}${unit} is outside the valid range ${min} to ${max}${unit}`,
    };
  }
  return undefined;
}

function formatAge(ms: number): string {
  const days = ms / 86_400_000;
  if (Number.isInteger(days)) return `${days} day${days === 1 ? '' : 's'}`;
  return `${Math.round(ms / 60_000)} minutes`;
}
