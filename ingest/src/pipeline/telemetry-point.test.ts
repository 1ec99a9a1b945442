import type { Device } from '@ioc/devices';
import { describe, expect, it } from 'vitest';
import { toLineProtocol, toTelemetryPoint } from './telemetry-point.js';

const device = { id: 'wl-1', type: 'water-level', unit: '20194', sector: 'environment' } as Device;

describe('toLineProtocol', () => {
  it('writes numbers as floats, booleans as true/false, tags sorted, ms timestamp', () => {
    const point = toTelemetryPoint(device, 1795230000123, { level_cm: 12, ok: true, v: -0.5 });
    expect(toLineProtocol(point)).toBe(
      'telemetry,device=wl-1,sector=environment,type=water-level,unit=20194 level_cm=12,ok=true,v=-0.5 1795230000123',
    );
  });

  it('escapes commas, spaces, equals signs and line breaks in tags and field keys', () => {
    const odd = { ...device, id: 'a b,c=d\ne' } as Device;
    expect(toLineProtocol(toTelemetryPoint(odd, 1, { 'x y': 1 }))).toBe(
      'telemetry,device=a\\ b\\,c\\=d\\ne,sector=environment,type=water-level,unit=20194 x\\ y=1 1',
    );
  });

  it('leaves out empty tags, returns nothing without fields and refuses non-finite numbers', () => {
    expect(
      toLineProtocol(toTelemetryPoint({ ...device, sector: '' } as unknown as Device, 1, { a: 1 })),
    ).toBe('telemetry,device=wl-1,type=water-level,unit=20194 a=1 1');
    expect(toLineProtocol(toTelemetryPoint(device, 1, {}))).toBeUndefined();
    expect(() => toLineProtocol(toTelemetryPoint(device, 1, { a: Number.NaN }))).toThrow(
      RangeError,
    );
  });

  it('follows a device moved to another unit (its series key is cached per device)', () => {
    expect(toLineProtocol(toTelemetryPoint(device, 1, { a: 1 }))).toContain(',unit=20194 ');
    const moved = { ...device, unit: '20197' } as Device;
    expect(toLineProtocol(toTelemetryPoint(moved, 2, { a: 1 }))).toBe(
      'telemetry,device=wl-1,sector=environment,type=water-level,unit=20197 a=1 2',
    );
  });
});
