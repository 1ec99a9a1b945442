import type { AdminUnitTree } from '@ioc/core';
import type { DeviceCatalogue } from './catalogue.js';
import { isSector, SECTOR_IDS, type Sector } from './sectors.js';
import { isDeviceId } from './topics.js';

/** What an administrator gives to provision a device (one row of a bulk import). */
export interface DeviceInput {
  /** 1-64 of letters, digits, '.', '_', '-': the MQTT username and topic segment. */
  id: string;
  /** A type id of the device catalogue, e.g. "water-level". */
  type: string;
  /** Administrative unit code (mã đơn vị hành chính) of the unit dataset, e.g. "20194". */
  unit: string;
  /** Display name; the id when absent. */
  name?: string;
  /** Defaults to the type's sector. */
  sector?: string;
  /** WGS84 decimal degrees; give both or neither. */
  lat?: number | null;
  lon?: number | null;
  /** Free metadata, e.g. {"river": "Cu Đê"}. */
  tags?: Record<string, string>;
  /** Defaults to true. */
  enabled?: boolean;
}

/** A checked, normalised (NFC, trimmed, defaults applied) device ready to store. */
export interface NewDevice {
  id: string;
  name: string;
  type: string;
  unit: string;
  sector: Sector;
  lat: number | null;
  lon: number | null;
  tags: Record<string, string>;
  enabled: boolean;
}

/** One thing wrong with an input, with a code and a message saying what to fix. */
export interface InputProblem {
  code: string;
  message: string;
}

export type CheckedInput =
  | { ok: true; device: NewDevice }
  | { ok: false; id?: string; problems: InputProblem[] };

export const DEVICE_INPUT_FIELDS = [
  'id',
  'name',
  'type',
  'unit',
  'sector',
  'lat',
  'lon',
  'tags',
  'enabled',
] as const;

const MAX_NAME_LENGTH = 200;
const MAX_TAGS = 32;
const MAX_TAG_VALUE_LENGTH = 200;
const TAG_KEY = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Checks a device input against the catalogue and the unit tree. Reports every problem of
 * the input at once, so that a person fixes a bad import row in one go.
 */
export class DeviceInputChecker {
  constructor(
    private readonly catalogue: DeviceCatalogue,
    private readonly units: AdminUnitTree,
  ) {}

  check(input: unknown): CheckedInput {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      return {
        ok: false,
        problems: [
          {
            code: 'INVALID_DEVICE',
            message: `a device must be an object with ${DEVICE_INPUT_FIELDS.join(', ')}; got ${describe(input)}`,
          },
        ],
      };
    }
    const fields = input as Record<string, unknown>;
    const problems: InputProblem[] = [];
    const problem = (code: string, message: string) => {
      problems.push({ code, message });
    };

    for (const key of Object.keys(fields)) {
      if (!(DEVICE_INPUT_FIELDS as readonly string[]).includes(key)) {
        problem(
          'INVALID_DEVICE',
          `unknown field "${key}"; the fields are ${DEVICE_INPUT_FIELDS.join(', ')}`,
        );
      }
    }

    const id = requiredText(fields, 'id', 'such as "wl-hai-van-01"', problem);
    if (id !== undefined && !isDeviceId(id)) {
      problem(
        'INVALID_DEVICE_ID',
        `id "${id}" is not a valid device id: use 1-64 characters of letters a-z A-Z, digits, ".", "_" or "-" (no spaces or diacritics)`,
      );
    }

    const typeId = requiredText(fields, 'type', 'such as "water-level"', problem);
    const type = typeId === undefined ? undefined : this.catalogue.get(typeId);
    if (typeId !== undefined && !type) {
      problem(
        'UNKNOWN_DEVICE_TYPE',
        `type "${typeId}" is not in the device catalogue; use one of ${this.catalogue
          .types()
          .map((t) => t.id)
          .join(', ')}`,
      );
    }

    const unit = requiredText(fields, 'unit', 'an administrative unit code such as "48"', problem);
    if (unit !== undefined && !this.units.has(unit)) {
      problem(
        'UNKNOWN_UNIT',
        `unit "${unit}" is not an administrative unit of dataset ${this.units.dataset.id}; use an official unit code (mã đơn vị hành chính) of that dataset`,
      );
    }

    const name = optionalText(fields, 'name', problem);
    if (name !== undefined && name.length > MAX_NAME_LENGTH) {
      problem('INVALID_NAME', `name is ${name.length} characters; use at most ${MAX_NAME_LENGTH}`);
    }

    const sectorText = optionalText(fields, 'sector', problem);
    if (sectorText !== undefined && !isSector(sectorText)) {
      problem(
        'UNKNOWN_SECTOR',
        `sector "${sectorText}" is unknown; use one of ${SECTOR_IDS.join(', ')} (or leave it empty for the type's sector)`,
      );
    }

    const lat = coordinate(fields, 'lat', 90, problem);
    const lon = coordinate(fields, 'lon', 180, problem);
    if ((lat === null) !== (lon === null) && lat !== undefined && lon !== undefined) {
      problem('INVALID_LOCATION', 'give both lat and lon, or neither');
    }

    const tags = checkTags(fields.tags, problem);

    const enabled = fields.enabled ?? true;
    if (typeof enabled !== 'boolean') {
      problem('INVALID_DEVICE', `enabled must be true or false; got ${describe(fields.enabled)}`);
    }

    if (problems.length > 0 || id === undefined || !type || unit === undefined) {
      return { ok: false, ...(id === undefined ? {} : { id }), problems };
    }
    return {
      ok: true,
      device: {
        id,
        name: name ?? id,
        type: type.id,
        unit,
        sector: (sectorText as Sector | undefined) ?? type.sector,
        lat: lat ?? null,
        lon: lon ?? null,
        tags: tags ?? {},
        enabled: enabled as boolean,
      },
    };
  }
}

type Report = (code: string, message: string) => void;

/** A non-empty string field, NFC and trimmed; undefined (and a problem) otherwise. */
function requiredText(
  fields: Record<string, unknown>,
  key: string,
  example: string,
  problem: Report,
): string | undefined {
  const value = fields[key];
  if (value === undefined || value === null || typeof value === 'string') {
    const text = value?.normalize('NFC').trim();
    if (text) return text;
    problem(codeFor(key), `${key} is missing; give ${example}`);
  } else {
    problem(codeFor(key), `${key} must be text (${example}); got ${describe(value)}`);
  }
  return undefined;
}

/** A string field, NFC and trimmed; empty counts as absent. */
function optionalText(
  fields: Record<string, unknown>,
  key: string,
  problem: Report,
): string | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    problem(codeFor(key), `${key} must be text; got ${describe(value)}`);
    return undefined;
  }
  const text = value.normalize('NFC').trim();
  return text === '' ? undefined : text;
}

function codeFor(key: string): string {
  switch (key) {
    case 'id':
      return 'INVALID_DEVICE_ID';
    case 'type':
      return 'UNKNOWN_DEVICE_TYPE';
    case 'unit':
      return 'UNKNOWN_UNIT';
    case 'sector':
      return 'UNKNOWN_SECTOR';
    case 'name':
      return 'INVALID_NAME';
    default:
      return 'INVALID_DEVICE';
  }
}

/** A WGS84 coordinate: null when absent, undefined (and a problem) when invalid. */
function coordinate(
  fields: Record<string, unknown>,
  key: 'lat' | 'lon',
  limit: number,
  problem: Report,
): number | null | undefined {
  const value = fields[key];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    problem(
      'INVALID_LOCATION',
      `${key} must be a number in decimal degrees with a "." (e.g. ${key === 'lat' ? '16.0678' : '108.2208'}); got ${describe(value)}`,
    );
    return undefined;
  }
  if (Math.abs(value) > limit) {
    problem(
      'INVALID_LOCATION',
      `${key} ${value} is out of range; use WGS84 decimal degrees from -${limit} to ${limit}`,
    );
    return undefined;
  }
  return value;
}

function checkTags(value: unknown, problem: Report): Record<string, string> | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    problem(
      'INVALID_TAGS',
      `tags must be an object of text values (in CSV: key=value pairs separated by ";"); got ${describe(value)}`,
    );
    return undefined;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_TAGS) {
    problem('INVALID_TAGS', `${entries.length} tags given; use at most ${MAX_TAGS}`);
    return undefined;
  }
  const tags: Record<string, string> = {};
  for (const [key, item] of entries) {
    if (!TAG_KEY.test(key)) {
      problem(
        'INVALID_TAGS',
        `tag key "${key}" is not valid; use 1-64 of letters a-z A-Z, digits, "_", ".", ":" or "-"`,
      );
    } else if (typeof item !== 'string') {
      problem('INVALID_TAGS', `tag "${key}" must be text; got ${describe(item)}`);
    } else if (item.length > MAX_TAG_VALUE_LENGTH) {
      problem('INVALID_TAGS', `tag "${key}" is longer than ${MAX_TAG_VALUE_LENGTH} characters`);
    } else {
      tags[key] = item.normalize('NFC').trim();
    }
  }
  return tags;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
