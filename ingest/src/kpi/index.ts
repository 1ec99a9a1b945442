// Public-service KPIs: definitions (ingest/data/kpis.json + ingest.kpiFile), checked
// observations into InfluxDB (measurement `kpi`), and roll-ups up the admin-unit tree.
export { DEFAULT_KPI_FILE, KpiCatalogue, KpiDefinitionError } from './catalogue.js';
export {
  isRatio,
  KPI_CODE_PATTERN,
  type KpiDefinition,
  KpiDefinitionSchema,
  type KpiFile,
  KpiFileSchema,
  type RatioKpiDefinition,
  type StoredKpiDefinition,
} from './definition.js';
export type { KpiFigure } from './kpi-figure.js';
export { DEFAULT_KPI_PERIOD_DAYS, KpiPeriod, MAX_KPI_PERIOD_DAYS } from './kpi-period.js';
export { KPI_MEASUREMENT, kpiLine } from './kpi-point.js';
export {
  type KpiBreakdown,
  type KpiBreakdownQuery,
  type KpiHeader,
  type KpiPoint,
  KpiReader,
  type KpiSeries,
  type KpiSeriesQuery,
} from './kpi-reader.js';
export {
  KpiService,
  type KpiServiceOptions,
  type KpiSubmitReport,
  MAX_KPI_BATCH,
} from './kpi-service.js';
export { localDateOf, localMidnight } from './local-day.js';
export {
  type CheckedObservation,
  KpiObservationChecker,
  type KpiRowError,
  type KpiRowErrorCode,
} from './observation-input.js';
export { RatioDerivation, type RatioDerivationOptions } from './ratio-derivation.js';
