import { type AdminUnitTree, loadUnitTree } from '@ioc/core';
import { isDeviceId } from '@ioc/devices';
import { beforeAll, describe, expect, it } from 'vitest';
import { DemoFleet } from './fleet.js';
import { DEMO_DEVICE_TYPES, planDemoFleet } from './fleet-plan.js';

let units: AdminUnitTree;

beforeAll(async () => {
  units = await loadUnitTree('da-nang-2025');
});

describe('planDemoFleet', () => {
  it('gives the same fleet for the same seed and size, another for another seed', () => {
    const a = planDemoFleet(units, 1, 300);
    const b = planDemoFleet(units, 1, 300);
    expect(b).toEqual(a);
    const other = planDemoFleet(units, 2, 300);
    expect(other).not.toEqual(a);
  });

  it('plans 300 devices of every demo type by default, with valid unique ids', () => {
    const fleet = new DemoFleet({ units }).devices;
    expect(fleet).toHaveLength(300);
    expect(new Set(fleet.map((d) => d.id)).size).toBe(300);
    for (const device of fleet) expect(isDeviceId(device.id), device.id).toBe(true);
    const count = (type: string) => fleet.filter((d) => d.type === type).length;
    for (const type of DEMO_DEVICE_TYPES) expect(count(type), type).toBeGreaterThan(0);
    expect(count('dc-environment')).toBe(4);
    expect(fleet.find((d) => d.type === 'water-level')?.id).toMatch(/^wl-[a-z0-9-]+-\d{2}$/);
  });

  it('places every device inside its own commune or ward', () => {
    for (const device of planDemoFleet(units, 3, 600)) {
      expect(units.locate(device.lon, device.lat)?.code, device.id).toBe(device.unit);
    }
  });

  it('puts air-quality stations and traffic counters in urban wards, names in Vietnamese', () => {
    const fleet = planDemoFleet(units, 1, 300);
    for (const device of fleet.filter(
      (d) => d.type === 'air-quality' || d.type === 'traffic-counter',
    )) {
      expect(units.get(device.unit)?.type, device.id).toBe('ward');
    }
    const station = fleet.find((d) => d.type === 'rain-gauge');
    expect(station?.name).toMatch(/^Trạm đo mưa .+ \d{2}$/);
    expect(station?.name).toContain(units.get(station?.unit ?? '')?.name);
  });

  it('scales to thousands, numbering several devices of a kind per commune', () => {
    const fleet = planDemoFleet(units, 1, 3000);
    expect(fleet).toHaveLength(3000);
    expect(new Set(fleet.map((d) => d.id)).size).toBe(3000);
  });

  it('refuses a size that is not a whole number from 1 to 20000', () => {
    for (const size of [0, -5, 2.5, 20_001, Number.NaN]) {
      expect(() => planDemoFleet(units, 1, size)).toThrow(/whole number from 1 to 20000/);
    }
  });
});
