import { beforeAll, describe, expect, it } from 'vitest';
import { UnitLookupError } from './errors.js';
import { type AdminUnitTree, listUnitDatasets, loadUnitTree } from './index.js';

// The shipped datasets in core/data/units, loaded from the real GeoJSON files.

const CENTRAL_DA_NANG: [number, number] = [108.22, 16.07];
const OPEN_SEA: [number, number] = [108.4, 16.2]; // East Sea off Sơn Trà, outside every polygon
const HA_NOI: [number, number] = [105.85, 21.03];
const COMMUNE_TYPES = ['commune', 'ward', 'special-zone'];

function only(tree: AdminUnitTree, name: string) {
  const found = tree.findByName(name);
  expect(found, `exactly one unit named ${name}`).toHaveLength(1);
  return found[0] as NonNullable<(typeof found)[0]>;
}

describe('listUnitDatasets', () => {
  it('lists the shipped datasets with names and descriptions', async () => {
    const datasets = await listUnitDatasets();
    expect(datasets.map((d) => d.id)).toEqual([
      'da-nang-2025',
      'da-nang-2025-regions',
      'vietnam-2025',
    ]);
    for (const dataset of datasets) {
      expect(dataset.name.length).toBeGreaterThan(0);
      expect(dataset.description.length).toBeGreaterThan(0);
    }
  });
});

describe('da-nang-2025 (two tiers)', () => {
  let tree: AdminUnitTree;
  beforeAll(async () => {
    tree = await loadUnitTree('da-nang-2025');
  });

  it('has Đà Nẵng (48) as the only root with its 94 communes, wards and special zone', () => {
    expect(tree.roots().map((u) => u.code)).toEqual(['48']);
    const root = tree.get('48');
    expect(root).toMatchObject({
      name: 'Đà Nẵng',
      nameEn: 'Da Nang',
      fullName: 'Thành phố Đà Nẵng',
      type: 'province',
      parentCode: null,
      level: 0,
    });
    const children = tree.children('48');
    expect(children).toHaveLength(94);
    expect(tree.size).toBe(95);
    const ofType = (type: string) => children.filter((u) => u.type === type);
    expect(ofType('ward')).toHaveLength(23);
    expect(ofType('commune')).toHaveLength(70);
    expect(ofType('special-zone').map((u) => u.name)).toEqual(['Hoàng Sa']);
    for (const child of children) {
      expect(child.level).toBe(1);
      expect(child.parentCode).toBe('48');
      expect(tree.children(child.code)).toEqual([]);
      expect(child.geometry?.type).toMatch(/^(Multi)?Polygon$/);
    }
    expect(tree.descendants('48')).toHaveLength(94);
  });

  it('finds Hải Châu by its Vietnamese name, whichever Unicode form or case is given', () => {
    const haiChau = only(tree, 'Hải Châu');
    expect(haiChau).toMatchObject({
      code: '20242',
      type: 'ward',
      fullName: 'Phường Hải Châu',
      nameEn: 'Hai Chau',
    });
    expect(tree.get('20242')).toBe(haiChau);
    expect(tree.findByName('Hải Châu'.normalize('NFD'))).toEqual([haiChau]);
    expect(tree.findByName('phường hải châu')).toEqual([haiChau]);
    // Without diacritics only when asked: 'Hai Chau' is also the English name, 'hai chau' is not.
    expect(tree.findByName('hai chau')).toEqual([haiChau]);
    expect(tree.findByName('Hải Chau')).toEqual([]);
    expect(tree.findByName('HẢI CHÂU', { ignoreDiacritics: true })).toEqual([haiChau]);
    expect(tree.findByName('Hoa Khanh', { ignoreDiacritics: true }).map((u) => u.name)).toEqual([
      'Hoà Khánh',
    ]);
  });

  it('stores every name in NFC', () => {
    for (const unit of tree.all()) {
      for (const text of [unit.name, unit.fullName, unit.nameEn]) {
        if (text !== undefined) expect(text).toBe(text.normalize('NFC'));
      }
    }
  });

  it('locates central Đà Nẵng in a ward below 48', () => {
    const unit = tree.locate(...CENTRAL_DA_NANG);
    expect(unit?.name).toBe('Hải Châu');
    expect(unit?.type).toBe('ward');
    expect(tree.ancestors(unit?.code as string).map((u) => u.code)).toEqual(['48']);
  });

  it('locates nothing in the open sea or in Hà Nội', () => {
    expect(tree.locate(...OPEN_SEA)).toBeNull();
    expect(tree.locate(...HA_NOI)).toBeNull();
  });

  it('rejects a point that is not a WGS84 coordinate', () => {
    expect(() => tree.locate(Number.NaN, 16)).toThrow(UnitLookupError);
    expect(() => tree.locate(16.07, 108.22)).toThrow(/latitude in \[-90, 90\]/);
  });

  it('answers unknown codes with UNIT_NOT_FOUND, and isWithin with false', () => {
    expect(tree.get('99999')).toBeUndefined();
    expect(tree.has('99999')).toBe(false);
    for (const call of [
      () => tree.children('99999'),
      () => tree.ancestors('99999'),
      () => tree.descendants('99999'),
      () => tree.toFeatureCollection(['20242', '99999']),
    ]) {
      expect(call).toThrow(expect.objectContaining({ code: 'UNIT_NOT_FOUND' }));
    }
    expect(tree.isWithin('99999', '48')).toBe(false);
    expect(tree.isWithin('20242', '99999')).toBe(false);
  });

  it('gives a summary without geometry and GeoJSON with the code as feature id', () => {
    const summary = tree.toSummary();
    expect(summary).toHaveLength(1);
    expect(summary[0]?.children).toHaveLength(94);
    expect(JSON.stringify(summary)).not.toContain('coordinates');
    expect(summary[0]?.bbox?.[0]).toBeGreaterThan(107);

    const all = tree.toFeatureCollection();
    expect(all.features).toHaveLength(95);
    const some = tree.toFeatureCollection(['20242']);
    expect(some.features.map((f) => [f.id, f.properties.name, f.properties.parentCode])).toEqual([
      ['20242', 'Hải Châu', '48'],
    ]);
  });
});

describe('da-nang-2025-regions (three tiers)', () => {
  let tree: AdminUnitTree;
  beforeAll(async () => {
    tree = await loadUnitTree('da-nang-2025-regions');
  });

  it('puts the two former provinces as regions KV48 and KV49 under 48', () => {
    expect(tree.roots().map((u) => u.code)).toEqual(['48']);
    const regions = tree.children('48');
    expect(regions.map((u) => [u.code, u.type, u.name, u.level])).toEqual([
      ['KV48', 'region', 'Đà Nẵng (cũ)', 1],
      ['KV49', 'region', 'Quảng Nam (cũ)', 1],
    ]);
    expect(tree.get('KV49')?.fullName).toBe('Khu vực Quảng Nam cũ');
    // The official pre-2025 code stays available in the source properties.
    expect(tree.get('KV49')?.properties.code).toBe('49');
  });

  it('places every commune under exactly one region, and the counts add up', () => {
    const communes = tree.all().filter((u) => COMMUNE_TYPES.includes(u.type));
    expect(communes).toHaveLength(94);
    for (const commune of communes) {
      expect(commune.level).toBe(2);
      const regions = ['KV48', 'KV49'].filter((region) => tree.isWithin(commune.code, region));
      expect(regions, commune.name).toHaveLength(1);
    }
    const counts = tree.children('48').map((region) => tree.children(region.code).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(94);
    expect(counts.every((n) => n > 0)).toBe(true);
    expect(tree.descendants('48')).toHaveLength(96);
  });

  it('places Hải Châu in former Đà Nẵng and Hội An in former Quảng Nam', () => {
    const haiChau = only(tree, 'Hải Châu');
    const hoiAn = only(tree, 'Hội An');
    expect(haiChau.parentCode).toBe('KV48');
    expect(hoiAn.parentCode).toBe('KV49');
    expect(tree.ancestors(hoiAn.code).map((u) => u.code)).toEqual(['KV49', '48']);
    expect(tree.isWithin(hoiAn.code, '48')).toBe(true);
    expect(tree.isWithin(hoiAn.code, hoiAn.code)).toBe(true);
    expect(tree.isWithin(hoiAn.code, 'KV48')).toBe(false);
    expect(tree.isWithin('48', hoiAn.code)).toBe(false);
  });

  it('places the islands whose surface point misses both regions by the nearest region', () => {
    expect(only(tree, 'Hoàng Sa').parentCode).toBe('KV48');
    expect(only(tree, 'Tân Hiệp').parentCode).toBe('KV49'); // Cù Lao Chàm, formerly Hội An
    expect(tree.notes).toHaveLength(2);
    expect(tree.notes.join('\n')).toMatch(/Hoàng Sa.*nearest, KV48/);
  });

  it('locates central Đà Nẵng in a ward whose ancestors are KV48 and 48', () => {
    const unit = tree.locate(...CENTRAL_DA_NANG);
    expect(unit?.level).toBe(2);
    expect(tree.ancestors(unit?.code as string).map((u) => u.code)).toEqual(['KV48', '48']);
    expect(tree.locate(...HA_NOI)).toBeNull();
  });
});

describe('vietnam-2025', () => {
  it('has the 34 provinces under the country root VN', async () => {
    const tree = await loadUnitTree('vietnam-2025');
    expect(tree.roots().map((u) => [u.code, u.type, u.geometry])).toEqual([
      ['VN', 'country', null],
    ]);
    const provinces = tree.children('VN');
    expect(provinces).toHaveLength(34);
    expect(new Set(provinces.map((u) => u.type))).toEqual(new Set(['province']));
    expect(tree.locate(...HA_NOI)?.name).toBe('Hà Nội');
    expect(tree.locate(...CENTRAL_DA_NANG)?.code).toBe('48');
    expect(tree.locate(...OPEN_SEA)).toBeNull();
    // The country has no geometry, so GeoJSON holds the provinces only.
    expect(tree.toFeatureCollection().features).toHaveLength(34);
  });
});
