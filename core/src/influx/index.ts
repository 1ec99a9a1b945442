// InfluxDB access: a supervised local influxd, a store that writes through the official
// client and reads with InfluxQL, and the start-up that picks managed or external.
export { Point, type WriteApi, type WriteOptions } from '@influxdata/influxdb-client';
export { InfluxError, type InfluxErrorCode } from './influx-error.js';
export { requireInfluxd } from './preflight.js';
export { type RunningInflux, startInflux } from './start.js';
export {
  type InfluxConnectOptions,
  type InfluxQueryParams,
  type InfluxSeries,
  InfluxStore,
} from './store.js';
export {
  type InfluxdExit,
  type InfluxdReady,
  type InfluxdRestart,
  InfluxSupervisor,
  type InfluxSupervisorEvents,
  type InfluxSupervisorOptions,
} from './supervisor.js';
