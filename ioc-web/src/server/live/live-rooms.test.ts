import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiTokens,
  AuditLog,
  type ConferenceEndpoint,
  createLogger,
  HealthRegistry,
  LiveBus,
  type LiveEvents,
  loadUnitTree,
  SessionStore,
  type SqlStore,
  sqlTestBackends,
  UserAccounts,
} from '@ioc/core';
import { DeviceRegistry, loadDeviceCatalogue } from '@ioc/devices';
import { Registry } from 'prom-client';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WebContext } from '../context.js';
import { startLiveChannel } from '../live-channel.js';
import { RoomStore } from '../rooms/room-store.js';
import type { RoomSnapshot } from './live-rooms.js';
import type { RoomDelta } from './room-feed.js';

/**
 * The per-room live channel on real PostgreSQL, a real socket.io server and client, and the
 * real device registry: what reaches an open wall between two snapshots (devices provisioned
 * after it opened, live conferences' endpoints), filtered by each room's scope on the server.
 */

// Đà Nẵng (da-nang-2025): Hải Châu and Thanh Khê wards, Hội An.
const HAI_CHAU = '20242';
const THANH_KHE = '20209';
const HOI_AN = '20410';

const { backends, cleanup } = sqlTestBackends('web-live', inject('postgresUrl'));
const postgres = backends.find((b) => b.kind === 'postgres');
afterAll(cleanup);

let sql: SqlStore;
let devices: DeviceRegistry;
let server: Server;
let live: ReturnType<typeof startLiveChannel>;
let url: string;
let token: string;
const bus = new LiveBus();
const sockets: Socket[] = [];

beforeAll(async () => {
  if (!postgres) throw new Error('no PostgreSQL backend');
  sql = await postgres.open();
  const [units, catalogue] = await Promise.all([
    loadUnitTree('da-nang-2025'),
    loadDeviceCatalogue(),
  ]);
  const rooms = new RoomStore(sql);
  for (const [id, unit] of [
    ['hai-chau', HAI_CHAU],
    ['thanh-khe', THANH_KHE],
    ['hoi-an', HOI_AN],
  ] as const) {
    await rooms.create({
      id,
      name: { vi: id, en: id },
      scope: { units: [unit], sectors: [] },
      scenes: [],
      kiosk: { rotation: false },
    });
  }
  const tokens = new ApiTokens(sql);
  token = (await tokens.create({ name: 'live test', role: 'admin', createdBy: 'test' })).token;
  devices = new DeviceRegistry({ sql, catalogue, units });
  const ctx: WebContext = {
    health: new HealthRegistry(),
    metrics: new Registry(),
    units,
    unitDataset: 'da-nang-2025',
    accounts: new UserAccounts(sql),
    sessions: new SessionStore(sql, 1),
    tokens,
    audit: new AuditLog(sql),
    devices,
    catalogue,
    rooms,
    sessionTtlHours: 1,
  };
  server = createServer();
  live = startLiveChannel(server, ctx, bus, createLogger('silent'), { intervalMs: 20 });
  await live.rooms.start();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await live?.close();
  server?.close();
  await sql?.close();
});

/** A wall on one room: its snapshot, and every delta after it. */
interface OpenWall {
  socket: Socket;
  snapshot: RoomSnapshot;
  deltas: RoomDelta[];
  /** Resolves with the first delta (already received or next) that `match` accepts. */
  next(match: (delta: RoomDelta) => boolean): Promise<RoomDelta>;
}

async function openWall(room: string): Promise<OpenWall> {
  const socket = io(url, { transports: ['websocket'], auth: { token }, reconnection: false });
  sockets.push(socket);
  const deltas: RoomDelta[] = [];
  const waiting: Array<{ match: (d: RoomDelta) => boolean; resolve: (d: RoomDelta) => void }> = [];
  socket.on('delta', (delta: RoomDelta) => {
    deltas.push(delta);
    for (const w of waiting.splice(0)) {
      if (w.match(delta)) w.resolve(delta);
      else waiting.push(w);
    }
  });
  const snapshot = new Promise<RoomSnapshot>((resolve) => socket.once('snapshot', resolve));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  expect(await socket.emitWithAck('join', { room })).toMatchObject({ ok: true, room });
  return {
    socket,
    snapshot: await snapshot,
    deltas,
    next: (match) => {
      const seen = deltas.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiting.push({ match, resolve }));
    },
  };
}

describe('a device provisioned while walls are open', () => {
  it('reaches the walls whose room covers it, whole, before any new snapshot', async () => {
    const province = await openWall('tinh');
    const ward = await openWall('hai-chau');
    const other = await openWall('hoi-an');
    expect(province.snapshot.devices.map((d) => d.id)).not.toContain('live-new-gauge');

    await devices.provision({
      id: 'live-new-gauge',
      type: 'water-level',
      unit: HAI_CHAU,
      name: 'Trạm đo mới Hải Châu',
      lat: 16.06,
      lon: 108.22,
    });
    const added = (d: RoomDelta) => d.devices.some((x) => x.id === 'live-new-gauge');
    for (const wall of [province, ward]) {
      const delta = await wall.next(added);
      expect(delta.devices.find((d) => d.id === 'live-new-gauge')).toEqual({
        id: 'live-new-gauge',
        name: 'Trạm đo mới Hải Châu',
        type: 'water-level',
        unit: HAI_CHAU,
        sector: 'environment',
        lat: 16.06,
        lon: 108.22,
        enabled: true,
        presence: null,
        values: {},
      });
    }

    // Hội An's wall hears nothing of it: a device of Hội An proves its deltas still flow.
    await devices.provision({ id: 'live-hoi-an-gauge', type: 'water-level', unit: HOI_AN });
    const hoiAn = await other.next((d) => d.devices.some((x) => x.id === 'live-hoi-an-gauge'));
    expect(other.deltas.some(added)).toBe(false);
    expect(hoiAn.devices.map((d) => d.id)).toEqual(['live-hoi-an-gauge']);

    // Revoked: the walls that had it drop it; the others are not told its id.
    await devices.revoke('live-new-gauge');
    const removed = (d: RoomDelta) => d.removedDevices.includes('live-new-gauge');
    await province.next(removed);
    await ward.next(removed);
    await devices.revoke('live-hoi-an-gauge');
    await other.next((d) => d.removedDevices.includes('live-hoi-an-gauge'));
    expect(ward.deltas.some((d) => d.removedDevices.includes('live-hoi-an-gauge'))).toBe(false);
    for (const wall of [province, ward, other]) wall.socket.disconnect();
  });
});

describe('a device disabled or enabled while walls are open', () => {
  it('reaches the walls whose room covers it with its new state, and no others', async () => {
    await devices.provision({ id: 'live-toggled', type: 'water-level', unit: THANH_KHE });
    const province = await openWall('tinh');
    const ward = await openWall('thanh-khe');
    const other = await openWall('hai-chau');
    // Disabled devices are in the snapshot as in the REST list, flagged; this one is not yet.
    const inSnapshot = ward.snapshot.devices.find((d) => d.id === 'live-toggled');
    expect(inSnapshot?.enabled).toBe(true);

    await devices.setEnabled('live-toggled', false);
    const disabled = (d: RoomDelta) =>
      d.devices.some((x) => x.id === 'live-toggled' && x.enabled === false);
    for (const wall of [province, ward]) {
      const delta = await wall.next(disabled);
      expect(delta.devices.find((d) => d.id === 'live-toggled')).toMatchObject({
        unit: THANH_KHE,
        enabled: false,
      });
      expect(delta.removedDevices).not.toContain('live-toggled');
    }
    // A wall opened now has it flagged in its snapshot.
    const late = await openWall('thanh-khe');
    expect(late.snapshot.devices.find((d) => d.id === 'live-toggled')?.enabled).toBe(false);

    await devices.setEnabled('live-toggled', true);
    const enabled = (d: RoomDelta) =>
      d.devices.some((x) => x.id === 'live-toggled' && x.enabled === true);
    for (const wall of [province, ward, late]) await wall.next(enabled);

    // Hải Châu's wall heard neither: a device of Hải Châu proves its deltas still flow.
    await devices.provision({ id: 'live-toggle-probe', type: 'water-level', unit: HAI_CHAU });
    await other.next((d) => d.devices.some((x) => x.id === 'live-toggle-probe'));
    expect(other.deltas.some((d) => d.devices.some((x) => x.id === 'live-toggled'))).toBe(false);

    // Disabling a revoked device tells no wall anything: it is gone already. The province's
    // wall covers both devices; the probe's removal comes after the event was handled.
    await devices.revoke('live-toggled');
    await province.next((d) => d.removedDevices.includes('live-toggled'));
    await devices.setEnabled('live-toggled', false);
    await devices.revoke('live-toggle-probe');
    await province.next((d) => d.removedDevices.includes('live-toggle-probe'));
    const gone = province.deltas.findIndex((d) => d.removedDevices.includes('live-toggled'));
    expect(province.deltas.slice(gone).some((d) => d.devices.length > 0)).toBe(false);
    for (const wall of [province, ward, other, late]) wall.socket.disconnect();
  });
});

function endpoint(
  unit: string | null,
  displayName: string,
  link: Partial<ConferenceEndpoint> = {},
): ConferenceEndpoint {
  return {
    unit,
    peerId: null,
    displayName,
    role: 'participant',
    connected: false,
    joinedAt: null,
    sendBitrate: 0,
    recvBitrate: 0,
    packetLoss: 0,
    rttMs: null,
    recvLayer: null,
    quality: null,
    handRaised: false,
    audioMuted: false,
    ...link,
  };
}

describe('conference endpoints on the walls', () => {
  const update = (ended = false): LiveEvents['conference.endpoints'] => ({
    conferenceId: 'hop-giao-ban',
    title: 'Họp giao ban tuần',
    activeSpeaker: 'peer-hoi-an',
    endpoints: [
      endpoint(HAI_CHAU, 'Phường Hải Châu', {
        peerId: 'peer-hai-chau',
        connected: true,
        joinedAt: '2026-11-21T08:00:00.000Z',
        quality: 'good',
        rttMs: 40,
        handRaised: true,
      }),
      endpoint(HOI_AN, 'Phường Hội An', {
        peerId: 'peer-hoi-an',
        connected: true,
        joinedAt: '2026-11-21T08:00:00.000Z',
        quality: 'poor',
        packetLoss: 0.12,
      }),
      endpoint(null, 'Chủ tọa (UBND tỉnh)', {
        peerId: 'peer-chair',
        connected: true,
        role: 'chair',
      }),
    ],
    ended,
    at: new Date().toISOString(),
  });

  it('gives each room the endpoints of its units only, and nothing to a room without any', async () => {
    const province = await openWall('tinh');
    const ward = await openWall('hai-chau');
    const empty = await openWall('thanh-khe');
    bus.publish('conference.endpoints', update());

    const heard = (d: RoomDelta) => d.conferences.length > 0;
    const all = (await province.next(heard)).conferences;
    expect(all).toHaveLength(1);
    expect(all[0]?.endpoints.map((e) => e.displayName)).toEqual([
      'Phường Hải Châu',
      'Phường Hội An',
      'Chủ tọa (UBND tỉnh)',
    ]);
    expect(all[0]?.activeSpeaker).toBe('peer-hoi-an');

    // The ward sees its own endpoint; the speaker is outside its scope, so it is not named.
    const mine = (await ward.next(heard)).conferences[0];
    expect(mine).toMatchObject({
      conferenceId: 'hop-giao-ban',
      title: 'Họp giao ban tuần',
      activeSpeaker: null,
      ended: false,
    });
    expect(mine?.endpoints).toEqual([update().endpoints[0]]);

    // Thanh Khê has no endpoint: the event is dropped for it. A device of Thanh Khê proves
    // that its deltas still flow, after the conference event was handled.
    await devices.provision({ id: 'live-thanh-khe', type: 'water-level', unit: THANH_KHE });
    await empty.next((d) => d.devices.some((x) => x.id === 'live-thanh-khe'));
    expect(empty.deltas.some(heard)).toBe(false);

    // A wall opened now finds the conference in its snapshot, filtered alike.
    const late = await openWall('hai-chau');
    expect(late.snapshot.conferences.map((c) => c.endpoints.map((e) => e.unit))).toEqual([
      [HAI_CHAU],
    ]);
    const lateEmpty = await openWall('thanh-khe');
    expect(lateEmpty.snapshot.conferences).toEqual([]);

    // It ends: the rooms that saw it hear so; the one that never did hears nothing.
    bus.publish('conference.endpoints', update(true));
    const ended = (d: RoomDelta) => d.conferences.some((c) => c.ended);
    await province.next(ended);
    expect((await ward.next(ended)).conferences[0]?.endpoints.map((e) => e.unit)).toEqual([
      HAI_CHAU,
    ]);
    await late.next(ended);
    await devices.revoke('live-thanh-khe');
    await empty.next((d) => d.removedDevices.includes('live-thanh-khe'));
    expect(empty.deltas.some(heard)).toBe(false);
    const after = await openWall('tinh');
    expect(after.snapshot.conferences).toEqual([]);
  });
});
