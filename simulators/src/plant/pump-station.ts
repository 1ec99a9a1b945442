import { type Catchment, inflowM3s } from './catchment.js';
import type { RiverSite } from './river.js';

/** A drainage pumping station (trạm bơm tiêu): a forebay filled by its catchment, emptied by a pump into the river. */
export interface PumpStationSpec {
  /** Browse name: ASCII, stable, used in node ids. */
  id: string;
  /** Display name in Vietnamese. */
  name: string;
  latitude: number;
  longitude: number;
  catchment: Catchment;
  river: RiverSite;
  /** Surface of the forebay / retention pond (m²): how fast the level moves. */
  storageM2: number;
  /** Level (cm) at which the pump loses suction; it delivers nothing below it. */
  sumpFloorCm: number;
  /** Level (cm) at which the pond overtops its banks and floods the ward. */
  bankTopCm: number;
  ratedFlowM3s: number;
  /** Total head (m) at rated flow with the river level with the forebay. */
  ratedHeadM: number;
  ratedCurrentA: number;
  /** Automatic control: start at or above startLevelCm, stop at or below stopLevelCm. */
  startLevelCm: number;
  stopLevelCm: number;
  initialInletCm: number;
}

/** True state of a station; readings add instrument noise on top. */
export interface PumpStationState {
  running: boolean;
  autoMode: boolean;
  flowRateM3s: number;
  inletLevelCm: number;
  outletLevelCm: number;
  motorCurrentA: number;
  rainfallMmPerHour: number;
  startLevelCm: number;
  stopLevelCm: number;
}

// Pumps spin up over a few seconds; flow follows with this time constant.
const FLOW_TIME_CONSTANT_S = 8;
// Below this much water over the sump floor the pump starts to lose suction.
const SUCTION_MARGIN_CM = 20;
// Share of rated current drawn with no load (magnetising + friction).
const NO_LOAD_CURRENT = 0.3;

export class PumpStation {
  readonly spec: PumpStationSpec;
  readonly state: PumpStationState;

  constructor(spec: PumpStationSpec, riverLevelCm: number) {
    this.spec = spec;
    this.state = {
      running: false,
      autoMode: true,
      flowRateM3s: 0,
      inletLevelCm: spec.initialInletCm,
      outletLevelCm: riverLevelCm,
      motorCurrentA: 0,
      rainfallMmPerHour: 0,
      startLevelCm: spec.startLevelCm,
      stopLevelCm: spec.stopLevelCm,
    };
  }

  advance(dtSeconds: number, rainMmPerHour: number, riverLevelCm: number): void {
    const { spec, state } = this;
    state.rainfallMmPerHour = rainMmPerHour * spec.catchment.rainFactor;
    state.outletLevelCm = riverLevelCm;

    if (state.autoMode) {
      // Hysteresis: the band between stop and start levels keeps the pump from short-cycling.
      if (!state.running && state.inletLevelCm >= state.startLevelCm) state.running = true;
      else if (state.running && state.inletLevelCm <= state.stopLevelCm) state.running = false;
    }

    const head = this.#headM();
    const targetFlow = state.running
      ? spec.ratedFlowM3s * pumpCurve(head / spec.ratedHeadM) * this.#suction()
      : 0;
    state.flowRateM3s +=
      (targetFlow - state.flowRateM3s) * (1 - Math.exp(-dtSeconds / FLOW_TIME_CONSTANT_S));
    if (state.flowRateM3s < 1e-4) state.flowRateM3s = 0;

    const netInflow = inflowM3s(spec.catchment, rainMmPerHour) - state.flowRateM3s;
    state.inletLevelCm += (netInflow * dtSeconds * 100) / spec.storageM2;
    state.inletLevelCm = Math.min(
      Math.max(state.inletLevelCm, spec.sumpFloorCm - 10),
      spec.bankTopCm,
    );

    const load = (state.flowRateM3s * head) / (spec.ratedFlowM3s * spec.ratedHeadM);
    state.motorCurrentA = state.running
      ? spec.ratedCurrentA * (NO_LOAD_CURRENT + (1 - NO_LOAD_CURRENT) * load)
      : 0;
  }

  /** Lift from the forebay to the river plus the fixed part (pipe, friction), at least half a metre. */
  #headM(): number {
    const { spec, state } = this;
    return Math.max(0.5, spec.ratedHeadM + (state.outletLevelCm - state.inletLevelCm) / 100);
  }

  #suction(): number {
    const aboveFloor = this.state.inletLevelCm - this.spec.sumpFloorCm;
    return Math.min(Math.max(aboveFloor / SUCTION_MARGIN_CM, 0), 1);
  }
}

/** Flow relative to rated flow at a head relative to rated head: a typical axial-flow pump curve. */
function pumpCurve(relativeHead: number): number {
  return Math.min(Math.max(1 - 0.4 * (relativeHead - 1), 0.2), 1.2);
}
