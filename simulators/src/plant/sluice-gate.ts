import { type Catchment, inflowM3s } from './catchment.js';
import type { RiverSite } from './river.js';

/** A drainage sluice gate (cống tiêu): a vertical-lift gate between a canal and the tidal river. */
export interface SluiceGateSpec {
  /** Browse name: ASCII, stable, used in node ids. */
  id: string;
  /** Display name in Vietnamese. */
  name: string;
  latitude: number;
  longitude: number;
  catchment: Catchment;
  river: RiverSite;
  /** Surface of the canal reach upstream of the gate (m²). */
  storageM2: number;
  widthM: number;
  /** Gate travel (m) between fully closed and fully open. */
  heightM: number;
  /** Discharge coefficient of the orifice under the gate (about 0.6). */
  dischargeCoefficient: number;
  /** How fast the hoist moves the gate (% of full travel per second). */
  travelPercentPerSecond: number;
  initialOpeningPercent: number;
  initialUpstreamCm: number;
  /** Canal bank level (cm): the canal cannot rise higher (it spills). */
  bankTopCm: number;
}

/** True state of a gate; readings add instrument noise on top. */
export interface SluiceGateState {
  openingPercent: number;
  openingSetpointPercent: number;
  upstreamLevelCm: number;
  downstreamLevelCm: number;
  /** Positive towards the river; negative when the tide pushes back through an open gate. */
  dischargeM3s: number;
  rainfallMmPerHour: number;
}

const GRAVITY = 9.81;
// Below this head difference the sqrt law is replaced by a linear one, which is both closer to
// reality (the flow is no longer free) and keeps the explicit integration from chattering.
const LINEAR_BELOW_M = 0.05;

export class SluiceGate {
  readonly spec: SluiceGateSpec;
  readonly state: SluiceGateState;

  constructor(spec: SluiceGateSpec, riverLevelCm: number) {
    this.spec = spec;
    this.state = {
      openingPercent: spec.initialOpeningPercent,
      openingSetpointPercent: spec.initialOpeningPercent,
      upstreamLevelCm: spec.initialUpstreamCm,
      downstreamLevelCm: riverLevelCm,
      dischargeM3s: 0,
      rainfallMmPerHour: 0,
    };
  }

  advance(dtSeconds: number, rainMmPerHour: number, riverLevelCm: number): void {
    const { spec, state } = this;
    state.rainfallMmPerHour = rainMmPerHour * spec.catchment.rainFactor;
    state.downstreamLevelCm = riverLevelCm;

    const travel = spec.travelPercentPerSecond * dtSeconds;
    const towardsSetpoint = state.openingSetpointPercent - state.openingPercent;
    state.openingPercent +=
      Math.sign(towardsSetpoint) * Math.min(Math.abs(towardsSetpoint), travel);

    const headM = (state.upstreamLevelCm - state.downstreamLevelCm) / 100;
    const areaM2 = (state.openingPercent / 100) * spec.heightM * spec.widthM;
    const velocityScale =
      Math.sqrt(2 * GRAVITY) * (headM / Math.sqrt(Math.max(Math.abs(headM), LINEAR_BELOW_M)));
    state.dischargeM3s = spec.dischargeCoefficient * areaM2 * velocityScale;

    const netInflow = inflowM3s(spec.catchment, rainMmPerHour) - state.dischargeM3s;
    state.upstreamLevelCm += (netInflow * dtSeconds * 100) / spec.storageM2;
    state.upstreamLevelCm = Math.min(state.upstreamLevelCm, spec.bankTopCm);
  }
}
