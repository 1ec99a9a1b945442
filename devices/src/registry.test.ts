import {
  type AdminUnitTree,
  createLogger,
  loadUnitTree,
  type SqlStore,
  sqlTestBackends,
  verifyPassword,
} from '@ioc/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DeviceCatalogue, loadDeviceCatalogue } from './catalogue.js';
import type { Device } from './device.js';
import { parseDeviceImport } from './import-file.js';
import { DeviceRegistry, MAX_IMPORT_ROWS } from './registry.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

// Runs against both stores the IOC supports: embedded PGlite and PostgreSQL.
const { backends, cleanup } = sqlTestBackends('devices', inject('postgresUrl'));
afterAll(cleanup);

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** Da Nang (2025 units): the city, and Hải Vân and Hải Châu below it. */
const CITY = '48';
const HAI_VAN = '20194';
const HAI_CHAU = '20242';

let units: AdminUnitTree;
let catalogue: DeviceCatalogue;
beforeAll(async () => {
  [units, catalogue] = await Promise.all([loadUnitTree('da-nang-2025'), loadDeviceCatalogue()]);
});

let serial = 0;
/** A device id no other test uses: the tests of one backend share its database. */
const uniqueId = (base: string) => `${base}-${++serial}`;

describe.each(backends)('device registry on $kind', (backend) => {
  let sql: SqlStore;
  let registry: DeviceRegistry;
  beforeAll(async () => {
    sql = await backend.open();
    registry = new DeviceRegistry({ sql, catalogue, units, logger: createLogger('silent') });
  });
  afterAll(async () => {
    await sql?.close();
    await backend.drop();
  });

  const provision = (base = 'wl', input: Record<string, unknown> = {}) =>
    registry.provision({ id: uniqueId(base), type: 'water-level', unit: HAI_VAN, ...input });
  const storedRow = async (id: string) =>
    (await sql.query<Record<string, unknown>>('SELECT * FROM devices WHERE id = $1', [id])).rows[0];

  describe('provision and get', () => {
    it('returns the device and a secret shown once; only a scrypt hash is stored', async () => {
      const id = uniqueId('wl-hai-van');
      const provisioned: Device[] = [];
      registry.on('provisioned', (device) => provisioned.push(device));
      const { device, secret } = await registry.provision({
        id,
        type: 'water-level',
        unit: HAI_VAN,
        name: '  Trạm Cu Đê  '.normalize('NFD'),
        lat: 16.1234,
        lon: 108.1234,
        tags: { river: 'Cu Đê' },
      });
      registry.removeAllListeners('provisioned');
      expect(device).toEqual({
        id,
        name: 'Trạm Cu Đê',
        type: 'water-level',
        unit: HAI_VAN,
        sector: 'environment',
        lat: 16.1234,
        lon: 108.1234,
        tags: { river: 'Cu Đê' },
        enabled: true,
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
        secretRotatedAt: null,
        lastSeenAt: null,
        revokedAt: null,
      });
      expect(provisioned).toEqual([device]);
      expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(await registry.get(id)).toEqual(device);
      expect(JSON.stringify(await registry.get(id))).not.toContain(secret);

      const row = await storedRow(id);
      expect(row?.secret_hash).toMatch(/^scrypt\$/);
      expect(JSON.stringify(row)).not.toContain(secret);
      await expect(verifyPassword(secret, row?.secret_hash as string)).resolves.toBe(true);
      expect(await registry.get('never-provisioned')).toBeUndefined();
    });

    it('defaults the name to the id and the sector to the type', async () => {
      const { device } = await provision('ps', { type: 'pump-station', unit: CITY });
      expect(device).toMatchObject({ name: device.id, sector: 'agriculture', lat: null, tags: {} });
      const { device: other } = await provision('ps', {
        type: 'pump-station',
        sector: 'construction',
        enabled: false,
      });
      expect(other).toMatchObject({ sector: 'construction', enabled: false });
    });

    it('refuses bad input with a code and a message that says what to fix', async () => {
      const refused = (input: Record<string, unknown>, code: string, message: RegExp | string) =>
        expect(
          registry.provision({ id: uniqueId('x'), type: 'weather', unit: HAI_VAN, ...input }),
        ).rejects.toMatchObject({
          statusCode: 400,
          code,
          message: typeof message === 'string' ? message : expect.stringMatching(message),
        });
      await refused({ id: 'trạm 1' }, 'INVALID_DEVICE_ID', /^id "trạm 1" is not a valid device id/);
      await refused({ id: 'a/b' }, 'INVALID_DEVICE_ID', /not a valid device id/);
      await refused({ id: '' }, 'INVALID_DEVICE_ID', /^id is missing/);
      await refused(
        { type: 'tide-gauge' },
        'UNKNOWN_DEVICE_TYPE',
        /^type "tide-gauge" is not in the device catalogue; use one of water-level, rain-gauge,/,
      );
      await refused(
        { unit: '99999' },
        'UNKNOWN_UNIT',
        /^unit "99999" is not an administrative unit of dataset da-nang-2025/,
      );
      await refused({ unit: 48 }, 'UNKNOWN_UNIT', /^unit must be text .*; got 48$/);
      await refused(
        { sector: 'tourism' },
        'UNKNOWN_SECTOR',
        /^sector "tourism" is unknown; use one of environment/,
      );
      await refused(
        { lat: 91, lon: 108 },
        'INVALID_LOCATION',
        /^lat 91 is out of range; use WGS84/,
      );
      await refused({ lat: 16 }, 'INVALID_LOCATION', 'give both lat and lon, or neither');
      await refused({ lat: '16,07', lon: 108 }, 'INVALID_LOCATION', /^lat must be a number/);
      await refused(
        { tags: { 'bad key': 'x' } },
        'INVALID_TAGS',
        /^tag key "bad key" is not valid/,
      );
      await refused({ colour: 'blue' }, 'INVALID_DEVICE', /^unknown field "colour"/);
      await refused({ name: 'x'.repeat(201) }, 'INVALID_NAME', /use at most 200/);
      // Every problem at once, the first one's code.
      await expect(
        registry.provision({ id: 'bad id', type: 'nope', unit: '99999' }),
      ).rejects.toMatchObject({
        code: 'INVALID_DEVICE_ID',
        message: expect.stringMatching(/device id.*; type "nope".*; unit "99999"/),
        details: {
          problems: [
            { code: 'INVALID_DEVICE_ID' },
            { code: 'UNKNOWN_DEVICE_TYPE' },
            { code: 'UNKNOWN_UNIT' },
          ],
        },
      });
      expect(
        (await registry.list({ includeRevoked: true })).devices.map((d) => d.id),
      ).not.toContain('bad id');
    });

    it('refuses a taken id with 409 DEVICE_EXISTS and keeps the first device', async () => {
      const { device, secret } = await provision();
      await expect(
        registry.provision({ id: device.id, type: 'weather', unit: CITY }),
      ).rejects.toMatchObject({
        statusCode: 409,
        code: 'DEVICE_EXISTS',
        message: expect.stringContaining(`device id "${device.id}" is already registered`),
      });
      expect(await registry.get(device.id)).toEqual(device);
      expect(await registry.authenticate(device.id, secret)).toEqual(device);
    });
  });

  describe('list', () => {
    const ids = { haiVan: '', haiChau: '', city: '', revoked: '' };
    beforeAll(async () => {
      // A type of its own so other tests' devices do not show up here.
      ids.haiVan = (await provision('ls', { type: 'dc-environment', unit: HAI_VAN })).device.id;
      ids.haiChau = (await provision('ls', { type: 'dc-environment', unit: HAI_CHAU })).device.id;
      ids.city = (
        await provision('ls', { type: 'dc-environment', unit: CITY, sector: 'health' })
      ).device.id;
      ids.revoked = (await provision('ls', { type: 'dc-environment', unit: HAI_VAN })).device.id;
      await registry.revoke(ids.revoked);
    });
    const listIds = async (filter: Parameters<DeviceRegistry['list']>[0]) => {
      const page = await registry.list({ type: 'dc-environment', ...filter });
      return { ids: page.devices.map((d) => d.id), total: page.total };
    };

    it('filters by type, unit subtree, sector and revocation, ordered by id', async () => {
      expect(await listIds({})).toEqual({ ids: [ids.haiVan, ids.haiChau, ids.city], total: 3 });
      expect(await listIds({ includeRevoked: true })).toEqual({
        ids: [ids.haiVan, ids.haiChau, ids.city, ids.revoked],
        total: 4,
      });
      expect(await listIds({ unit: HAI_VAN })).toEqual({ ids: [ids.haiVan], total: 1 });
      // The city includes every commune and ward below it.
      expect((await listIds({ unit: CITY })).total).toBe(3);
      expect(await listIds({ sector: 'health' })).toEqual({ ids: [ids.city], total: 1 });
      expect(await listIds({ sector: 'it-infrastructure', unit: HAI_CHAU })).toEqual({
        ids: [ids.haiChau],
        total: 1,
      });
      expect(await listIds({ sector: 'transport' })).toEqual({ ids: [], total: 0 });
      const all = await registry.list({});
      expect(all.total).toBeGreaterThanOrEqual(3);
      expect(all.devices.every((d) => d.revokedAt === null)).toBe(true);
    });

    it('pages with limit and offset', async () => {
      expect(await listIds({ limit: 2 })).toEqual({ ids: [ids.haiVan, ids.haiChau], total: 3 });
      expect(await listIds({ limit: 2, offset: 2 })).toEqual({ ids: [ids.city], total: 3 });
      expect(await listIds({ offset: 10 })).toEqual({ ids: [], total: 3 });
    });

    it('refuses unknown filter values and bad pages', async () => {
      await expect(registry.list({ type: 'nope' })).rejects.toMatchObject({
        code: 'UNKNOWN_DEVICE_TYPE',
      });
      await expect(registry.list({ unit: '99999' })).rejects.toMatchObject({
        statusCode: 400,
        code: 'UNKNOWN_UNIT',
        message: 'unit "99999" is not an administrative unit of dataset da-nang-2025',
      });
      await expect(registry.list({ sector: 'nope' })).rejects.toMatchObject({
        code: 'UNKNOWN_SECTOR',
      });
      for (const page of [{ limit: 0 }, { limit: 1001 }, { limit: 1.5 }, { offset: -1 }]) {
        await expect(registry.list(page)).rejects.toMatchObject({
          statusCode: 400,
          code: 'INVALID_PAGE',
        });
      }
    });
  });

  describe('authenticate, rotate, revoke, enable', () => {
    it('accepts the right secret only', async () => {
      const { device, secret } = await provision();
      expect(await registry.authenticate(device.id, secret)).toEqual(device);
      // Again, now from the verified-secret cache.
      expect(await registry.authenticate(device.id, secret)).toEqual(device);
      expect(await registry.authenticate(device.id, `${secret}x`)).toBeUndefined();
      expect(await registry.authenticate(device.id, '')).toBeUndefined();
      expect(await registry.authenticate('unknown-device', secret)).toBeUndefined();
      expect(await registry.authenticate('not a device/id', secret)).toBeUndefined();
      expect(await registry.authenticate(device.id, 'x'.repeat(10_000))).toBeUndefined();
    });

    it('makes the old secret useless after a rotation, in every process', async () => {
      const { device, secret } = await provision();
      // A second registry on the same database stands for another process (broker role).
      const elsewhere = new DeviceRegistry({ sql, catalogue, units });
      expect(await elsewhere.authenticate(device.id, secret)).toMatchObject({ id: device.id });
      const rotated: Device[] = [];
      registry.on('secret-rotated', (d) => rotated.push(d));
      const fresh = await registry.rotateSecret(device.id);
      registry.removeAllListeners('secret-rotated');
      expect(fresh).not.toBe(secret);
      expect(rotated).toEqual([
        expect.objectContaining({ id: device.id, secretRotatedAt: expect.stringMatching(ISO) }),
      ]);
      expect(await registry.authenticate(device.id, secret)).toBeUndefined();
      expect(await elsewhere.authenticate(device.id, secret)).toBeUndefined();
      expect(await elsewhere.authenticate(device.id, fresh)).toMatchObject({ id: device.id });
      expect((await registry.get(device.id))?.secretRotatedAt).toMatch(ISO);
      await expect(registry.rotateSecret('no-such-device')).rejects.toMatchObject({
        statusCode: 404,
        code: 'DEVICE_NOT_FOUND',
      });
    });

    it('refuses revoked devices for good, keeping the row and the id', async () => {
      const { device, secret } = await provision();
      const elsewhere = new DeviceRegistry({ sql, catalogue, units });
      expect(await elsewhere.authenticate(device.id, secret)).toBeDefined();
      const revokedEvents: Device[] = [];
      registry.on('revoked', (d) => revokedEvents.push(d));
      const revoked = await registry.revoke(device.id);
      expect(revoked.revokedAt).toMatch(ISO);
      expect(await registry.revoke(device.id)).toEqual(revoked);
      registry.removeAllListeners('revoked');
      expect(revokedEvents).toEqual([revoked]);
      expect(await registry.authenticate(device.id, secret)).toBeUndefined();
      expect(await elsewhere.authenticate(device.id, secret)).toBeUndefined();
      expect(await registry.get(device.id)).toEqual(revoked);
      await expect(registry.rotateSecret(device.id)).rejects.toMatchObject({
        statusCode: 409,
        code: 'DEVICE_REVOKED',
      });
      await expect(registry.setEnabled(device.id, true)).rejects.toMatchObject({
        code: 'DEVICE_REVOKED',
      });
      await expect(
        registry.provision({ id: device.id, type: 'water-level', unit: HAI_VAN }),
      ).rejects.toMatchObject({
        code: 'DEVICE_EXISTS',
        message: expect.stringContaining('ids are never reused'),
      });
      await expect(registry.revoke('no-such-device')).rejects.toMatchObject({ statusCode: 404 });
    });

    it('refuses a disabled device until it is enabled again', async () => {
      const { device, secret } = await provision();
      const changes: boolean[] = [];
      registry.on('enabled-changed', (d) => changes.push(d.enabled));
      expect(await registry.setEnabled(device.id, false)).toMatchObject({ enabled: false });
      expect(await registry.authenticate(device.id, secret)).toBeUndefined();
      expect(await registry.setEnabled(device.id, false)).toMatchObject({ enabled: false });
      expect(await registry.setEnabled(device.id, true)).toMatchObject({ enabled: true });
      registry.removeAllListeners('enabled-changed');
      expect(changes).toEqual([false, true]);
      expect(await registry.authenticate(device.id, secret)).toMatchObject({ enabled: true });
      await expect(registry.setEnabled('no-such-device', false)).rejects.toMatchObject({
        code: 'DEVICE_NOT_FOUND',
      });
    });

    it('records last-seen without moving it backwards', async () => {
      const { device } = await provision();
      const later = new Date('2026-07-01T03:00:00.123Z');
      await registry.touch(device.id, later);
      expect((await registry.get(device.id))?.lastSeenAt).toBe(later.toISOString());
      await registry.touch(device.id, new Date('2026-07-01T02:00:00.000Z'));
      expect((await registry.get(device.id))?.lastSeenAt).toBe(later.toISOString());
      await registry.touch('no-such-device');
    });
  });

  describe('bulk import', () => {
    it('creates the good rows and reports every bad one by row', async () => {
      const existing = (await provision('imp')).device.id;
      const [good1, good2, dup] = [uniqueId('imp'), uniqueId('imp'), uniqueId('imp')];
      const rows: unknown[] = [
        { id: good1, type: 'rain-gauge', unit: HAI_VAN, name: 'Trạm mưa Hòa Bắc' },
        { id: uniqueId('imp'), type: 'tide-gauge', unit: HAI_VAN },
        { id: uniqueId('imp'), type: 'weather', unit: '99999' },
        { id: 'trạm số 4', type: 'weather', unit: HAI_VAN },
        { id: dup, type: 'weather', unit: HAI_VAN },
        { id: dup, type: 'weather', unit: HAI_CHAU },
        { id: existing, type: 'weather', unit: HAI_VAN },
        { id: uniqueId('imp'), type: 'weather', unit: HAI_VAN, lat: 123, lon: 108 },
        { id: good2, type: 'sluice-gate', unit: CITY, tags: { canal: 'An Trạch' } },
        'not an object',
      ];
      const report = await registry.importDevices(rows);
      expect(report.dryRun).toBe(false);
      expect(report.created.map((c) => c.id)).toEqual([good1, good2]);
      expect(report.accepted).toEqual([good1, good2]);
      expect(report.errors.map(({ row, code }) => [row, code])).toEqual([
        [2, 'UNKNOWN_DEVICE_TYPE'],
        [3, 'UNKNOWN_UNIT'],
        [4, 'INVALID_DEVICE_ID'],
        [5, 'DUPLICATE_IN_FILE'],
        [6, 'DUPLICATE_IN_FILE'],
        [7, 'DEVICE_EXISTS'],
        [8, 'INVALID_LOCATION'],
        [10, 'INVALID_DEVICE'],
      ]);
      expect(report.errors[1]).toEqual({
        row: 3,
        id: expect.any(String),
        code: 'UNKNOWN_UNIT',
        message: expect.stringMatching(
          /^row 3: unit "99999" is not an administrative unit of dataset da-nang-2025/,
        ),
      });
      expect(report.errors[3]?.message).toBe(
        `row 5: id "${dup}" appears in rows 5, 6; keep it in one row only`,
      );
      expect(report.errors[5]).toMatchObject({
        id: existing,
        message: expect.stringMatching(/^row 7: device id/),
      });
      expect(report.errors[6]?.message).toMatch(/^row 8: lat 123 is out of range/);

      for (const { id, secret } of report.created) {
        expect(await registry.authenticate(id, secret)).toMatchObject({ id });
      }
      expect(await registry.get(good2)).toMatchObject({
        sector: 'agriculture',
        tags: { canal: 'An Trạch' },
      });
      const stored = await sql.query<{ id: string }>(
        'SELECT id FROM devices WHERE id = ANY($1::text[]) ORDER BY id',
        [rows.map((r) => (r as { id?: string }).id ?? '')],
      );
      expect(stored.rows.map((r) => r.id).sort()).toEqual([existing, good1, good2].sort());
    });

    it('imports a CSV with quotes and Vietnamese names, numbering rows as the file shows them', async () => {
      const [a, b, c] = [uniqueId('csv'), uniqueId('csv'), uniqueId('csv')];
      const csv = [
        'id,name,type,unit,sector,lat,lon,tags',
        `${a},"Trạm đo mực nước sông Cu Đê, cầu Nam Ô",water-level,${HAI_VAN},,16.1234,108.1234,river=Cu Đê`,
        `${b},"Cống ""Hòa Phước""",sluice-gate,${HAI_CHAU},agriculture,,,`,
        `${c},Trạm lỗi,weather,99999,,16.0,abc,`,
      ].join('\n');
      const batch = parseDeviceImport(csv, 'csv');
      const report = await registry.importDevices(batch.rows, { firstRow: batch.firstRow });
      expect(report.created.map((d) => d.id)).toEqual([a, b]);
      expect(report.errors.map((e) => e.message)).toEqual([
        expect.stringMatching(/^row 4: unit "99999"/),
        expect.stringMatching(/^row 4: lon must be a number .*; got "abc"$/),
      ]);
      expect(await registry.get(a)).toMatchObject({
        name: 'Trạm đo mực nước sông Cu Đê, cầu Nam Ô',
        lat: 16.1234,
        tags: { river: 'Cu Đê' },
      });
      expect((await registry.get(b))?.name).toBe('Cống "Hòa Phước"');
    });

    it('checks everything and creates nothing in a dry run', async () => {
      const existing = (await provision('dry')).device.id;
      const fresh = uniqueId('dry');
      const report = await registry.importDevices(
        [
          { id: fresh, type: 'weather', unit: HAI_VAN },
          { id: existing, type: 'weather', unit: HAI_VAN },
          { id: uniqueId('dry'), type: 'weather', unit: 'nope' },
        ],
        { dryRun: true },
      );
      expect(report).toEqual({
        dryRun: true,
        created: [],
        accepted: [fresh],
        errors: [
          expect.objectContaining({ row: 2, code: 'DEVICE_EXISTS' }),
          expect.objectContaining({ row: 3, code: 'UNKNOWN_UNIT' }),
        ],
      });
      expect(await registry.get(fresh)).toBeUndefined();
    });

    it('refuses input that is not an array of at most MAX_IMPORT_ROWS rows', async () => {
      await expect(registry.importDevices({} as unknown as unknown[])).rejects.toMatchObject({
        code: 'INVALID_IMPORT',
      });
      const tooMany = Array.from({ length: MAX_IMPORT_ROWS + 1 }, (_, i) => ({ id: `too-${i}` }));
      await expect(registry.importDevices(tooMany)).rejects.toMatchObject({
        statusCode: 400,
        code: 'IMPORT_TOO_LARGE',
      });
      expect(await registry.get('too-0')).toBeUndefined();
      expect(await registry.importDevices([])).toEqual({
        dryRun: false,
        created: [],
        accepted: [],
        errors: [],
      });
    });
  });
});
