import { Point } from '@ioc/core';

/** One reading as the ingest has it after validation and enrichment. */
export interface Reading {
  device: string;
  type: string;
  unit: string;
  sector: string;
  ts: number;
  value: number;
  battery: number;
  rssi: number;
}

const TYPES = [
  { type: 'water-level', sector: 'agriculture' },
  { type: 'rain-gauge', sector: 'environment' },
  { type: 'air-quality', sector: 'environment' },
  { type: 'traffic-counter', sector: 'transport' },
  { type: 'dc-environment', sector: 'it-infrastructure' },
];
/** Commune-level unit codes in the official five-digit format. */
const UNITS = ['20194', '20197', '20200', '20203', '20206', '20209', '20212', '20215', '20218'];

/**
 * `count` readings from `devices` devices, interleaved as they would arrive (device 0, 1, ...,
 * then the next second). Timestamps are whole ms, one second apart per device, so no two
 * readings of a series share a timestamp and every one is a distinct stored point.
 * Values are pseudo-random but the same on every run.
 */
export function telemetryReadings(count: number, devices: number): Reading[] {
  const random = seededRandom(0x10c);
  const start = Math.floor((Date.now() - 86_400_000) / 60_000) * 60_000;
  const readings: Reading[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const index = i % devices;
    const kind = TYPES[index % TYPES.length] as (typeof TYPES)[number];
    readings[i] = {
      device: `bench-${String(index).padStart(5, '0')}`,
      type: kind.type,
      unit: UNITS[index % UNITS.length] as string,
      sector: kind.sector,
      ts: start + Math.floor(i / devices) * 1000,
      value: Math.round(random() * 100_000) / 100,
      battery: Math.round((3.3 + random() * 0.9) * 100) / 100,
      rssi: -40 - Math.floor(random() * 60),
    };
  }
  return readings;
}

/** The point the ingest writes for a reading (measurement `telemetry`, ARCHITECTURE.md). */
export function toPoint(reading: Reading): Point {
  return new Point('telemetry')
    .tag('device', reading.device)
    .tag('type', reading.type)
    .tag('unit', reading.unit)
    .tag('sector', reading.sector)
    .floatField('value', reading.value)
    .floatField('battery', reading.battery)
    .intField('rssi', reading.rssi)
    .timestamp(reading.ts);
}

/** mulberry32: a tiny deterministic generator, so every run writes the same data. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
