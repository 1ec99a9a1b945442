import { loadUnitTree } from '@ioc/core';
import { describe, expect, it } from 'vitest';
import { AccessScope } from './access-scope.js';

// Đà Nẵng 2025 in three tiers: 48 → KV48 / KV49 → communes. 20242 Hải Châu lies in KV48,
// 20410 Hội An in KV49.
const units = await loadUnitTree('da-nang-2025-regions');
const HAI_CHAU = '20242';
const HOI_AN = '20410';

describe('AccessScope', () => {
  it('lets admins see everything, unknown units included', () => {
    const scope = AccessScope.everything(units);
    expect(scope.unrestricted).toBe(true);
    expect(scope.allows('nowhere', null)).toBe(true);
    expect(scope.narrow({ unit: HAI_CHAU })).toEqual({ query: { unit: HAI_CHAU } });
  });

  it('shows nothing to a caller without rooms', () => {
    const scope = AccessScope.ofRooms(units, []);
    expect(scope.empty).toBe(true);
    expect(scope.allows(HAI_CHAU, 'environment')).toBe(false);
    expect(scope.allowsUnit('48')).toBe(false);
    expect(scope.narrow({})).toEqual({ empty: true });
  });

  it('limits a region room to its subtree, every sector', () => {
    const scope = AccessScope.ofRooms(units, [{ units: ['KV49'], sectors: [] }]);
    expect(scope.allowsDevice({ unit: HOI_AN, sector: 'transport' })).toBe(true);
    expect(scope.allowsDevice({ unit: HAI_CHAU, sector: 'transport' })).toBe(false);
    expect(scope.allowsUnit('KV49')).toBe(true);
    expect(scope.allowsUnit('48')).toBe(false);
    expect(scope.allowsAlert({ unit: null, sector: 'transport' })).toBe(false);
    expect(scope.allows('no-such-unit', 'transport')).toBe(false);
    expect(scope.outlineUnits().map((u) => u.code)).toEqual(['48']);
    expect(scope.defaultUnit()).toBe('KV49');
  });

  it('limits a department room to its sectors, everywhere', () => {
    const scope = AccessScope.ofRooms(units, [{ units: [], sectors: ['environment'] }]);
    expect(scope.allows(HAI_CHAU, 'environment')).toBe(true);
    expect(scope.allows(null, 'environment')).toBe(true);
    expect(scope.allows(HAI_CHAU, 'transport')).toBe(false);
    expect(scope.allows(HAI_CHAU, null)).toBe(false);
    expect(scope.allowsUnit('48')).toBe(true);
    expect(scope.allowsSector('transport')).toBe(false);
    expect(scope.defaultUnit()).toBe('48');
  });

  it('unions rooms: each thing needs one room that covers both its unit and sector', () => {
    const scope = AccessScope.ofRooms(units, [
      { units: ['KV49'], sectors: [] },
      { units: [], sectors: ['environment'] },
    ]);
    expect(scope.allows(HOI_AN, 'transport')).toBe(true);
    expect(scope.allows(HAI_CHAU, 'environment')).toBe(true);
    expect(scope.allows(HAI_CHAU, 'transport')).toBe(false);
    expect(scope.narrow({})).toEqual({ scan: true });
  });

  it('never widens access for a room whose units no longer exist', () => {
    const scope = AccessScope.ofRooms(units, [{ units: ['gone'], sectors: [] }]);
    expect(scope.allows(HAI_CHAU, 'environment')).toBe(false);
    expect(scope.unrestricted).toBe(false);
    expect(scope.narrow({})).toEqual({ empty: true });
  });

  it('narrows list queries into the one room, or to nothing where they do not meet', () => {
    const scope = AccessScope.ofRooms(units, [{ units: ['KV49'], sectors: ['environment'] }]);
    expect(scope.narrow({})).toEqual({ query: { unit: 'KV49', sector: 'environment' } });
    expect(scope.narrow({ unit: '48' })).toEqual({
      query: { unit: 'KV49', sector: 'environment' },
    });
    expect(scope.narrow({ unit: HOI_AN })).toEqual({
      query: { unit: HOI_AN, sector: 'environment' },
    });
    expect(scope.narrow({ unit: HAI_CHAU })).toEqual({ empty: true });
    expect(scope.narrow({ sector: 'transport' })).toEqual({ empty: true });
  });

  it('filters unit lists to the scope', () => {
    const scope = AccessScope.ofRooms(units, [{ units: [HAI_CHAU, HOI_AN], sectors: [] }]);
    const visible = scope.filterUnits(units.all()).map((u) => u.code);
    expect(visible.sort()).toEqual([HAI_CHAU, HOI_AN]);
    expect(
      scope
        .outlineUnits()
        .map((u) => u.code)
        .sort(),
    ).toEqual(['48', 'KV48', 'KV49']);
    expect(scope.defaultUnit()).toBeUndefined();
  });
});
