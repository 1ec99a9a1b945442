import type { AlertSnapshot, KpiObservation, LiveBus, Logger, Principal } from '@ioc/core';
import type { Socket, Server as SocketServer } from 'socket.io';
import { AccessScope } from '../access/access-scope.js';
import { resolveCallerAccess } from '../access/caller-access.js';
import { scopedList } from '../access/scoped-list.js';
import type { WebContext } from '../context.js';
import type { Room } from '../rooms/room-store.js';
import { type ConferenceUpdate, conferenceInScope } from './conference-scope.js';
import { DeviceIndex, type DeviceIndexChange, type IndexedDevice } from './device-index.js';
import { RoomKpiRollups } from './kpi-rollups.js';
import { RoomFeed, type SnapshotDevice } from './room-feed.js';

export type { SnapshotDevice } from './room-feed.js';

/** The `snapshot` event: the room's whole picture as of delta `seq`. */
export interface RoomSnapshot {
  room: Pick<Room, 'id' | 'name' | 'scope' | 'scenes' | 'kiosk'>;
  seq: number;
  at: string;
  devices: SnapshotDevice[];
  /** Open alerts (active, acknowledged), newest first, at most 1000. */
  alerts: AlertSnapshot[];
  /** The latest figure of each KPI, unit and sector seen since the server started. */
  kpis: KpiObservation[];
  /** Live conferences with endpoints in the room's scope (those endpoints only). */
  conferences: ConferenceUpdate[];
}

export type JoinAnswer =
  | { ok: true; room: string; seq: number }
  | { ok: false; code: string; message: string };

const SNAPSHOT_ATTEMPTS = 3;

/**
 * The per-room live channel. Sockets join `room:<id>` only if the caller may open that room;
 * bus events (latest values, presence, alerts, KPIs) go to the feed of every joined room whose
 * scope covers them, and each feed broadcasts one batch at most every `intervalMs` to all its
 * sockets at once. A joining socket gets a snapshot, then the batches after it, in order.
 */
export class LiveRooms {
  readonly #io: SocketServer;
  readonly #ctx: WebContext;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #feeds = new Map<string, RoomFeed>();
  readonly #devices: DeviceIndex;
  readonly #kpis = new Map<string, KpiObservation>();
  readonly #kpiRollups = new Map<string, RoomKpiRollups>();
  /** The latest endpoints of each conference that has not ended. */
  readonly #conferences = new Map<string, ConferenceUpdate>();
  readonly #unsubscribe: Array<() => void> = [];

  constructor(options: {
    io: SocketServer;
    ctx: WebContext;
    bus: LiveBus;
    logger: Logger;
    intervalMs?: number;
  }) {
    this.#io = options.io;
    this.#ctx = options.ctx;
    this.#logger = options.logger;
    this.#intervalMs = options.intervalMs ?? 250;
    this.#devices = new DeviceIndex(options.ctx.devices, (change) => this.#deviceChanged(change));
    const bus = options.bus;
    this.#unsubscribe.push(
      bus.subscribe('telemetry.latest', ({ points }) => {
        if (this.#feeds.size === 0) return;
        for (const point of points) {
          const delta = { deviceId: point.deviceId, ts: point.ts, values: point.values };
          for (const feed of this.#feeds.values()) feed.values(delta, point.unit, point.sector);
        }
      }),
      bus.subscribe('device.presence', (event) => {
        const device = this.#devices.get(event.deviceId);
        if (!device) return;
        const delta = { deviceId: event.deviceId, state: event.state, at: event.at };
        for (const feed of this.#feeds.values()) feed.presence(delta, device.unit, device.sector);
      }),
      bus.subscribe('alert.changed', ({ change, alert }) => {
        for (const feed of this.#feeds.values()) feed.alert({ change, alert });
      }),
      bus.subscribe('kpi.observed', ({ observations }) => {
        for (const observation of observations) {
          const key = `${observation.kpi}|${observation.unit}|${observation.sector ?? ''}`;
          const known = this.#kpis.get(key);
          if (!known || known.date <= observation.date) this.#kpis.set(key, observation);
          for (const feed of this.#feeds.values()) {
            if (feed.kpi(observation)) {
              this.#kpiRollups.get(feed.id)?.observed(observation.kpi, observation.date);
            }
          }
        }
      }),
      bus.subscribe('conference.endpoints', (update) => {
        if (update.ended) this.#conferences.delete(update.conferenceId);
        else this.#conferences.set(update.conferenceId, update);
        for (const feed of this.#feeds.values()) feed.conference(update);
      }),
    );
  }

  async start(): Promise<void> {
    await this.#devices.load();
  }

  /** Wires a connected socket's `join`, `resync` and `leave` requests. */
  attach(socket: Socket): void {
    const principal = socket.data.principal as Principal;
    socket.on('join', (request: unknown, ack?: unknown) => {
      this.#join(socket, principal, request)
        .then((answer) => typeof ack === 'function' && ack(answer))
        .catch((err) => {
          this.#logger.error({ err }, 'live channel: join failed');
          if (typeof ack === 'function') {
            ack({
              ok: false,
              code: 'INTERNAL_ERROR',
              message: 'the server could not open the room',
            });
          }
        });
    });
    // A client that saw a gap in `seq` asks for a new snapshot; so does `join` again.
    socket.on('resync', (request: unknown, ack?: unknown) => {
      this.#join(socket, principal, request)
        .then((answer) => typeof ack === 'function' && ack(answer))
        .catch((err) => this.#logger.error({ err }, 'live channel: resync failed'));
    });
    socket.on('leave', (request: unknown) => {
      const id = roomIdOf(request);
      if (id) void this.#leave(socket, id);
    });
    socket.on('disconnect', () => this.#dropIdleFeeds());
  }

  close(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    for (const feed of this.#feeds.values()) feed.close();
    this.#feeds.clear();
    for (const rollups of this.#kpiRollups.values()) rollups.close();
    this.#kpiRollups.clear();
    this.#devices.close();
  }

  /**
   * A device provisioned, revoked, disabled or enabled while walls are open reaches them in
   * the next batch: revoked by id; the others whole, with their `enabled` flag.
   */
  #deviceChanged(change: DeviceIndexChange): void {
    if (this.#feeds.size === 0) return;
    if (change.kind === 'removed') {
      for (const feed of this.#feeds.values()) feed.deviceRemoved(change.device);
      return;
    }
    const device = this.#snapshotDevice(change.device);
    for (const feed of this.#feeds.values()) feed.device(device);
  }

  #snapshotDevice(device: IndexedDevice): SnapshotDevice {
    const presence = this.#ctx.presence?.stateOf(device.id);
    return {
      ...device,
      presence: presence ? { state: presence.state, at: presence.at } : null,
      values: this.#ctx.telemetry?.latest(device.id)?.values ?? {},
    };
  }

  async #join(socket: Socket, principal: Principal, request: unknown): Promise<JoinAnswer> {
    const id = roomIdOf(request);
    const refused: JoinAnswer = {
      ok: false,
      code: 'ROOM_NOT_FOUND',
      message: `no room "${String(id ?? '')}" among yours`,
    };
    if (!id || !this.#ctx.rooms) return refused;
    // Resolved at each join: a membership removed since the connection counts at once.
    const access = await resolveCallerAccess(principal, this.#ctx.units, this.#ctx.rooms);
    if (access.rooms !== 'all' && !access.rooms.includes(id)) return refused;
    const room = await this.#ctx.rooms.get(id);
    if (!room) return refused;
    for (const joined of socket.rooms) {
      if (joined.startsWith('room:') && joined !== `room:${id}`) await socket.leave(joined);
    }
    const feed = this.#feedFor(room);
    await socket.join([`room:${id}`, `sync:${id}`]);
    for (let attempt = 0; attempt < SNAPSHOT_ATTEMPTS; attempt++) {
      const seq = feed.seq;
      const snapshot = await this.#snapshot(room, feed, seq);
      const missed = feed.since(seq);
      if (!missed) continue; // too much happened while reading: read again
      socket.emit('snapshot', snapshot);
      for (const delta of missed) socket.emit('delta', delta);
      await socket.leave(`sync:${id}`);
      return { ok: true, room: id, seq: feed.seq };
    }
    await socket.leave(`room:${id}`);
    await socket.leave(`sync:${id}`);
    return { ok: false, code: 'ROOM_BUSY', message: 'the room changes too fast; join again' };
  }

  async #leave(socket: Socket, id: string): Promise<void> {
    await socket.leave(`room:${id}`);
    await socket.leave(`sync:${id}`);
    this.#dropIdleFeeds();
  }

  #feedFor(room: Room): RoomFeed {
    let feed = this.#feeds.get(room.id);
    if (!feed) {
      const created = new RoomFeed({
        id: room.id,
        scope: AccessScope.ofRooms(this.#ctx.units, [room.scope]),
        intervalMs: this.#intervalMs,
        // One broadcast per batch: socket.io encodes it once for every socket of the room.
        send: (delta) =>
          this.#io.to(`room:${room.id}`).except(`sync:${room.id}`).emit('delta', delta),
      });
      this.#feeds.set(room.id, created);
      const desk = this.#ctx.kpi;
      if (desk) {
        this.#kpiRollups.set(
          room.id,
          new RoomKpiRollups({
            desk,
            scope: room.scope,
            logger: this.#logger,
            onRollup: (rollup) => created.kpiRollup(rollup),
          }),
        );
      }
      feed = created;
    }
    return feed;
  }

  /** Feeds of rooms nobody watches stop collecting. */
  #dropIdleFeeds(): void {
    for (const [id, feed] of this.#feeds) {
      if (!this.#io.sockets.adapter.rooms.get(`room:${id}`)?.size) {
        feed.close();
        this.#feeds.delete(id);
        this.#kpiRollups.get(id)?.close();
        this.#kpiRollups.delete(id);
      }
    }
  }

  async #snapshot(room: Room, feed: RoomFeed, seq: number): Promise<RoomSnapshot> {
    const scope = feed.scope;
    const devices: SnapshotDevice[] = [];
    for (const device of this.#devices.values()) {
      if (scope.allowsDevice(device)) devices.push(this.#snapshotDevice(device));
    }
    const alerts = this.#ctx.alerts;
    const open = alerts
      ? await scopedList({
          scope,
          query: { states: ['active', 'acknowledged'] } as { unit?: string; sector?: string },
          limit: 1000,
          offset: 0,
          read: async (query, limit, offset) => {
            const page = await alerts.list({
              ...query,
              states: ['active', 'acknowledged'],
              limit,
              offset,
            });
            return { items: page.alerts, total: page.total };
          },
          allows: (alert) => scope.allowsAlert(alert),
        })
      : { items: [] };
    const { id, name, scope: roomScope, scenes, kiosk } = room;
    return {
      room: { id, name, scope: roomScope, scenes, kiosk },
      seq,
      at: new Date().toISOString(),
      devices,
      alerts: open.items,
      kpis: [...this.#kpis.values()].filter((k) => scope.allows(k.unit, k.sector)),
      conferences: this.#conferencesFor(feed),
    };
  }

  #conferencesFor(feed: RoomFeed): ConferenceUpdate[] {
    const visible: ConferenceUpdate[] = [];
    for (const update of this.#conferences.values()) {
      const inScope = conferenceInScope(update, feed.scope);
      if (!inScope) continue;
      feed.conferenceShown(update.conferenceId);
      visible.push(inScope);
    }
    return visible;
  }
}

function roomIdOf(request: unknown): string | undefined {
  const id = (request as { room?: unknown } | null)?.room;
  return typeof id === 'string' && /^[a-z0-9][a-z0-9-]{0,62}$/.test(id) ? id : undefined;
}
