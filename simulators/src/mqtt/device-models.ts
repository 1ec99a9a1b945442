import type { DeviceMetric, DeviceType } from '@ioc/devices';
import { SeededRandom } from '../random.js';
import type { DemoDevice, DemoDeviceType } from './fleet-plan.js';
import type { RainfallSource } from './rainfall-feed.js';

/** One report of a device: its values, and the fault injected into it if any. */
export interface Reading {
  values: Record<string, number>;
  fault?: 'stuck' | 'spike';
}

/** A device's instrument: call `read` at each report time; undefined is a dropped report. */
export interface DeviceModel {
  read(epochMs: number): Reading | undefined;
}

/** Chances per report; low by default so a wall shows a few faults an hour, not a mess. */
export interface FaultRates {
  /** The report is not sent at all. */
  dropout: number;
  /** One metric freezes at its last value for 20-120 reports. */
  stuck: number;
  /** One metric reads far above its range once. */
  spike: number;
}

export const DEFAULT_FAULT_RATES: FaultRates = { dropout: 0.01, stuck: 0.0005, spike: 0.001 };

export interface DeviceModelOptions {
  device: DemoDevice;
  /** The device's catalogue type: metric ranges and kinds. */
  type: DeviceType;
  /** City-wide storms; each station sees them scaled and delayed by where it stands. */
  rainfall: RainfallSource;
  seed: number;
  faults?: Partial<FaultRates>;
}

/** What a type's physics computes from the time, the local rain and the time step. */
type Physics = (at: LocalTime, rainMmH: number, dtSeconds: number) => Record<string, number>;

interface LocalTime {
  epochMs: number;
  /** Hour of day in Asia/Ho_Chi_Minh (UTC+7, no daylight saving), fractional. */
  hour: number;
  /** Days since the epoch in local time, for daily totals. */
  day: number;
}

const VIETNAM_OFFSET_MS = 7 * 3600 * 1000;

export function localTime(epochMs: number): LocalTime {
  const local = epochMs + VIETNAM_OFFSET_MS;
  return {
    epochMs,
    hour: (((local / 3_600_000) % 24) + 24) % 24,
    day: Math.floor(local / 86_400_000),
  };
}

/** Builds the value generator of a demo device from its type. */
export function createDeviceModel(options: DeviceModelOptions): DeviceModel {
  const { device, type } = options;
  const random = new SeededRandom(options.seed ^ hashId(device.id));
  const physics = PHYSICS[device.type as DemoDeviceType];
  if (!physics) throw new RangeError(`no simulation model for device type "${device.type}"`);
  if (type.id !== device.type) {
    throw new RangeError(`device ${device.id} is a ${device.type}, not a ${type.id}`);
  }
  return new SimulatedInstrument(
    type.metrics,
    physics(device, random),
    stationRain(device, random, options.rainfall),
    random,
    { ...DEFAULT_FAULT_RATES, ...options.faults },
  );
}

/**
 * The part every instrument shares: time steps, catalogue ranges and rounding, and the
 * injected faults.
 */
class SimulatedInstrument implements DeviceModel {
  #lastAt: number | undefined;
  #last: Record<string, number> | undefined;
  #stuck: { metric: string; value: number; reportsLeft: number } | undefined;

  constructor(
    private readonly metrics: readonly DeviceMetric[],
    private readonly physics: Physics,
    private readonly rain: (epochMs: number) => number,
    private readonly random: SeededRandom,
    private readonly faults: FaultRates,
  ) {}

  read(epochMs: number): Reading | undefined {
    const dt = this.#lastAt === undefined ? 0 : Math.max(0, (epochMs - this.#lastAt) / 1000);
    this.#lastAt = epochMs;
    // The physics advances even when the report is lost, as the real world would.
    const raw = this.physics(localTime(epochMs), this.rain(epochMs), dt);
    const values: Record<string, number> = {};
    for (const metric of this.metrics) {
      const value = raw[metric.key];
      if (value !== undefined) values[metric.key] = fit(metric, value);
    }
    if (this.random.next() < this.faults.dropout) return undefined;

    let fault: Reading['fault'];
    if (this.#stuck) {
      values[this.#stuck.metric] = this.#stuck.value;
      fault = 'stuck';
      if (--this.#stuck.reportsLeft <= 0) this.#stuck = undefined;
    } else if (this.#last && this.random.next() < this.faults.stuck) {
      const metric = this.#pickMetric();
      const value = this.#last[metric.key];
      if (value !== undefined) {
        this.#stuck = {
          metric: metric.key,
          value,
          reportsLeft: 20 + Math.floor(this.random.next() * 100),
        };
        values[metric.key] = value;
        fault = 'stuck';
      }
    }
    if (!fault && this.random.next() < this.faults.spike) {
      const metric = this.#pickMetric();
      const min = metric.min ?? 0;
      const max = metric.max ?? min + 100;
      const spike = max + (max - min) * this.random.between(0.1, 0.5);
      values[metric.key] = metric.kind === 'integer' ? Math.ceil(spike) : round2(spike);
      fault = 'spike';
    }
    this.#last = values;
    return fault ? { values, fault } : { values };
  }

  #pickMetric(): DeviceMetric {
    const numeric = this.metrics.filter((m) => m.kind !== 'boolean');
    return numeric[Math.floor(this.random.next() * numeric.length)] as DeviceMetric;
  }
}

/** Clamps a value into the metric's catalogue range and rounds it as the kind says. */
function fit(metric: DeviceMetric, value: number): number {
  let v = value;
  if (metric.min !== undefined) v = Math.max(metric.min, v);
  if (metric.max !== undefined) v = Math.min(metric.max, v);
  return metric.kind === 'integer' ? Math.round(v) : round2(v);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * Rain where the device stands: storms come in from the sea, so inland stations see them
 * later (up to ~30 min), and the hills west of the city get more of them.
 */
function stationRain(
  device: DemoDevice,
  random: SeededRandom,
  rainfall: RainfallSource,
): (epochMs: number) => number {
  const inland = clamp((108.75 - device.lon) / 1.5, 0, 1);
  const lagMs = inland * 30 * 60 * 1000;
  const factor = (0.75 + 0.5 * inland) * random.between(0.85, 1.15);
  return (epochMs) => {
    const rain = rainfall.intensityAt(epochMs - lagMs) * factor;
    return rain < 0.2 ? 0 : rain * (1 + 0.05 * random.gaussian());
  };
}

const PHYSICS: Record<DemoDeviceType, (device: DemoDevice, random: SeededRandom) => Physics> = {
  'water-level': waterLevel,
  'rain-gauge': rainGauge,
  'air-quality': airQuality,
  weather,
  'traffic-counter': trafficCounter,
  'dc-environment': dataCentre,
};

/**
 * River or canal stage: a base level, the tide on coastal reaches, and a rise that follows
 * local rain through a linear reservoir (time constant 15-40 min), so it peaks after the rain.
 */
function waterLevel(device: DemoDevice, random: SeededRandom): Physics {
  const base = random.between(40, 250);
  const coastal = device.lon > 108.15;
  const tide = coastal ? random.between(20, 45) : random.between(0, 5);
  const tidePhase = random.between(0, 2 * Math.PI);
  const gain = random.between(2, 5); // cm of rise per mm/h of sustained rain
  const tau = random.between(900, 2400);
  let rise = 0;
  return (at, rain, dt) => {
    rise += (gain * rain - rise) * (1 - Math.exp(-dt / tau));
    const tideCm = tide * Math.sin((2 * Math.PI * at.epochMs) / 1000 / 44_712 + tidePhase);
    return {
      level_cm: base + rise + tideCm + 0.8 * random.gaussian(),
      battery_v: solarBattery(at.hour, random),
    };
  };
}

function rainGauge(_device: DemoDevice, _random: SeededRandom): Physics {
  let day: number | undefined;
  let total = 0;
  return (at, rain, dt) => {
    if (day !== at.day) {
      day = at.day;
      total = 0; // the daily total restarts at local midnight
    }
    total += (rain * dt) / 3600;
    return { rain_mm_h: rain, rain_total_mm: total };
  };
}

/**
 * Urban air: particles and NO₂ follow the traffic (peaks around 07:30 and 17:30), rain
 * washes particles out, ozone builds with the afternoon sun. AQI from PM2.5 and PM10
 * (VN_AQI breakpoints, Decision 1459/QĐ-TCMT).
 */
function airQuality(_device: DemoDevice, random: SeededRandom): Physics {
  const pm25Base = random.between(12, 30);
  const no2Base = random.between(15, 35);
  let drift = 0;
  return (at, rain) => {
    drift = 0.9 * drift + 0.1 * random.gaussian();
    const traffic = trafficProfile(at.hour);
    const washout = Math.exp(-rain / 15);
    const pm25 =
      pm25Base * (0.5 + traffic) * washout * (1 + 0.15 * drift + 0.05 * random.gaussian());
    const pm10 = pm25 * (1.7 + 0.1 * random.gaussian());
    const sun = Math.max(0, Math.sin((Math.PI * (at.hour - 8)) / 10));
    return {
      pm25,
      pm10,
      no2: no2Base * (0.4 + traffic) * (1 + 0.1 * random.gaussian()),
      o3: (20 + 70 * sun * (rain > 1 ? 0.5 : 1)) * (1 + 0.08 * random.gaussian()),
      aqi: Math.max(subIndex(pm25, PM25_BREAKPOINTS), subIndex(pm10, PM10_BREAKPOINTS)),
    };
  };
}

/** Daily cycle (coolest near 05:00, warmest near 14:30), cooler and damper in storms. */
function weather(device: DemoDevice, random: SeededRandom): Physics {
  const highland = device.lon < 107.9 ? random.between(2, 5) : random.between(0, 0.8);
  return (at, rain) => {
    const cycle = Math.cos((2 * Math.PI * (at.hour - 14.5)) / 24);
    return {
      temperature_c:
        27.5 - highland + 3.8 * cycle - Math.min(4, rain / 10) + 0.2 * random.gaussian(),
      humidity_pct: Math.min(100, 78 - 12 * cycle + Math.min(20, rain) + random.gaussian()),
      wind_ms: Math.abs(2.5 + 1.5 * Math.max(0, cycle) + rain / 6 + 0.8 * random.gaussian()),
      pressure_hpa:
        1010 +
        1.2 * Math.cos((4 * Math.PI * (at.hour - 10)) / 24) -
        Math.min(6, rain / 10) +
        0.1 * random.gaussian(),
    };
  };
}

/** Vehicles per 60 s period around the commuting peaks; speed falls as the road fills. */
function trafficCounter(_device: DemoDevice, random: SeededRandom): Physics {
  const capacity = random.between(15, 50); // vehicles per minute
  const freeSpeed = random.between(35, 55);
  return (at, rain) => {
    const wet = rain > 5 ? 0.8 : 1;
    const flow = capacity * Math.min(1, trafficProfile(at.hour)) * wet;
    const load = flow / capacity;
    return {
      vehicles: Math.max(0, flow + Math.sqrt(flow) * random.gaussian()),
      avg_speed_kmh: Math.max(
        3,
        freeSpeed * (1 - 0.55 * load * load) * (wet < 1 ? 0.85 : 1) + 1.5 * random.gaussian(),
      ),
    };
  };
}

/** A cooled server room: steady, with a small afternoon load swing per rack row. */
function dataCentre(_device: DemoDevice, random: SeededRandom): Physics {
  const offset = random.between(0, 1.5);
  return (at) => {
    const swing = Math.sin((2 * Math.PI * (at.hour - 9)) / 24);
    return {
      temperature_c: 22.5 + offset + 0.6 * swing + 0.15 * random.gaussian(),
      humidity_pct: 45 + 3 * swing + 0.5 * random.gaussian(),
    };
  };
}

/** 0-1.2: share of road capacity in use by hour, with morning and evening rush hours. */
function trafficProfile(hour: number): number {
  const bump = (centre: number, width: number) =>
    Math.exp(-((hour - centre) ** 2) / (2 * width ** 2));
  return 0.08 + 0.9 * bump(7.5, 1.1) + 0.85 * bump(17.5, 1.3) + 0.45 * bump(12, 2.5);
}

/** A solar-charged 12 V battery: charging by day, slowly sagging at night. */
function solarBattery(hour: number, random: SeededRandom): number {
  const sun = Math.max(0, Math.sin((Math.PI * (hour - 6)) / 12));
  return 12.4 + 1.2 * sun + 0.02 * random.gaussian();
}

type Breakpoints = readonly (readonly [concentration: number, index: number])[];
const PM25_BREAKPOINTS: Breakpoints = [
  [0, 0],
  [25, 50],
  [50, 100],
  [80, 150],
  [150, 200],
  [250, 300],
  [350, 400],
  [500, 500],
];
const PM10_BREAKPOINTS: Breakpoints = [
  [0, 0],
  [50, 50],
  [150, 100],
  [250, 150],
  [350, 200],
  [420, 300],
  [500, 400],
  [600, 500],
];

function subIndex(concentration: number, breakpoints: Breakpoints): number {
  for (let i = 1; i < breakpoints.length; i++) {
    const [c1, i1] = breakpoints[i] as readonly [number, number];
    const [c0, i0] = breakpoints[i - 1] as readonly [number, number];
    if (concentration <= c1) return i0 + ((i1 - i0) * (concentration - c0)) / (c1 - c0);
  }
  return 500;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** FNV-1a of the id: each device gets its own random stream from the fleet seed. */
function hashId(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
