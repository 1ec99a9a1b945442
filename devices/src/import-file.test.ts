import { describe, expect, it } from 'vitest';
import { parseDeviceCsv, parseDeviceImport, parseDeviceJson } from './import-file.js';

describe('parseDeviceCsv', () => {
  it('reads quoted fields, Vietnamese text, numbers and tags', () => {
    const csv = [
      'id,name,type,unit,sector,lat,lon,tags',
      'wl-hai-van-01,"Trạm mực nước Cu Đê, cầu Nam Ô",water-level,20194,,16.1234,108.1234,river=Cu Đê;owner=Sở NN&MT',
      'rg-48-01,"Trạm đo mưa ""Bà Nà""",rain-gauge,48,agriculture,,,',
      '',
    ].join('\r\n');
    expect(parseDeviceCsv(csv)).toEqual([
      {
        id: 'wl-hai-van-01',
        name: 'Trạm mực nước Cu Đê, cầu Nam Ô',
        type: 'water-level',
        unit: '20194',
        lat: 16.1234,
        lon: 108.1234,
        tags: { river: 'Cu Đê', owner: 'Sở NN&MT' },
      },
      {
        id: 'rg-48-01',
        name: 'Trạm đo mưa "Bà Nà"',
        type: 'rain-gauge',
        unit: '48',
        sector: 'agriculture',
      },
    ]);
  });

  it('takes columns in any order, a BOM, a multi-line cell and an enabled column', () => {
    const csv =
      '\uFEFFUnit,Type,ID,Name,Enabled\n20194,weather,ws-01,"Trạm khí tượng\nHải Vân",false\n';
    expect(parseDeviceCsv(csv)).toEqual([
      {
        unit: '20194',
        type: 'weather',
        id: 'ws-01',
        name: 'Trạm khí tượng\nHải Vân',
        enabled: false,
      },
    ]);
  });

  it('keeps cells that do not convert as text, for the import to report per row', () => {
    const [row] = parseDeviceCsv(
      'id,type,unit,lat,lon,tags\nx,weather,48,16;07,abc,no-equals-sign\n',
    );
    expect(row).toEqual({
      id: 'x',
      type: 'weather',
      unit: '48',
      lat: '16;07',
      lon: 'abc',
      tags: 'no-equals-sign',
    });
  });

  it('refuses a file whose header or structure is wrong', () => {
    const invalid = (message: RegExp) =>
      expect.objectContaining({
        statusCode: 400,
        code: 'INVALID_CSV',
        message: expect.stringMatching(message),
      });
    expect(() => parseDeviceCsv('')).toThrow(invalid(/the CSV file is empty; start it with/));
    expect(() => parseDeviceCsv('id,type,unit,colour\n')).toThrow(
      invalid(/CSV column 4 is named "colour"; the header row may name only id, name/),
    );
    expect(() => parseDeviceCsv('id,name,type\nx,y,weather\n')).toThrow(
      invalid(/the CSV header lacks the column unit;/),
    );
    expect(() => parseDeviceCsv('id,type,unit,id\n')).toThrow(invalid(/names column "id" twice/));
    expect(() => parseDeviceCsv('id,type,unit\nx,weather,48,extra\n')).toThrow(
      invalid(
        /^the file is not valid CSV: .*put fields that contain "," or quotes in double quotes/,
      ),
    );
    expect(() => parseDeviceCsv('id,type,unit\n"x,weather,48\n')).toThrow(invalid(/not valid CSV/));
  });
});

describe('parseDeviceJson and parseDeviceImport', () => {
  it('reads an array of devices', () => {
    const rows = [{ id: 'a', type: 'weather', unit: '48' }];
    expect(parseDeviceJson(`\uFEFF${JSON.stringify(rows)}`)).toEqual(rows);
    expect(parseDeviceImport(JSON.stringify(rows), 'json')).toEqual({ rows, firstRow: 1 });
    expect(parseDeviceImport('id,type,unit\na,weather,48\n', 'csv')).toEqual({ rows, firstRow: 2 });
  });

  it('refuses JSON that is broken or not an array', () => {
    expect(() => parseDeviceJson('[{"id": ')).toThrow(
      expect.objectContaining({
        code: 'INVALID_JSON',
        message: expect.stringMatching(/^the file is not valid JSON/),
      }),
    );
    expect(() => parseDeviceJson('{"id": "a"}')).toThrow(
      expect.objectContaining({
        code: 'INVALID_JSON',
        message: expect.stringMatching(/must be an array of devices/),
      }),
    );
  });
});
