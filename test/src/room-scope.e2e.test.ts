import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, type IocServer, startIocServer } from './ioc-server.js';

// Rooms end to end on a real `ioc start --demo`: the demo district room `khu-vuc` covers
// central Đà Nẵng's wards (20242 Hải Châu, 20257 Hòa Cường, 20209 Thanh Khê); its operator
// `khuvuc` must reach nothing outside them, by any route, nor hear of it on the live channel.
const IN_UNIT = '20242';
const OUT_UNIT = '20410'; // Hội An
const HOI_AN = { lon: 108.33, lat: 15.88 };

let ioc: IocServer;
let admin: string;
let district: string;
const secrets: Record<string, string> = {};
const sockets: Socket[] = [];

async function login(username: string, password: string): Promise<string> {
  const res = await fetch(`${ioc.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(res.status).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
}

async function api(
  cookie: string,
  path: string,
  options: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${ioc.url}${path}`, {
    method: options.method ?? 'GET',
    headers: {
      cookie,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

async function publish(deviceId: string, values: Record<string, number>): Promise<void> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ioc.ports.mqtt}`, {
    username: deviceId,
    password: secrets[deviceId],
    clientId: deviceId,
  });
  await client.publishAsync(`ioc/v1/devices/${deviceId}/telemetry`, JSON.stringify({ values }), {
    qos: 1,
  });
  await client.endAsync();
}

function connect(cookie: string): Socket {
  const socket = io(ioc.url, {
    transports: ['websocket'],
    extraHeaders: { cookie },
    reconnection: false,
  });
  sockets.push(socket);
  return socket;
}

function joinRoom(socket: Socket, room: string): Promise<Record<string, unknown>> {
  return socket.emitWithAck('join', { room });
}

beforeAll(async () => {
  ioc = await startIocServer({ args: ['--demo'] });
  admin = await login('admin', ADMIN_PASSWORD);
  const accounts = JSON.parse(readFileSync(join(ioc.dataDir, 'demo-accounts.json'), 'utf8')) as {
    username: string;
    password: string;
  }[];
  const khuvuc = accounts.find((a) => a.username === 'khuvuc');
  district = await login('khuvuc', khuvuc?.password as string);
  for (const [id, unit] of [
    ['rs-in', IN_UNIT],
    ['rs-out', OUT_UNIT],
  ] as const) {
    const res = await api(admin, '/api/v1/devices', {
      method: 'POST',
      body: { id, type: 'water-level', unit, name: `Scope test ${id}` },
    });
    expect(res.status).toBe(201);
    secrets[id] = res.body.secret as string;
  }
  const rule = await api(admin, '/api/v1/rules', {
    method: 'POST',
    body: {
      id: 'room-scope-test',
      name: { vi: 'Kiểm thử phạm vi', en: 'Scope test' },
      severity: 'major',
      scope: { device: 'rs-in' },
      condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 1000 },
      message: { vi: 'Mực nước {value}', en: 'Level {value}' },
    },
  });
  expect(rule.status).toBe(201);
  const ruleOut = await api(admin, '/api/v1/rules', {
    method: 'POST',
    body: {
      id: 'room-scope-test-out',
      name: { vi: 'Kiểm thử ngoài phạm vi', en: 'Scope test outside' },
      severity: 'major',
      scope: { device: 'rs-out' },
      condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 1000 },
      message: { vi: 'Mực nước {value}', en: 'Level {value}' },
    },
  });
  expect(ruleOut.status).toBe(201);
}, 150_000);

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await ioc?.stop();
  ioc?.cleanup();
});

describe('a district room operator', () => {
  it('lists the rooms they belong to; admins see every room, audited changes', async () => {
    const mine = await api(district, '/api/v1/rooms');
    expect((mine.body.rooms as { id: string }[]).map((r) => r.id)).toEqual(['khu-vuc']);
    const all = await api(admin, '/api/v1/rooms');
    expect((all.body.rooms as { id: string }[]).map((r) => r.id)).toEqual([
      'khu-vuc',
      'so-tnmt',
      'tinh',
    ]);
    expect((await api(district, '/api/v1/rooms/tinh')).status).toBe(404);
    expect((await api(district, '/api/v1/rooms', { method: 'POST', body: {} })).status).toBe(403);
    const bad = await api(admin, '/api/v1/rooms', {
      method: 'POST',
      body: { id: 'x', name: { vi: 'X', en: 'X' }, scope: { units: ['nope'], sectors: [] } },
    });
    expect(bad).toMatchObject({ status: 400, body: { code: 'UNKNOWN_UNIT' } });
    const created = await api(admin, '/api/v1/rooms', {
      method: 'POST',
      body: {
        id: 'hoi-an',
        name: { vi: 'Hội An', en: 'Hoi An' },
        scope: { units: [OUT_UNIT], sectors: [] },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await api(admin, '/api/v1/rooms/hoi-an', { method: 'DELETE' })).status).toBe(204);
    const audit = await api(admin, '/api/v1/audit?limit=20');
    const actions = (audit.body.entries as { action: string; target: string }[]).map(
      (e) => `${e.action} ${e.target}`,
    );
    expect(actions).toEqual(
      expect.arrayContaining(['room.create room:hoi-an', 'room.delete room:hoi-an']),
    );
  });

  it('sees devices and telemetry in scope only; outside answers like an unknown id', async () => {
    await publish('rs-in', { level_cm: 1500, battery_v: 12 });
    await publish('rs-out', { level_cm: 1600, battery_v: 12 });
    const list = await api(district, '/api/v1/devices?limit=1000');
    const ids = (list.body.devices as { id: string; unit: string }[]).map((d) => d.id);
    expect(ids).toContain('rs-in');
    expect(ids).not.toContain('rs-out');
    for (const device of list.body.devices as { unit: string }[]) {
      expect(['20242', '20257', '20209']).toContain(device.unit);
    }
    expect(list.body.total).toBe(ids.length);
    const filtered = await api(district, `/api/v1/devices?unit=${OUT_UNIT}`);
    expect(filtered.body).toEqual({ devices: [], total: 0 });

    const unknown = await api(district, '/api/v1/devices/no-such-device');
    const hidden = await api(district, '/api/v1/devices/rs-out');
    expect(hidden.status).toBe(404);
    expect(hidden.body.code).toBe(unknown.body.code);
    expect((await api(district, '/api/v1/devices/rs-in')).status).toBe(200);
    expect((await api(admin, '/api/v1/devices/rs-out')).status).toBe(200);

    const command = await api(district, '/api/v1/devices/rs-out/commands', {
      method: 'POST',
      body: { reset: true },
    });
    expect(command).toMatchObject({ status: 404, body: { code: 'DEVICE_NOT_FOUND' } });

    const from = new Date(Date.now() - 3600_000).toISOString();
    for (const path of [`/api/v1/telemetry?device=rs-out&metric=level_cm&from=${from}`]) {
      expect(await api(district, path)).toMatchObject({
        status: 404,
        body: { code: 'DEVICE_NOT_FOUND' },
      });
    }
    await expect
      .poll(async () => (await api(district, '/api/v1/telemetry/latest?device=rs-in')).status, {
        timeout: 10_000,
      })
      .toBe(200);
    expect((await api(admin, '/api/v1/telemetry/latest?device=rs-out')).status).toBe(200);
    const latestOut = await api(district, '/api/v1/telemetry/latest?device=rs-out');
    const latestUnknown = await api(district, '/api/v1/telemetry/latest?device=nobody');
    expect(latestOut.status).toBe(404);
    expect(latestOut.body.code).toBe(latestUnknown.body.code);
  });

  it('sees alerts in scope only, and cannot act on others', async () => {
    await expect
      .poll(
        async () =>
          ((await api(admin, '/api/v1/alerts?rule=room-scope-test-out')).body.total as number) ?? 0,
        { timeout: 15_000 },
      )
      .toBeGreaterThan(0);
    await expect
      .poll(async () => (await api(district, '/api/v1/alerts?rule=room-scope-test')).body.total, {
        timeout: 15_000,
      })
      .toBe(1);
    const outside = (await api(admin, '/api/v1/alerts?rule=room-scope-test-out')).body.alerts as {
      id: string;
    }[];
    const outId = outside[0]?.id as string;
    const mine = await api(district, '/api/v1/alerts?limit=1000');
    for (const alert of mine.body.alerts as { unit: string | null }[]) {
      expect(['20242', '20257', '20209']).toContain(alert.unit);
    }
    expect((mine.body.alerts as { id: string }[]).map((a) => a.id)).not.toContain(outId);
    expect((await api(district, '/api/v1/alerts?rule=room-scope-test-out')).body.total).toBe(0);
    const unknown = await api(district, '/api/v1/alerts/999999999');
    const hidden = await api(district, `/api/v1/alerts/${outId}`);
    expect(hidden).toMatchObject({ status: 404, body: { code: 'ALERT_NOT_FOUND' } });
    expect(hidden.body.message).toBe((unknown.body.message as string).replace('999999999', outId));
    for (const action of ['acknowledge', 'resolve']) {
      const res = await api(district, `/api/v1/alerts/${outId}/${action}`, {
        method: 'POST',
        body: {},
      });
      expect(res).toMatchObject({ status: 404, body: { code: 'ALERT_NOT_FOUND' } });
    }
    const comment = await api(district, `/api/v1/alerts/${outId}/comments`, {
      method: 'POST',
      body: { text: 'x' },
    });
    expect(comment.status).toBe(404);
    const still = await api(admin, `/api/v1/alerts/${outId}`);
    expect((still.body.alert as { state: string }).state).toBe('active');
  });

  it('rolls KPIs up over the union of their units when they name none', async () => {
    // A day long before the demo feed's history, so only these figures count.
    const day = '2024-03-04';
    const parts: Record<string, number> = { '20242': 5, '20257': 7, '20209': 11, [OUT_UNIT]: 100 };
    const sent = await api(admin, '/api/v1/kpi', {
      method: 'POST',
      body: {
        observations: Object.entries(parts).map(([unit, value]) => ({
          kpi: 'dossiers_received',
          unit,
          date: day,
          value,
        })),
      },
    });
    expect(sent.body).toMatchObject({ accepted: 4, rejected: 0 });
    const period = `kpi=dossiers_received&from=${day}&to=${day}`;
    const latestOf = (res: { status: number; body: Record<string, unknown> }) => {
      expect(res.status).toBe(200);
      return (res.body.latest as { value: number } | null)?.value ?? 0;
    };
    let handSum = 0;
    for (const unit of ['20242', '20257', '20209']) {
      handSum += latestOf(await api(admin, `/api/v1/kpi?${period}&unit=${unit}`));
    }
    expect(handSum).toBe(23);
    const room = await api(district, `/api/v1/kpi?${period}`);
    expect(latestOf(room)).toBe(handSum);
    expect((room.body.units as string[]).sort()).toEqual(['20209', '20242', '20257']);
    expect(latestOf(await api(district, `/api/v1/kpi?${period}&units=20242,20257`))).toBe(12);
    expect(await api(district, `/api/v1/kpi?${period}&units=20242,${OUT_UNIT}`)).toMatchObject({
      status: 404,
      body: { code: 'UNIT_NOT_FOUND' },
    });
    expect(latestOf(await api(admin, `/api/v1/kpi?${period}&units=20242,${OUT_UNIT}`))).toBe(105);
    const parted = await api(district, `/api/v1/kpi/breakdown?${period}`);
    expect(parted.status).toBe(200);
    const children = parted.body.children as { unit: string; value: number }[];
    expect(Object.fromEntries(children.map((c) => [c.unit, c.value]))).toEqual({
      '20242': 5,
      '20257': 7,
      '20209': 11,
    });
  });

  it('reads KPIs and unit details of their units only', async () => {
    const kpi = (unit?: string) =>
      api(district, `/api/v1/kpi?kpi=dossiers_received${unit ? `&unit=${unit}` : ''}`);
    expect(await kpi('48')).toMatchObject({ status: 404, body: { code: 'UNIT_NOT_FOUND' } });
    expect(await kpi(OUT_UNIT)).toMatchObject({ status: 404, body: { code: 'UNIT_NOT_FOUND' } });
    expect((await kpi(IN_UNIT)).status).toBe(200);
    expect((await kpi()).status).toBe(200);
    const breakdown = await api(district, '/api/v1/kpi/breakdown?kpi=dossiers_received&unit=48');
    expect(breakdown.status).toBe(404);

    expect(await api(district, `/api/v1/units/${OUT_UNIT}`)).toMatchObject({
      status: 404,
      body: { code: 'UNIT_NOT_FOUND' },
    });
    expect((await api(district, '/api/v1/units/48')).status).toBe(404);
    expect((await api(district, `/api/v1/units/${IN_UNIT}`)).status).toBe(200);
    const located = await api(district, `/api/v1/units/locate?lon=${HOI_AN.lon}&lat=${HOI_AN.lat}`);
    expect(located.status).toBe(404);
    expect(
      (await api(admin, `/api/v1/units/locate?lon=${HOI_AN.lon}&lat=${HOI_AN.lat}`)).status,
    ).toBe(200);
    const units = (await api(district, '/api/v1/units')).body.units as {
      code: string;
      outline?: boolean;
      bbox?: unknown;
    }[];
    expect(units.map((u) => u.code).sort()).toEqual(['20209', '20242', '20257', '48']);
    expect(units.find((u) => u.code === '48')).toMatchObject({ outline: true });
    expect(units.find((u) => u.code === '48')?.bbox).toBeUndefined();
    const geo = (await api(district, '/api/v1/units?format=geojson')).body.features as {
      id: string;
    }[];
    expect(geo.map((f) => f.id).sort()).toEqual(['20209', '20242', '20257']);
  });

  it('joins only their room on the live channel; gets a snapshot, then in-scope deltas only', async () => {
    const socket = connect(district);
    const deltas: Array<{
      seq: number;
      values: { deviceId: string }[];
      alerts: { alert: { deviceId: string | null } }[];
      presence: { deviceId: string }[];
    }> = [];
    socket.on('delta', (delta) => deltas.push(delta));
    const snapshot = new Promise<Record<string, unknown>>((resolve) =>
      socket.once('snapshot', resolve),
    );
    expect(await joinRoom(socket, 'tinh')).toMatchObject({ ok: false, code: 'ROOM_NOT_FOUND' });
    expect(await joinRoom(socket, 'no-such-room')).toMatchObject({
      ok: false,
      code: 'ROOM_NOT_FOUND',
    });
    expect(await joinRoom(socket, 'khu-vuc')).toMatchObject({ ok: true, room: 'khu-vuc' });
    const first = await snapshot;
    const devices = first.devices as { id: string; values: Record<string, { value: number }> }[];
    expect(devices.map((d) => d.id)).toContain('rs-in');
    expect(devices.map((d) => d.id)).not.toContain('rs-out');
    expect(devices.find((d) => d.id === 'rs-in')?.values.level_cm?.value).toBe(1500);
    expect((first.alerts as { deviceId: string }[]).map((a) => a.deviceId)).toContain('rs-in');
    expect((first.alerts as { deviceId: string }[]).map((a) => a.deviceId)).not.toContain('rs-out');

    await publish('rs-out', { level_cm: 1700, battery_v: 11 });
    await publish('rs-in', { level_cm: 1234, battery_v: 11 });
    await expect
      .poll(() => deltas.flatMap((d) => d.values).some((v) => v.deviceId === 'rs-in'), {
        timeout: 10_000,
      })
      .toBe(true);
    // rs-out was published first: had it passed the filter, it would be in the same or an
    // earlier batch than rs-in's.
    const mentioned = deltas.flatMap((d) => [
      ...d.values.map((v) => v.deviceId),
      ...d.presence.map((p) => p.deviceId),
      ...d.alerts.map((a) => a.alert.deviceId),
    ]);
    expect(mentioned).not.toContain('rs-out');
    const seqs = deltas.map((d) => d.seq);
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
    expect(seqs[0]).toBe((first.seq as number) + 1);

    // A reconnecting wall gets a fresh snapshot with the latest values.
    socket.disconnect();
    const again = connect(district);
    const second = new Promise<Record<string, unknown>>((resolve) =>
      again.once('snapshot', resolve),
    );
    expect(await joinRoom(again, 'khu-vuc')).toMatchObject({ ok: true });
    const devicesAgain = (await second).devices as {
      id: string;
      values: Record<string, { value: number }>;
    }[];
    expect(devicesAgain.find((d) => d.id === 'rs-in')?.values.level_cm?.value).toBe(1234);
  });

  it('refuses the live channel without credentials', async () => {
    const socket = io(ioc.url, { transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    expect(error.message).toBe('UNAUTHENTICATED');
  });
});
