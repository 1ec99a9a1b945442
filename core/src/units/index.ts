// Administrative units as data: the tree of a dataset in core/data/units, its geometry and lookups.
export { CORE_DATA_DIR, listUnitDatasets } from './dataset.js';
export { UnitLookupError } from './errors.js';
export { loadUnitTree } from './load.js';
export { foldDiacritics } from './text.js';
export { AdminUnitTree, type FindByNameOptions } from './tree.js';
export {
  type AdminUnit,
  type AdminUnitInput,
  UNIT_TYPES,
  type UnitDatasetInfo,
  type UnitFeatureProperties,
  type UnitGeometry,
  type UnitSummaryNode,
  type UnitType,
} from './types.js';
