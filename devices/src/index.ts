// The device contract shared by the broker, ingest, the web server and the simulators:
// MQTT topics, the catalogue of device types, and the SQL device registry.
export {
  DEVICE_CATALOGUE_FILE,
  DeviceCatalogue,
  type DeviceMetric,
  type DeviceType,
  loadDeviceCatalogue,
} from './catalogue.js';
export {
  DEVICE_TYPE_ID_PATTERN,
  DeviceCatalogueSchema,
  METRIC_KEY_PATTERN,
  METRIC_KINDS,
  type MetricKind,
} from './catalogue-schema.js';
export type { Device } from './device.js';
export { DEVICE_INPUT_FIELDS, type DeviceInput } from './device-input.js';
export {
  type DeviceImportBatch,
  type DeviceImportFormat,
  parseDeviceCsv,
  parseDeviceImport,
  parseDeviceJson,
} from './import-file.js';
export type { ImportRowError } from './import-plan.js';
export {
  type DeviceListFilter,
  type DeviceLogin,
  type DevicePage,
  DeviceRegistry,
  type DeviceRegistryEvents,
  type DeviceRegistryOptions,
  type ImportOptions,
  type ImportReport,
  MAX_IMPORT_ROWS,
} from './registry.js';
export { isSector, type LocalizedText, SECTOR_IDS, SECTORS, type Sector } from './sectors.js';
export * from './topics.js';
