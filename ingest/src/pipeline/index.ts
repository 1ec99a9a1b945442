// The telemetry pipeline: payload parsing, validation, enrichment, the durable spool to
// InfluxDB, dead letters and the telemetry query.
export { type DeadLetter, DeadLetterLog, type DeadLetterLogOptions } from './dead-letters.js';
export { type ParsedPayload, type PayloadOptions, parseTelemetryPayload } from './payload.js';
export type { Rejection, RejectionCode } from './rejection.js';
export {
  type LineWriter,
  type SpoolBatchInfo,
  TelemetrySpool,
  type TelemetrySpoolEvents,
  type TelemetrySpoolOptions,
} from './spool.js';
export {
  type LatestValues,
  type PipelineOutcome,
  type TelemetryErrorReport,
  TelemetryPipeline,
  type TelemetryPipelineEvents,
  type TelemetryPipelineOptions,
} from './telemetry-pipeline.js';
export {
  TELEMETRY_MEASUREMENT,
  type TelemetryPoint,
  toLineProtocol,
  toTelemetryPoint,
} from './telemetry-point.js';
export {
  MAX_TELEMETRY_BUCKETS,
  queryTelemetry,
  type TelemetryQuery,
  type TelemetrySample,
} from './telemetry-query.js';
export {
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_FUTURE_MS,
  type ValidatedReading,
  type ValidationOptions,
  validateReading,
} from './validator.js';
