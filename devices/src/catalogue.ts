import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { StartupError } from '@ioc/core';
import { Value, type ValueError, ValueErrorType } from '@sinclair/typebox/value';
import {
  type DeviceCatalogueDefinition,
  DeviceCatalogueSchema,
  type MetricKind,
} from './catalogue-schema.js';
import type { LocalizedText, Sector } from './sectors.js';

/** One measured quantity of a device type, e.g. the water level in cm. */
export interface DeviceMetric {
  readonly key: string;
  readonly name: LocalizedText;
  /** UCUM-like ASCII symbol ("cm", "mm/h", "ug/m3", "Cel"); "1" when dimensionless. */
  readonly unit: string;
  /** The unit as people read it ("µg/m³", "°C"); empty for dimensionless values. */
  readonly unitDisplay: string;
  readonly kind: MetricKind;
  /** Valid range (inclusive) of number and integer metrics; absent for booleans. */
  readonly min?: number;
  readonly max?: number;
}

/** A kind of field device: what it measures and how often it should report. */
export interface DeviceType {
  readonly id: string;
  readonly name: LocalizedText;
  /** The sector a device of this type belongs to unless it is provisioned with another. */
  readonly sector: Sector;
  /** Expected seconds between two reports; presence uses it to call a device overdue. */
  readonly reportIntervalS: number;
  readonly metrics: readonly DeviceMetric[];
}

/** The catalogue shipped with the IOC: devices/data/device-types.json. */
export const DEVICE_CATALOGUE_FILE = fileURLToPath(
  new URL('../data/device-types.json', import.meta.url),
);

/**
 * The device types the IOC knows, loaded from data so that a province adds a type by
 * editing JSON rather than code. Immutable once built.
 */
export class DeviceCatalogue {
  readonly #types = new Map<string, DeviceType>();
  readonly #metrics = new Map<string, Map<string, DeviceMetric>>();

  private constructor(types: readonly DeviceType[]) {
    for (const type of types) {
      this.#types.set(type.id, type);
      this.#metrics.set(type.id, new Map(type.metrics.map((metric) => [metric.key, metric])));
    }
  }

  /**
   * Checks `data` (parsed JSON) and builds a catalogue. Throws a StartupError with code
   * DEVICE_CATALOGUE_INVALID naming `source`, the place in the data and what is expected.
   */
  static from(data: unknown, source = 'device catalogue'): DeviceCatalogue {
    const fail = (message: string): never => {
      throw new StartupError(`${source}: ${message}`, 'DEVICE_CATALOGUE_INVALID');
    };
    const first = Value.Errors(DeviceCatalogueSchema, data).First();
    if (first) fail(describeSchemaError(first));
    const definition = nfcDeep(data) as DeviceCatalogueDefinition;
    const seen = new Set<string>();
    const types = definition.types.map((type, t): DeviceType => {
      if (seen.has(type.id)) fail(`/types/${t}/id: type "${type.id}" is defined twice`);
      seen.add(type.id);
      const keys = new Set<string>();
      const metrics = type.metrics.map((metric, m): DeviceMetric => {
        const at = `/types/${t}/metrics/${m}`;
        if (keys.has(metric.key)) {
          fail(`${at}/key: metric "${metric.key}" appears twice in type "${type.id}"`);
        }
        keys.add(metric.key);
        const { min, max } = metric;
        if (metric.kind === 'boolean') {
          if (min !== undefined || max !== undefined) {
            fail(`${at}: boolean metric "${metric.key}" cannot have min or max; remove them`);
          }
        } else {
          if (min === undefined || max === undefined) {
            fail(`${at}: ${metric.kind} metric "${metric.key}" needs both "min" and "max"`);
          } else if (min > max) {
            fail(`${at}: metric "${metric.key}" has min ${min} above max ${max}`);
          } else if (
            metric.kind === 'integer' &&
            (!Number.isInteger(min) || !Number.isInteger(max))
          ) {
            fail(`${at}: integer metric "${metric.key}" needs whole-number min and max`);
          }
        }
        return Object.freeze({
          ...metric,
          name: Object.freeze({ ...metric.name }),
          unitDisplay: metric.unitDisplay ?? (metric.unit === '1' ? '' : metric.unit),
        });
      });
      return Object.freeze({
        ...type,
        name: Object.freeze({ ...type.name }),
        metrics: Object.freeze(metrics),
      });
    });
    return new DeviceCatalogue(types);
  }

  /** Every type, in file order. */
  types(): readonly DeviceType[] {
    return [...this.#types.values()];
  }

  has(typeId: string): boolean {
    return this.#types.has(typeId);
  }

  get(typeId: string): DeviceType | undefined {
    return this.#types.get(typeId);
  }

  /** The metric `key` of type `typeId`; undefined when either is unknown. */
  metric(typeId: string, key: string): DeviceMetric | undefined {
    return this.#metrics.get(typeId)?.get(key);
  }
}

/**
 * Reads a catalogue file (the shipped one by default). Every problem is a StartupError
 * with code DEVICE_CATALOGUE_INVALID (or DEVICE_CATALOGUE_MISSING) naming the file.
 */
export async function loadDeviceCatalogue(
  file: string = DEVICE_CATALOGUE_FILE,
): Promise<DeviceCatalogue> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new StartupError(
      `cannot read the device catalogue ${file} (${(err as Error).message}); check the path or reinstall the IOC`,
      'DEVICE_CATALOGUE_MISSING',
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new StartupError(
      `device catalogue ${file} is not valid JSON (${(err as Error).message})`,
      'DEVICE_CATALOGUE_INVALID',
    );
  }
  return DeviceCatalogue.from(data, `device catalogue ${file}`);
}

function describeSchemaError(error: ValueError): string {
  const at = error.path || '(root)';
  if (error.type === ValueErrorType.ObjectAdditionalProperties) {
    return `${at} is not a known field; remove it or correct its spelling`;
  }
  const expected = (error.schema.description as string | undefined) ?? error.message;
  if (error.value === undefined) return `${at} is missing; add ${expected}`;
  return `${at} is ${JSON.stringify(error.value)}; expected ${expected}`;
}

/** Deep copy of JSON data with every string in Unicode NFC, the form all text is kept in. */
function nfcDeep(value: unknown): unknown {
  if (typeof value === 'string') return value.normalize('NFC');
  if (Array.isArray(value)) return value.map(nfcDeep);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, nfcDeep(item)]));
  }
  return value;
}
