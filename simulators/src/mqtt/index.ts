// The demo province's MQTT field devices: which ones (fleet), how they behave (models),
// and their connections to the broker (simulator).
export {
  createDeviceModel,
  DEFAULT_FAULT_RATES,
  type DeviceModel,
  type DeviceModelOptions,
  type FaultRates,
  localTime,
  type Reading,
} from './device-models.js';
export {
  DEFAULT_DEMO_FLEET_SIZE,
  type DemoCredentials,
  DemoFleet,
  type DemoFleetOptions,
  type ProvisionOptions,
  type ProvisionReport,
} from './fleet.js';
export {
  DEMO_DEVICE_TYPES,
  type DemoDevice,
  type DemoDeviceType,
  MAX_DEMO_DEVICES,
  planDemoFleet,
} from './fleet-plan.js';
export {
  DemoFleetRunner,
  type DemoFleetRunnerOptions,
  type DemoFleetState,
} from './fleet-runner.js';
export { type MqttFleetEvents, type MqttFleetOptions, MqttFleetSimulator } from './mqtt-fleet.js';
export {
  RainfallHistory,
  type RainfallSource,
  StormTimeline,
  type StormTimelineOptions,
} from './rainfall-feed.js';
export { DEMO_SECRETS_FILE, DemoSecretsFile } from './secrets-file.js';
