import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listUnitDatasets, loadUnitTree } from './index.js';

// Small datasets written to a temp dir: one per way the data can be wrong, plus the
// features the shipped datasets rely on (inline root, containedIn by type, NFC).

type Props = Record<string, unknown>;

/** A square polygon [x, y]..[x+size, y+size]. */
function square(x: number, y: number, size = 1) {
  return {
    type: 'Polygon',
    coordinates: [
      [
        [x, y],
        [x + size, y],
        [x + size, y + size],
        [x, y + size],
        [x, y],
      ],
    ],
  };
}

function feature(properties: Props, geometry: unknown = square(0, 0)) {
  return { type: 'Feature', properties, geometry };
}

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'ioc-units-'));
  await mkdir(join(dataDir, 'units'));
  await mkdir(join(dataDir, 'geo'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function writeGeo(name: string, features: unknown[]): Promise<void> {
  await writeFile(
    join(dataDir, 'geo', name),
    JSON.stringify({ type: 'FeatureCollection', features }),
  );
}

async function writeDataset(id: string, layers: unknown[], extra: Props = {}): Promise<void> {
  const definition = { id, name: `Test ${id}`, description: 'fixture', layers, ...extra };
  await writeFile(join(dataDir, 'units', `${id}.json`), JSON.stringify(definition));
}

const provinceLayer = {
  file: '../geo/provinces.geojson',
  type: 'province',
  code: 'code',
  name: 'name',
};

const communeLayer = {
  file: '../geo/communes.geojson',
  typeFrom: 'kind',
  typeMap: { Phường: 'ward', Xã: 'commune' },
  code: 'code',
  name: 'name',
  parent: { property: 'parent_code' },
};

async function expectLoadError(id: string, code: string, message: RegExp): Promise<void> {
  const error = await loadUnitTree(id, dataDir).then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toMatchObject({ name: 'StartupError', code });
  expect((error as Error).message).toMatch(message);
}

describe('loadUnitTree on fixture datasets', () => {
  it('builds a tree from an inline root, a province file and communes placed by geometry', async () => {
    await writeGeo('provinces.geojson', [
      feature({ code: '01', name: 'Tỉnh A' }, square(0, 0, 10)),
      feature({ code: '02', name: 'Tỉnh B' }, square(10, 0, 10)),
    ]);
    await writeGeo('communes.geojson', [
      // NFD input must come out NFC.
      feature({ code: '100', name: 'Hải Châu'.normalize('NFD'), kind: 'Phường' }, square(1, 1)),
      feature({ code: '200', name: 'Xã Biển', kind: 'Xã' }, square(12, 1)),
      // An island off province B's coast: in no province, nearest is B.
      feature({ code: '300', name: 'Đảo', kind: 'Xã' }, square(21, 5, 0.5)),
    ]);
    await writeDataset('fixture', [
      { units: [{ code: 'X', name: 'Nước X', type: 'country' }] },
      { ...provinceLayer, parent: { code: 'X' } },
      { ...communeLayer, parent: { containedIn: 'province', fallback: 'nearest' } },
    ]);
    const tree = await loadUnitTree('fixture', dataDir);
    expect(tree.dataset).toEqual({ id: 'fixture', name: 'Test fixture', description: 'fixture' });
    expect(tree.get('100')).toMatchObject({ name: 'Hải Châu', type: 'ward', parentCode: '01' });
    expect(tree.get('100')?.name).toBe('Hải Châu'.normalize('NFC'));
    expect(tree.get('200')?.parentCode).toBe('02');
    expect(tree.get('300')?.parentCode).toBe('02');
    expect(tree.notes).toEqual([expect.stringMatching(/300 \(Đảo\).*nearest, 02/)]);
    expect(tree.ancestors('300').map((u) => u.code)).toEqual(['02', 'X']);
    expect(tree.get('300')?.level).toBe(2);
    expect(tree.locate(1.5, 1.5)?.code).toBe('100');
    expect(tree.locate(5, 5)?.code).toBe('01');
    expect(tree.locate(30, 30)).toBeNull();
  });

  it('refuses an unknown dataset id and lists the known ones', async () => {
    await writeGeo('provinces.geojson', [feature({ code: '01', name: 'A' })]);
    await writeDataset('alpha', [provinceLayer]);
    await writeDataset('beta', [provinceLayer]);
    await expectLoadError('gamma', 'UNIT_DATASET_UNKNOWN', /'gamma'.*known datasets: alpha, beta/);
    await expectLoadError('../units/alpha', 'UNIT_DATASET_UNKNOWN', /known datasets: alpha, beta/);
    expect((await listUnitDatasets(dataDir)).map((d) => d.id)).toEqual(['alpha', 'beta']);
  });

  it('refuses a dataset whose GeoJSON file is missing, naming the file', async () => {
    await writeDataset('fixture', [provinceLayer]);
    await expectLoadError(
      'fixture',
      'UNIT_FILE_MISSING',
      /layer 0.*geo\/provinces\.geojson does not exist/,
    );
  });

  it('refuses a file that is not a GeoJSON FeatureCollection', async () => {
    await writeFile(join(dataDir, 'geo', 'provinces.geojson'), '{"type": "Feature"}');
    await writeDataset('fixture', [provinceLayer]);
    await expectLoadError('fixture', 'UNIT_FILE_INVALID', /not a GeoJSON FeatureCollection/);
  });

  it('refuses duplicate codes, also across layers', async () => {
    await writeGeo('provinces.geojson', [feature({ code: '01', name: 'A' })]);
    await writeGeo('communes.geojson', [
      feature({ code: '01', name: 'Trùng', kind: 'Xã', parent_code: '01' }),
    ]);
    await writeDataset('fixture', [provinceLayer, communeLayer]);
    await expectLoadError('fixture', 'UNIT_DUPLICATE_CODE', /duplicate unit code '01'.*codePrefix/);
  });

  it('refuses a parent code that is not in the dataset', async () => {
    await writeGeo('provinces.geojson', [feature({ code: '01', name: 'A' })]);
    await writeGeo('communes.geojson', [
      feature({ code: '100', name: 'Mồ côi', kind: 'Xã', parent_code: '77' }),
    ]);
    await writeDataset('fixture', [provinceLayer, communeLayer]);
    await expectLoadError('fixture', 'UNIT_PARENT_UNKNOWN', /'100' \(Mồ côi\) has parent '77'/);
  });

  it('refuses a feature without the parent property the layer reads', async () => {
    await writeGeo('provinces.geojson', [feature({ code: '01', name: 'A' })]);
    await writeGeo('communes.geojson', [feature({ code: '100', name: 'X', kind: 'Xã' })]);
    await writeDataset('fixture', [provinceLayer, communeLayer]);
    await expectLoadError('fixture', 'UNIT_PARENT_MISSING', /no parent property 'parent_code'/);
  });

  it('refuses parent links that form a cycle', async () => {
    await writeGeo('communes.geojson', [
      feature({ code: 'A', name: 'A', kind: 'Xã', parent_code: 'B' }),
      feature({ code: 'B', name: 'B', kind: 'Xã', parent_code: 'C' }),
      feature({ code: 'C', name: 'C', kind: 'Xã', parent_code: 'A' }),
    ]);
    await writeDataset('fixture', [communeLayer]);
    await expectLoadError('fixture', 'UNIT_CYCLE', /cycle: A → B → C → A/);
  });

  it('refuses a feature without the code property, naming the feature', async () => {
    await writeGeo('provinces.geojson', [
      feature({ code: '01', name: 'A' }),
      feature({ name: 'Không mã' }),
    ]);
    await writeDataset('fixture', [provinceLayer]);
    await expectLoadError('fixture', 'UNIT_CODE_MISSING', /feature #1 has no code property 'code'/);
  });

  it('refuses a feature without a name', async () => {
    await writeGeo('provinces.geojson', [feature({ code: '01', name: '  ' })]);
    await writeDataset('fixture', [provinceLayer]);
    await expectLoadError('fixture', 'UNIT_NAME_MISSING', /feature #0 has no name property/);
  });

  it('refuses a type value the typeMap does not know', async () => {
    await writeGeo('provinces.geojson', [feature({ code: '01', name: 'A' })]);
    await writeGeo('communes.geojson', [
      feature({ code: '100', name: 'X', kind: 'Thị trấn', parent_code: '01' }),
    ]);
    await writeDataset('fixture', [provinceLayer, communeLayer]);
    await expectLoadError('fixture', 'UNIT_TYPE_UNKNOWN', /"Thị trấn" is not in "typeMap"/);
  });

  it('refuses a geometry that is not a polygon', async () => {
    await writeGeo('provinces.geojson', [
      feature({ code: '01', name: 'A' }, { type: 'Point', coordinates: [0, 0] }),
    ]);
    await writeDataset('fixture', [provinceLayer]);
    await expectLoadError('fixture', 'UNIT_GEOMETRY_INVALID', /Point is not supported/);
  });

  it('refuses a unit outside every container unless fallback is nearest', async () => {
    await writeGeo('provinces.geojson', [feature({ code: '01', name: 'A' }, square(0, 0, 10))]);
    await writeGeo('communes.geojson', [
      feature({ code: '100', name: 'Xa', kind: 'Xã' }, square(50, 50)),
    ]);
    await writeDataset('fixture', [provinceLayer, { ...communeLayer, parent: { containedIn: 0 } }]);
    await expectLoadError(
      'fixture',
      'UNIT_NOT_CONTAINED',
      /'100' \(Xa\).*lies in no unit of layer 0/,
    );
  });

  it('refuses definitions that break the format, saying where', async () => {
    await writeGeo('provinces.geojson', [feature({ code: '01', name: 'A' })]);
    await writeDataset('bad-type', [{ ...provinceLayer, type: 'city' }]);
    await expectLoadError('bad-type', 'UNIT_DATASET_INVALID', /\/layers\/0\/type is "city"/);

    await writeDataset('no-source', [{ type: 'province', code: 'code', name: 'name' }]);
    await expectLoadError('no-source', 'UNIT_DATASET_INVALID', /exactly one of "file".*"units"/);

    await writeDataset('no-typemap', [{ ...communeLayer, typeMap: undefined }]);
    await expectLoadError('no-typemap', 'UNIT_DATASET_INVALID', /"typeFrom" needs a "typeMap"/);

    await writeDataset('typo', [{ ...provinceLayer, filter: { code: ['01', '1'] } }]);
    await expectLoadError('typo', 'UNIT_DATASET_INVALID', /"filter" code = 1 matches no feature/);

    await writeDataset('wrong-id', [provinceLayer], { id: 'other' });
    await expectLoadError('wrong-id', 'UNIT_DATASET_INVALID', /declares id 'other'/);

    await writeDataset('far-layer', [{ ...provinceLayer, parent: { containedIn: 3 } }]);
    await expectLoadError('far-layer', 'UNIT_DATASET_INVALID', /"parent.containedIn" is 3/);

    await writeDataset('self-layer', [{ ...provinceLayer, parent: { containedIn: 0 } }]);
    await expectLoadError('self-layer', 'UNIT_DATASET_INVALID', /points at the layer itself/);

    await writeFile(join(dataDir, 'units', 'broken.json'), '{ "id": ');
    await expectLoadError('broken', 'UNIT_DATASET_INVALID', /not valid JSON/);
  });

  it('applies codePrefix, filter and name templates', async () => {
    await writeGeo('provinces.geojson', [
      feature({ code: '48', name: 'Đà Nẵng' }),
      feature({ code: '49', name: 'Quảng Nam' }),
      feature({ code: '50', name: 'Khác' }),
    ]);
    await writeDataset('fixture', [
      {
        ...provinceLayer,
        type: 'region',
        filter: { code: ['48', '49'] },
        codePrefix: 'KV',
        template: { name: '{name} (cũ)', fullName: 'Khu vực {name} cũ' },
      },
    ]);
    const tree = await loadUnitTree('fixture', dataDir);
    expect(tree.all().map((u) => [u.code, u.name, u.fullName])).toEqual([
      ['KV48', 'Đà Nẵng (cũ)', 'Khu vực Đà Nẵng cũ'],
      ['KV49', 'Quảng Nam (cũ)', 'Khu vực Quảng Nam cũ'],
    ]);
  });
});
