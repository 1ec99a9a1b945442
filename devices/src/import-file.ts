import { ApiError, errorMessage } from '@ioc/core';
import { parse } from 'csv-parse/sync';
import { DEVICE_INPUT_FIELDS } from './device-input.js';

/** Rows of an import file and the number the first one is reported under. */
export interface DeviceImportBatch {
  rows: unknown[];
  /**
   * Row number of `rows[0]` in error reports: 2 for CSV (the header is row 1, as a
   * spreadsheet shows it), 1 for a JSON array.
   */
  firstRow: number;
}

export type DeviceImportFormat = 'csv' | 'json';

/** Reads an import file in either format; pass the result to `DeviceRegistry.importDevices`. */
export function parseDeviceImport(text: string, format: DeviceImportFormat): DeviceImportBatch {
  return format === 'csv'
    ? { rows: parseDeviceCsv(text), firstRow: 2 }
    : { rows: parseDeviceJson(text), firstRow: 1 };
}

const REQUIRED_COLUMNS = ['id', 'type', 'unit'];
const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * Parses a device CSV (UTF-8, optional BOM, RFC 4180 quoting) whose header row names the
 * columns: `id,name,type,unit,sector,lat,lon,tags` (any order; `enabled` allowed; only
 * id, type and unit required). Empty cells count as absent; lat/lon that look like
 * numbers become numbers; tags are `key=value` pairs separated by ";". Values that do
 * not convert are kept as text, so the import reports them against their row.
 * A file that is not CSV, or whose header is wrong, throws an ApiError (400 INVALID_CSV).
 */
export function parseDeviceCsv(text: string): Record<string, unknown>[] {
  let records: string[][];
  try {
    records = parse(text, { bom: true, trim: true, skip_empty_lines: true });
  } catch (err) {
    throw new ApiError(
      400,
      'INVALID_CSV',
      `the file is not valid CSV: ${errorMessage(err)}; separate fields with "," and put fields that contain "," or quotes in double quotes ("" for a quote inside)`,
    );
  }
  const [header, ...rows] = records;
  if (!header) {
    throw new ApiError(
      400,
      'INVALID_CSV',
      `the CSV file is empty; start it with the header row ${DEVICE_INPUT_FIELDS.slice(0, 8).join(',')}`,
    );
  }
  const columns = header.map((name) => name.normalize('NFC').toLowerCase());
  for (const [index, name] of columns.entries()) {
    if (!(DEVICE_INPUT_FIELDS as readonly string[]).includes(name)) {
      throw new ApiError(
        400,
        'INVALID_CSV',
        `CSV column ${index + 1} is named "${header[index]}"; the header row may name only ${DEVICE_INPUT_FIELDS.join(', ')}`,
      );
    }
    if (columns.indexOf(name) !== index) {
      throw new ApiError(400, 'INVALID_CSV', `the CSV header names column "${name}" twice`);
    }
  }
  const missing = REQUIRED_COLUMNS.filter((name) => !columns.includes(name));
  if (missing.length > 0) {
    throw new ApiError(
      400,
      'INVALID_CSV',
      `the CSV header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; the first row must name the columns, e.g. ${DEVICE_INPUT_FIELDS.slice(0, 8).join(',')}`,
    );
  }
  return rows.map((cells) => {
    const row: Record<string, unknown> = {};
    for (const [index, name] of columns.entries()) {
      const cell = cells[index] ?? '';
      if (cell !== '') row[name] = convertCell(name, cell);
    }
    return row;
  });
}

function convertCell(column: string, cell: string): unknown {
  switch (column) {
    case 'lat':
    case 'lon':
      return NUMBER.test(cell) ? Number(cell) : cell;
    case 'enabled':
      return cell === 'true' ? true : cell === 'false' ? false : cell;
    case 'tags':
      return parseTags(cell) ?? cell;
    default:
      return cell;
  }
}

/** `river=Cu Đê;station=Hòa Bắc` → {river: 'Cu Đê', station: 'Hòa Bắc'}; undefined when malformed. */
function parseTags(cell: string): Record<string, string> | undefined {
  const tags: Record<string, string> = {};
  for (const pair of cell.split(';')) {
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    if (at <= 0) return undefined;
    tags[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return tags;
}

/** Parses a JSON import file: an array of device objects (the fields of DeviceInput). */
export function parseDeviceJson(text: string): unknown[] {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new ApiError(400, 'INVALID_JSON', `the file is not valid JSON: ${errorMessage(err)}`);
  }
  if (!Array.isArray(data)) {
    throw new ApiError(
      400,
      'INVALID_JSON',
      'the JSON file must be an array of devices, e.g. [{"id": "wl-01", "type": "water-level", "unit": "20194"}]',
    );
  }
  return data;
}
