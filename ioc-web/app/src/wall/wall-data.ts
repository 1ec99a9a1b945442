// The wall's data behind one interface: `SocketSource` (socket-source.ts, the default) follows
// the room's socket.io feed; `PollingSource` here polls REST and is its fallback. Both push
// partial `WallData` patches into a `WallFeed`, which React reads.
import { ApiError } from '../api/client';
import type { WallConference } from './conference-endpoints';
import {
  type DeviceType,
  deviceTypes,
  type KpiBreakdown,
  type KpiDefinition,
  type KpiSeries,
  kpiBreakdown,
  kpiDefinitions,
  kpiSeries,
  openAlerts,
  type UnitCollection,
  unitBoundaries,
  type WallAlert,
  type WallDevice,
  type WallRoom,
  wallDevices,
} from './wall-api';

export type Connection = 'connecting' | 'live' | 'reconnecting';

export interface WallData {
  room: string;
  connection: Connection;
  /** Where live data comes from now: the room's socket feed, or REST polling (fallback). */
  transport?: 'socket' | 'poll';
  /** The room's name, scope and scenes, once known. */
  roomInfo?: WallRoom;
  /** The room does not exist or is not the caller's (the server answers both alike). */
  roomMissing: boolean;
  /** When the last complete refresh arrived. */
  updatedAt?: Date;
  boundaries?: UnitCollection;
  types: DeviceType[];
  /** Undefined until the first answer; `devicesDenied` when the role may not list devices. */
  devices?: WallDevice[];
  devicesDenied: boolean;
  alerts?: WallAlert[];
  kpis: KpiSeries[];
  /** True once the KPI tiles were asked for, whether or not any has data. */
  kpisLoaded: boolean;
  /** The KPI the map colours units by. */
  choropleth?: KpiBreakdown;
  /** Live conferences with endpoints in the room (socket feed only). */
  conferences: WallConference[];
}

/** Where the wall's data comes from: it pushes partial updates and its connection state. */
export interface WallSource {
  start(update: (patch: Partial<WallData>) => void, unauthenticated: () => void): void;
  stop(): void;
}

/** How many KPI tiles the wall shows: the KPIs that have a target come first. */
const KPI_TILES = 4;
const TICK_MS = 5_000;
const DEVICES_EVERY = 2; // ticks
const KPIS_EVERY = 12; // ticks: once a minute
const MAX_BACKOFF_MS = 30_000;

/**
 * Polls alerts every tick, devices every other tick, KPIs once a minute, boundaries and
 * catalogues until they load once. When the server does not answer it backs off
 * (2, 4, 8 … 30 s) and reports `reconnecting`, keeping the last data on screen.
 */
export class PollingSource implements WallSource {
  #controller?: AbortController;
  #timer?: ReturnType<typeof setTimeout>;
  #tick = 0;
  #failures = 0;
  #static: { boundaries?: UnitCollection; types?: DeviceType[]; kpis?: KpiDefinition[] } = {};

  constructor(
    private readonly options: { choroplethKpi?: string; kpiUnits?: readonly string[] } = {},
  ) {}

  start(update: (patch: Partial<WallData>) => void, unauthenticated: () => void): void {
    const controller = new AbortController();
    this.#controller = controller;
    const run = async () => {
      try {
        update(await this.#poll(controller.signal));
        this.#failures = 0;
        this.#tick += 1;
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) return unauthenticated();
        this.#failures += 1;
        update({ connection: 'reconnecting' });
      }
      if (controller.signal.aborted) return;
      const delay =
        this.#failures === 0 ? TICK_MS : Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** this.#failures);
      this.#timer = setTimeout(run, delay);
    };
    void run();
  }

  stop(): void {
    this.#controller?.abort();
    clearTimeout(this.#timer);
  }

  async #poll(signal: AbortSignal): Promise<Partial<WallData>> {
    const s = this.#static;
    // After a failure everything is fetched again, so the wall is whole once it is back.
    const full = this.#failures > 0 || this.#tick === 0;
    const [boundaries, types, definitions] = await Promise.all([
      s.boundaries ?? unitBoundaries(signal),
      s.types ?? deviceTypes(signal),
      s.kpis ?? kpiDefinitions(signal),
    ]);
    Object.assign(s, { boundaries, types, kpis: definitions });

    const patch: Partial<WallData> = { boundaries, types, connection: 'live', transport: 'poll' };
    const work: Promise<unknown>[] = [
      openAlerts(signal).then((alerts) => {
        patch.alerts = alerts;
      }),
    ];
    if (full || this.#tick % DEVICES_EVERY === 0) {
      work.push(
        wallDevices(signal).then(
          (devices) => Object.assign(patch, { devices, devicesDenied: false }),
          (error: unknown) => {
            // Listing devices is an admin right today: the wall still shows everything else.
            if (error instanceof ApiError && error.status === 403) {
              Object.assign(patch, { devices: [], devicesDenied: true });
            } else throw error;
          },
        ),
      );
    }
    if (full || this.#tick % KPIS_EVERY === 0) {
      work.push(
        loadKpis(definitions, { ...this.options, signal }).then((kpis) =>
          Object.assign(patch, kpis),
        ),
      );
    }
    await Promise.all(work);
    patch.updatedAt = new Date();
    return patch;
  }
}

/** The KPIs the tiles show, in order. */
export function tileKpis(definitions: readonly KpiDefinition[]): string[] {
  const withTarget = definitions.filter((d) => d.target !== null);
  return [...withTarget, ...definitions.filter((d) => d.target === null)]
    .slice(0, KPI_TILES)
    .map((d) => d.code);
}

/** `?units=` for a roll-up over several units; `unit` for one; neither: the server's default. */
function rollupOf(units: readonly string[] | undefined): { unit?: string; period: string } {
  if (!units || units.length === 0) return { period: '' };
  if (units.length === 1) return { unit: units[0], period: '' };
  return { period: `&units=${units.map(encodeURIComponent).join(',')}` };
}

/**
 * The KPI tiles' daily series and the map's breakdown, rolled up over `kpiUnits` (the room's
 * scope units, as the live feed's roll-ups are) or the server's default. A KPI the caller may
 * not read is left out, not fatal.
 */
export async function loadKpis(
  definitions: readonly KpiDefinition[],
  options: { choroplethKpi?: string; kpiUnits?: readonly string[]; signal?: AbortSignal },
): Promise<Pick<WallData, 'kpis' | 'kpisLoaded' | 'choropleth'>> {
  const { signal } = options;
  const { unit, period } = rollupOf(options.kpiUnits);
  const tiles = tileKpis(definitions);
  const [series, choropleth] = await Promise.all([
    Promise.allSettled(tiles.map((kpi) => kpiSeries(kpi, signal, unit, period))),
    loadChoropleth(definitions, options),
  ]);
  const kpis: KpiSeries[] = [];
  for (const answer of series) {
    if (answer.status === 'fulfilled') kpis.push(answer.value);
    else refusedAsUndefined(answer.reason);
  }
  return { kpis, kpisLoaded: true, choropleth };
}

/** The map's KPI breakdown alone (`?kpi=`, else the first tile's KPI), as loadKpis rolls it up. */
export async function loadChoropleth(
  definitions: readonly KpiDefinition[],
  options: { choroplethKpi?: string; kpiUnits?: readonly string[]; signal?: AbortSignal },
): Promise<KpiBreakdown | undefined> {
  const mapKpi = options.choroplethKpi ?? tileKpis(definitions)[0];
  if (!mapKpi) return undefined;
  const { unit, period } = rollupOf(options.kpiUnits);
  return kpiBreakdown(mapKpi, options.signal, unit, period).catch(refusedAsUndefined);
}

/** 400/403/404 (not in scope, no roll-up for several units): no figure. Anything else throws. */
function refusedAsUndefined(error: unknown): undefined {
  if (error instanceof ApiError && [400, 403, 404].includes(error.status)) return undefined;
  throw error;
}

/** Holds the wall's current data and tells subscribers (React's useSyncExternalStore) of changes. */
export class WallFeed {
  #data: WallData;
  readonly #listeners = new Set<() => void>();

  constructor(
    room: string,
    private readonly source: WallSource,
  ) {
    this.#data = {
      room,
      connection: 'connecting',
      roomMissing: false,
      types: [],
      kpis: [],
      kpisLoaded: false,
      devicesDenied: false,
      conferences: [],
    };
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly snapshot = (): WallData => this.#data;

  start(unauthenticated: () => void): void {
    this.source.start((patch) => {
      this.#data = { ...this.#data, ...patch };
      for (const listener of this.#listeners) listener();
    }, unauthenticated);
  }

  stop(): void {
    this.source.stop();
  }
}
