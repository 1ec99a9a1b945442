// The wall's live data from the room's socket.io feed (ioc-web/README.md, "Live channel"):
// join the room, take its snapshot, then apply each numbered delta, coalesced into one
// update per animation frame. A gap in the numbers or a reconnect asks for a fresh snapshot.
// REST is used for what does not stream (boundaries, catalogue, KPI definitions, the tiles'
// history at load and the choropleth) and, when the socket cannot be opened for a while, as
// a polling fallback. KPI tiles then follow the room's roll-ups in the deltas.
import { io, type Socket } from 'socket.io-client';
import { ApiError } from '../api/client';
import { withRollups } from './kpi-live';
import { type KpiRollup, LiveRoom } from './live-room';
import { RoomScope } from './room-scope';
import {
  type DeviceType,
  deviceTypes,
  type KpiDefinition,
  type KpiSeries,
  kpiDefinitions,
  type UnitCollection,
  unitBoundaries,
  type WallRoom,
  wallRoom,
} from './wall-api';
import {
  loadChoropleth,
  loadKpis,
  PollingSource,
  type WallData,
  type WallSource,
} from './wall-data';

/** How long the socket may stay down before REST polling keeps the wall fresh meanwhile. */
const FALLBACK_AFTER_MS = 15_000;
/** KPIs are daily figures: refetch the choropleth at most this often when new ones stream in. */
const KPI_REFRESH_MS = 30_000;
/** Tiles and choropleth this often regardless, in case figures arrived while the wall was away. */
const KPI_REFRESH_IDLE_MS = 5 * 60_000;
const MAX_RETRY_MS = 30_000;
/** Frames are not drawn in hidden tabs: flush anyway after this long. */
const FLUSH_GUARD_MS = 500;
/**
 * User Timing measures for `npm run bench -- wall` (and DevTools): each delta applied to the
 * room's picture, and each per-frame flush of the picture into the page's state. Read them
 * with a PerformanceObserver: they leave the timeline's buffer at once, so a wall that runs for
 * months does not keep one entry per delta.
 */
export const MEASURE_APPLY = 'ioc-wall:apply-delta';
export const MEASURE_FLUSH = 'ioc-wall:flush';

function measureSince(name: string, start: number): void {
  performance.measure(name, { start });
  performance.clearMeasures(name);
}

type Update = (patch: Partial<WallData>) => void;

interface Reference {
  room: WallRoom;
  boundaries: UnitCollection;
  types: DeviceType[];
  definitions: KpiDefinition[];
}

export class SocketSource implements WallSource {
  readonly #room: string;
  readonly #choroplethKpi: string | undefined;
  readonly #live = new LiveRoom();
  readonly #controller = new AbortController();
  #socket?: Socket;
  #update: Update = () => undefined;
  #reference?: Reference;
  #scope?: RoomScope;
  #flushPending = false;
  #fallback?: PollingSource;
  #fallbackTimer?: ReturnType<typeof setTimeout>;
  #kpiTimer?: ReturnType<typeof setTimeout>;
  #kpiLoadedAt = 0;
  /** The tiles as shown, so roll-ups from the feed can be applied to them. */
  #tiles: KpiSeries[] = [];
  /** Roll-ups received while a REST read of the tiles is out, applied to its answer. */
  #rollupsDuringLoad: KpiRollup[] | undefined;
  #choroplethTimer?: ReturnType<typeof setTimeout>;
  #choroplethLoadedAt = 0;
  #hadSnapshot = false;
  #stopped = false;

  constructor(room: string, options: { choroplethKpi?: string } = {}) {
    this.#room = room;
    this.#choroplethKpi = options.choroplethKpi;
  }

  start(update: Update, unauthenticated: () => void): void {
    this.#update = update;
    const missing = () => {
      update({ roomMissing: true, connection: 'live' });
      this.stop();
    };
    void this.#loadReference(unauthenticated, missing);

    const socket = io({ path: '/socket.io', withCredentials: true, reconnectionDelayMax: 5_000 });
    this.#socket = socket;
    socket.on('connect', () => this.#join(missing));
    socket.on('snapshot', (snapshot: unknown) => {
      if (!this.#live.applySnapshot(snapshot)) return;
      // A fresh snapshot after a reconnect: roll-ups may have been missed meanwhile.
      if (this.#hadSnapshot && this.#kpiLoadedAt > 0) void this.#refreshKpis();
      this.#hadSnapshot = true;
      this.#stopFallback();
      update({ connection: 'live', transport: 'socket' });
      this.#scheduleFlush();
    });
    socket.on('delta', (delta: unknown) => {
      const started = performance.now();
      const result = this.#live.applyDelta(delta);
      if (result === 'gap') {
        // Deltas are ignored until the new snapshot arrives.
        this.#live.reset();
        socket.emit('resync', { room: this.#room });
      } else if (result === 'applied') this.#scheduleFlush();
      measureSince(MEASURE_APPLY, started);
    });
    socket.on('disconnect', (reason: string) => {
      this.#live.reset();
      if (this.#stopped) return;
      // A stopping server closes its sockets itself, and socket.io does not reconnect after
      // that on its own: try again (the manager then backs off until the server is back).
      if (reason === 'io server disconnect')
        setTimeout(() => this.#stopped || socket.connect(), 1_000);
      update({ connection: 'reconnecting' });
      this.#armFallback();
    });
    socket.on('connect_error', (error: Error) => {
      // The server refused the session (signed out, expired): no reconnecting from that.
      if (error.message === 'UNAUTHENTICATED') return unauthenticated();
      if (this.#fallback === undefined) update({ connection: 'reconnecting' });
      this.#armFallback();
    });
    this.#armFallback();
  }

  stop(): void {
    this.#stopped = true;
    this.#controller.abort();
    this.#socket?.disconnect();
    this.#stopFallback();
    clearTimeout(this.#kpiTimer);
    clearTimeout(this.#choroplethTimer);
  }

  /** The room's scope units: tiles and choropleth roll up over them, as the feed's roll-ups do. */
  get #kpiUnits(): readonly string[] {
    return this.#reference?.room.scope.units ?? [];
  }

  #join(missing: () => void): void {
    this.#socket?.emit('join', { room: this.#room }, (answer: unknown) => {
      const ack = answer as { ok?: boolean; code?: string } | null;
      if (ack?.ok) return;
      if (ack?.code === 'ROOM_NOT_FOUND') return missing();
      // ROOM_BUSY or a server error: try again shortly, the socket stays open.
      setTimeout(() => this.#socket?.connected && this.#join(missing), 1_000);
    });
  }

  /** Room, boundaries and catalogues over REST, retried with back-off until they load. */
  async #loadReference(unauthenticated: () => void, missing: () => void): Promise<void> {
    const signal = this.#controller.signal;
    for (let failures = 0; !signal.aborted; failures++) {
      try {
        const [room, boundaries, types, definitions] = await Promise.all([
          wallRoom(this.#room, signal),
          unitBoundaries(signal),
          deviceTypes(signal),
          // An IOC without ingest has no KPIs: the wall still shows everything else.
          kpiDefinitions(signal).catch((error: unknown) => {
            if (error instanceof ApiError && error.status === 503) return [];
            throw error;
          }),
        ]);
        this.#reference = { room, boundaries, types, definitions };
        this.#scope = new RoomScope(room, boundaries);
        this.#update({ roomInfo: room, boundaries, types });
        void this.#refreshKpis();
        return;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) return unauthenticated();
        if (error instanceof ApiError && error.code === 'ROOM_NOT_FOUND') return missing();
        await new Promise((r) => setTimeout(r, Math.min(MAX_RETRY_MS, 1_000 * 2 ** failures)));
      }
    }
  }

  async #refreshKpis(): Promise<void> {
    const reference = this.#reference;
    if (!reference || this.#stopped) return;
    clearTimeout(this.#kpiTimer);
    this.#kpiTimer = undefined;
    this.#kpiLoadedAt = Date.now();
    this.#choroplethLoadedAt = Date.now();
    this.#rollupsDuringLoad = [];
    try {
      const kpis = await loadKpis(reference.definitions, {
        choroplethKpi: this.#choroplethKpi,
        kpiUnits: this.#kpiUnits,
        signal: this.#controller.signal,
      });
      this.#tiles = withRollups(kpis.kpis, this.#rollupsDuringLoad);
      if (!this.#stopped) this.#update({ ...kpis, kpis: this.#tiles });
    } catch {
      // Unreachable now: the next refresh tries again; the tiles keep their last figures.
    } finally {
      this.#rollupsDuringLoad = undefined;
    }
    if (!this.#stopped) {
      this.#kpiTimer = setTimeout(() => void this.#refreshKpis(), KPI_REFRESH_IDLE_MS);
    }
  }

  /** The feed's roll-ups, straight into the tiles (no REST read). */
  #applyRollups(rollups: readonly KpiRollup[]): KpiSeries[] {
    this.#rollupsDuringLoad?.push(...rollups);
    this.#tiles = withRollups(this.#tiles, rollups);
    return this.#tiles;
  }

  /** New KPI figures streamed in: refetch the choropleth, at most every KPI_REFRESH_MS. */
  #kpisChanged(): void {
    if (this.#choroplethTimer) return;
    const wait = Math.max(0, this.#choroplethLoadedAt + KPI_REFRESH_MS - Date.now());
    this.#choroplethTimer = setTimeout(() => void this.#refreshChoropleth(), wait);
  }

  async #refreshChoropleth(): Promise<void> {
    this.#choroplethTimer = undefined;
    const reference = this.#reference;
    if (!reference || this.#stopped) return;
    this.#choroplethLoadedAt = Date.now();
    try {
      const choropleth = await loadChoropleth(reference.definitions, {
        choroplethKpi: this.#choroplethKpi,
        kpiUnits: this.#kpiUnits,
        signal: this.#controller.signal,
      });
      if (!this.#stopped) this.#update({ choropleth });
    } catch {
      // Unreachable now: the map keeps its colours until the next figures or the idle refresh.
    }
  }

  /** One React update per animation frame, however many deltas arrived in it. */
  #scheduleFlush(): void {
    if (this.#flushPending) return;
    this.#flushPending = true;
    const flush = () => {
      if (!this.#flushPending || this.#stopped) return;
      const started = performance.now();
      this.#flushPending = false;
      clearTimeout(guard);
      const changes = this.#live.take();
      const patch: Partial<WallData> = { updatedAt: new Date() };
      if (changes.room) patch.roomInfo = changes.room;
      if (changes.devices) Object.assign(patch, { devices: changes.devices, devicesDenied: false });
      if (changes.alerts) patch.alerts = changes.alerts;
      if (changes.conferences) patch.conferences = changes.conferences;
      if (changes.kpiRollups.length > 0) patch.kpis = this.#applyRollups(changes.kpiRollups);
      this.#update(patch);
      if (changes.kpis && this.#kpiLoadedAt > 0) this.#kpisChanged();
      measureSince(MEASURE_FLUSH, started);
    };
    const guard = setTimeout(flush, FLUSH_GUARD_MS);
    requestAnimationFrame(flush);
  }

  #armFallback(): void {
    if (this.#fallbackTimer || this.#fallback || this.#stopped) return;
    this.#fallbackTimer = setTimeout(() => {
      this.#fallbackTimer = undefined;
      if (this.#socket?.connected && this.#live.seq !== null) return;
      this.#startFallback();
    }, FALLBACK_AFTER_MS);
  }

  #startFallback(): void {
    const fallback = new PollingSource({
      choroplethKpi: this.#choroplethKpi,
      kpiUnits: this.#kpiUnits,
    });
    this.#fallback = fallback;
    fallback.start(
      (patch) => {
        if (this.#fallback !== fallback) return;
        // REST answers for all the caller's rooms: keep to this room.
        const scope = this.#scope;
        if (scope && patch.devices) {
          patch.devices = patch.devices.filter((d) => scope.allows(d.unit, d.sector));
        }
        if (scope && patch.alerts) {
          patch.alerts = patch.alerts.filter((a) => scope.allowsUnit(a.unit));
        }
        if (patch.kpis) this.#tiles = patch.kpis;
        this.#update(patch);
      },
      () => undefined, // the socket's own refusal reports an expired session
    );
  }

  #stopFallback(): void {
    clearTimeout(this.#fallbackTimer);
    this.#fallbackTimer = undefined;
    this.#fallback?.stop();
    this.#fallback = undefined;
  }
}
