import { SeededRandom } from '../random.js';
import { PumpStation, type PumpStationSpec } from './pump-station.js';
import { type StormClimate, StormRainfall } from './rainfall.js';
import { TidalRiver } from './river.js';
import { SluiceGate, type SluiceGateSpec } from './sluice-gate.js';

export interface PlantSpec {
  stations: readonly PumpStationSpec[];
  gates: readonly SluiceGateSpec[];
  climate?: StormClimate;
}

/** What the PLC reports for a pumping station: the true state plus instrument noise. */
export interface PumpStationReading {
  id: string;
  running: boolean;
  autoMode: boolean;
  /** m³/s */
  flowRate: number;
  /** cm above gauge zero */
  inletLevel: number;
  /** cm above gauge zero */
  outletLevel: number;
  /** A */
  motorCurrent: number;
  /** mm/h */
  rainfall: number;
  /** cm: automatic start level */
  startLevel: number;
  /** cm: automatic stop level */
  stopLevel: number;
}

/** What the PLC reports for a sluice gate: the true state plus instrument noise. */
export interface SluiceGateReading {
  id: string;
  /** % open (actual position) */
  opening: number;
  /** % open (commanded) */
  openingSetpoint: number;
  /** cm above gauge zero */
  upstreamLevel: number;
  /** cm above gauge zero */
  downstreamLevel: number;
  /** m³/s, positive towards the river */
  discharge: number;
}

export interface PlantSnapshot {
  /** Seconds of simulated time since the model was created. */
  simulatedSeconds: number;
  /** City-wide rainfall intensity (mm/h) before local factors. */
  rainfall: number;
  stations: PumpStationReading[];
  gates: SluiceGateReading[];
}

export type PlantCommandErrorCode = 'UNKNOWN_STATION' | 'UNKNOWN_GATE' | 'OUT_OF_RANGE';

/** A command the plant refuses; the message says what a valid command looks like. */
export class PlantCommandError extends Error {
  override readonly name = 'PlantCommandError';
  constructor(
    readonly code: PlantCommandErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// Integrate in steps of at most this many simulated seconds, whatever the caller's step.
const MAX_SUBSTEP_S = 5;
// Instrument noise (one standard deviation).
const LEVEL_NOISE_CM = 0.3;
const FLOW_NOISE_SHARE = 0.01;
const CURRENT_NOISE_SHARE = 0.005;
const MAX_RAINFALL_MM_H = 500;

/**
 * The physical process behind the simulated PLC: rain over each catchment, a tidal river,
 * forebays drained by pumps under hysteresis control, canals drained through sluice gates.
 * Pure and deterministic: the same seed and the same sequence of steps and commands give the
 * same readings. It knows nothing about OPC-UA.
 */
export class PlantModel {
  readonly #random: SeededRandom;
  readonly #rainfall: StormRainfall;
  readonly #river = new TidalRiver();
  readonly #stations = new Map<string, PumpStation>();
  readonly #gates = new Map<string, SluiceGate>();
  #rainOverride: number | undefined;
  #rain = 0;
  #simulatedSeconds = 0;
  #snapshot: PlantSnapshot;

  constructor(spec: PlantSpec, seed = 1) {
    this.#random = new SeededRandom(seed);
    this.#rainfall = new StormRainfall(this.#random, spec.climate);
    for (const station of spec.stations) {
      if (this.#stations.has(station.id))
        throw new RangeError(`duplicate pump station id "${station.id}"`);
      this.#stations.set(station.id, new PumpStation(station, this.#river.levelAt(station.river)));
    }
    for (const gate of spec.gates) {
      if (this.#gates.has(gate.id)) throw new RangeError(`duplicate sluice gate id "${gate.id}"`);
      this.#gates.set(gate.id, new SluiceGate(gate, this.#river.levelAt(gate.river)));
    }
    this.#snapshot = this.#read();
  }

  get stationSpecs(): PumpStationSpec[] {
    return [...this.#stations.values()].map((s) => s.spec);
  }

  get gateSpecs(): SluiceGateSpec[] {
    return [...this.#gates.values()].map((g) => g.spec);
  }

  /** Readings as of the last step (noise included). */
  get snapshot(): PlantSnapshot {
    return this.#snapshot;
  }

  /** Advances the process by dtSeconds of simulated time and returns the new readings. */
  step(dtSeconds: number): PlantSnapshot {
    if (!(dtSeconds > 0) || !Number.isFinite(dtSeconds)) {
      throw new RangeError(`step must be a positive number of seconds, got ${dtSeconds}`);
    }
    let remaining = dtSeconds;
    while (remaining > 0) {
      const dt = Math.min(remaining, MAX_SUBSTEP_S);
      remaining -= dt;
      const stormRain = this.#rainfall.advance(dt);
      this.#rain = this.#rainOverride ?? stormRain;
      this.#river.advance(dt, this.#rain);
      for (const station of this.#stations.values()) {
        station.advance(dt, this.#rain, this.#river.levelAt(station.spec.river));
      }
      for (const gate of this.#gates.values()) {
        gate.advance(dt, this.#rain, this.#river.levelAt(gate.spec.river));
      }
    }
    this.#simulatedSeconds += dtSeconds;
    this.#snapshot = this.#read();
    return this.#snapshot;
  }

  /** Forces the city-wide rainfall (mm/h) instead of the storm generator; undefined resumes storms. */
  setRainfall(mmPerHour: number | undefined): void {
    if (mmPerHour !== undefined) checkRange('rainfall (mm/h)', mmPerHour, 0, MAX_RAINFALL_MM_H);
    this.#rainOverride = mmPerHour;
  }

  /** An operator's start/stop: takes the station out of automatic control until setAutoMode(true). */
  commandPump(stationId: string, running: boolean): void {
    const station = this.#station(stationId);
    station.state.autoMode = false;
    station.state.running = running;
    this.#echoStation(station);
  }

  setAutoMode(stationId: string, autoMode: boolean): void {
    const station = this.#station(stationId);
    station.state.autoMode = autoMode;
    this.#echoStation(station);
  }

  /** Changes the automatic start/stop levels; the stop level must stay below the start level. */
  setControlLevels(
    stationId: string,
    levels: { startLevelCm?: number; stopLevelCm?: number },
  ): void {
    const station = this.#station(stationId);
    const { spec, state } = station;
    const start = levels.startLevelCm ?? state.startLevelCm;
    const stop = levels.stopLevelCm ?? state.stopLevelCm;
    checkRange('start level (cm)', start, spec.sumpFloorCm, spec.bankTopCm);
    checkRange('stop level (cm)', stop, spec.sumpFloorCm, spec.bankTopCm);
    if (stop >= start) {
      throw new PlantCommandError(
        'OUT_OF_RANGE',
        `stop level ${stop} cm must be below start level ${start} cm at station "${stationId}"`,
      );
    }
    state.startLevelCm = start;
    state.stopLevelCm = stop;
    this.#echoStation(station);
  }

  /** Commands the gate hoist; the gate then travels towards the setpoint at its own speed. */
  setGateOpening(gateId: string, percent: number): void {
    const gate = this.#gates.get(gateId);
    if (!gate) throw unknown('UNKNOWN_GATE', 'sluice gate', gateId, this.#gates.keys());
    checkRange('gate opening setpoint (%)', percent, 0, 100);
    gate.state.openingSetpointPercent = percent;
    this.#echoGate(gate);
  }

  #station(stationId: string): PumpStation {
    const station = this.#stations.get(stationId);
    if (!station)
      throw unknown('UNKNOWN_STATION', 'pump station', stationId, this.#stations.keys());
    return station;
  }

  // Commands show up in the readings at once (a PLC echoes its setpoints) without new noise
  // draws, so the random sequence depends only on the steps taken.
  #echoStation({ spec, state }: PumpStation): void {
    const stations = this.#snapshot.stations.map((reading) =>
      reading.id === spec.id
        ? {
            ...reading,
            running: state.running,
            autoMode: state.autoMode,
            startLevel: state.startLevelCm,
            stopLevel: state.stopLevelCm,
          }
        : reading,
    );
    this.#snapshot = { ...this.#snapshot, stations };
  }

  #echoGate({ spec, state }: SluiceGate): void {
    const gates = this.#snapshot.gates.map((reading) =>
      reading.id === spec.id
        ? { ...reading, openingSetpoint: state.openingSetpointPercent }
        : reading,
    );
    this.#snapshot = { ...this.#snapshot, gates };
  }

  #read(): PlantSnapshot {
    const noise = (sd: number) => sd * this.#random.gaussian();
    return {
      simulatedSeconds: this.#simulatedSeconds,
      rainfall: this.#rain,
      stations: [...this.#stations.values()].map(({ spec, state }) => ({
        id: spec.id,
        running: state.running,
        autoMode: state.autoMode,
        flowRate:
          state.flowRateM3s > 0
            ? Math.max(0, state.flowRateM3s + noise(FLOW_NOISE_SHARE * spec.ratedFlowM3s))
            : 0,
        inletLevel: state.inletLevelCm + noise(LEVEL_NOISE_CM),
        outletLevel: state.outletLevelCm + noise(LEVEL_NOISE_CM),
        motorCurrent: state.running
          ? Math.max(0, state.motorCurrentA + noise(CURRENT_NOISE_SHARE * spec.ratedCurrentA))
          : 0,
        rainfall: state.rainfallMmPerHour,
        startLevel: state.startLevelCm,
        stopLevel: state.stopLevelCm,
      })),
      gates: [...this.#gates.values()].map(({ spec, state }) => ({
        id: spec.id,
        opening: state.openingPercent,
        openingSetpoint: state.openingSetpointPercent,
        upstreamLevel: state.upstreamLevelCm + noise(LEVEL_NOISE_CM),
        downstreamLevel: state.downstreamLevelCm + noise(LEVEL_NOISE_CM),
        discharge: state.dischargeM3s,
      })),
    };
  }
}

function checkRange(what: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new PlantCommandError(
      'OUT_OF_RANGE',
      `${what} must be between ${min} and ${max}, got ${value}`,
    );
  }
}

function unknown(
  code: PlantCommandErrorCode,
  what: string,
  id: string,
  known: Iterable<string>,
): PlantCommandError {
  return new PlantCommandError(code, `unknown ${what} "${id}"; known: ${[...known].join(', ')}`);
}
