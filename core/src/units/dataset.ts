import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { StartupError } from '../errors.js';
import { DATASET_ID_PATTERN, type DatasetDefinition, DatasetSchema } from './dataset-schema.js';
import { nfcDeep } from './text.js';
import type { UnitDatasetInfo } from './types.js';

/**
 * core/data, found from this module's own location so it works from core/src/units (tests,
 * tsx) and from the built core/dist/units alike.
 */
export const CORE_DATA_DIR = fileURLToPath(new URL('../../data/', import.meta.url));

export function toPath(dir: string | URL): string {
  return dir instanceof URL ? fileURLToPath(dir) : dir;
}

function datasetsDir(dataDir: string | URL): string {
  return join(toPath(dataDir), 'units');
}

async function datasetIds(dataDir: string | URL): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(datasetsDir(dataDir));
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .sort();
}

/** The datasets under `<dataDir>/units/`, sorted by id. */
export async function listUnitDatasets(
  dataDir: string | URL = CORE_DATA_DIR,
): Promise<UnitDatasetInfo[]> {
  const out: UnitDatasetInfo[] = [];
  for (const id of await datasetIds(dataDir)) {
    const { definition } = await readDatasetDefinition(id, dataDir);
    out.push({ id: definition.id, name: definition.name, description: definition.description });
  }
  return out;
}

/** Reads and schema-checks `<dataDir>/units/<id>.json`; strings come back NFC. */
export async function readDatasetDefinition(
  id: string,
  dataDir: string | URL = CORE_DATA_DIR,
): Promise<{ definition: DatasetDefinition; file: string }> {
  const dir = datasetsDir(dataDir);
  const known = await datasetIds(dataDir);
  if (!new RegExp(DATASET_ID_PATTERN).test(id) || !known.includes(id)) {
    const list = known.length > 0 ? known.join(', ') : `none (no *.json files in ${dir})`;
    throw new StartupError(
      `unknown unit dataset '${id}'; known datasets: ${list}. Set units.dataset (IOC_UNITS_DATASET) to one of them or add ${join(dir, `${id}.json`)}`,
      'UNIT_DATASET_UNKNOWN',
    );
  }
  const file = join(dir, `${id}.json`);
  let parsed: unknown;
  try {
    parsed = nfcDeep(JSON.parse(await readFile(file, 'utf8')));
  } catch (err) {
    throw new StartupError(
      `unit dataset file ${file} is not valid JSON (${(err as Error).message})`,
      'UNIT_DATASET_INVALID',
    );
  }
  const first = Value.Errors(DatasetSchema, parsed).First();
  if (first) {
    const at = first.path || '(root)';
    const got = first.value === undefined ? 'missing' : JSON.stringify(first.value);
    const expected = (first.schema.description as string | undefined) ?? first.message;
    throw new StartupError(
      `unit dataset file ${file}: ${at} is ${got}; expected ${expected}`,
      'UNIT_DATASET_INVALID',
    );
  }
  const definition = parsed as DatasetDefinition;
  if (definition.id !== id) {
    throw new StartupError(
      `unit dataset file ${file} declares id '${definition.id}'; it must match the file name ('${id}')`,
      'UNIT_DATASET_INVALID',
    );
  }
  return { definition, file };
}
