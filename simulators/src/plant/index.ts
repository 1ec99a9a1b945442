export type { Catchment } from './catchment.js';
export { DA_NANG_PLANT } from './da-nang.js';
export {
  PlantCommandError,
  type PlantCommandErrorCode,
  PlantModel,
  type PlantSnapshot,
  type PlantSpec,
  type PumpStationReading,
  type SluiceGateReading,
} from './plant-model.js';
export type { PumpStationSpec } from './pump-station.js';
export { DA_NANG_STORMS, type StormClimate } from './rainfall.js';
export type { RiverSite } from './river.js';
export type { SluiceGateSpec } from './sluice-gate.js';
