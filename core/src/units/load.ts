import { StartupError } from '../errors.js';
import { CORE_DATA_DIR, readDatasetDefinition } from './dataset.js';
import { type GeoJsonCache, readLayer, type UnitDraft } from './layers.js';
import { placeByGeometry } from './placement.js';
import { AdminUnitTree } from './tree.js';

/**
 * Loads the unit tree of dataset `datasetId` from `<dataDir>/units/<datasetId>.json` and the
 * GeoJSON files its layers name. Any problem with the data (unknown dataset, missing file,
 * feature without code, duplicate code, unknown parent, cycle, ...) throws a StartupError
 * whose code starts with UNIT_ and whose message names the file and the unit.
 */
export async function loadUnitTree(
  datasetId: string,
  dataDir: string | URL = CORE_DATA_DIR,
): Promise<AdminUnitTree> {
  const { definition, file } = await readDatasetDefinition(datasetId, dataDir);
  for (const [index, layer] of definition.layers.entries()) {
    const target = layer.parent && 'containedIn' in layer.parent ? layer.parent.containedIn : null;
    if (typeof target === 'number' && target >= definition.layers.length) {
      throw new StartupError(
        `unit dataset ${file}, layer ${index}: "parent.containedIn" is ${target} but the dataset has layers 0 to ${definition.layers.length - 1}`,
        'UNIT_DATASET_INVALID',
      );
    }
  }
  // One layer after another, so the first problem reported is always the same one.
  const cache: GeoJsonCache = new Map();
  const drafts: UnitDraft[] = [];
  for (const [index, layer] of definition.layers.entries()) {
    drafts.push(...(await readLayer(layer, index, file, cache)));
  }
  const notes: string[] = [];
  const units = placeByGeometry(drafts, `unit dataset ${file}`, notes);
  const info = { id: definition.id, name: definition.name, description: definition.description };
  return new AdminUnitTree(info, units, notes);
}
