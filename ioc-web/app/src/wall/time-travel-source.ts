// The wall as it was at a past instant T: alerts open at T, the KPIs up to T's local day and
// the choropleth for that day, the devices of today (positions). Loaded once, no live feed:
// the past does not change. Sensor values at T come from `sensorValuesAt` (the panel).
import { ApiError, NetworkError, requestJson } from '../api/client';
import { RoomScope } from './room-scope';
import {
  alertOf,
  deviceTypes,
  type KpiSeries,
  kpiBreakdown,
  kpiDefinitions,
  kpiSeries,
  unitBoundaries,
  type WallAlert,
  wallDevices,
  wallRoom,
} from './wall-api';
import type { WallData, WallSource } from './wall-data';

/** How many KPI tiles the wall shows (as wall-data.ts): the KPIs with a target first. */
const KPI_TILES = 4;
/** Days of KPI history shown up to T (the tiles' sparkline). */
const KPI_DAYS = 30;

/** One device's last values at or before T, as `GET /api/v1/telemetry/at` answers. */
export interface DeviceValuesAt {
  device: string;
  values: Record<string, number | boolean>;
}

/** `?at=` as an instant in the past, or undefined when absent or not a time. */
export function parseAt(text: string | null): Date | undefined {
  if (!text) return undefined;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** T's local day in Viet Nam (yyyy-MM-dd), the day KPI figures are kept by. */
export function localDayOf(at: Date): string {
  return new Date(at.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);
}

/** Sensor values of the room's devices at T (scoped by the server to the caller and room). */
export async function sensorValuesAt(
  at: Date,
  room: string,
  signal?: AbortSignal,
): Promise<DeviceValuesAt[]> {
  const path = `/api/v1/telemetry/at?at=${encodeURIComponent(at.toISOString())}&room=${encodeURIComponent(room)}`;
  const answer = await requestJson('GET', path, { signal });
  const devices = (answer as { devices?: unknown }).devices;
  if (!Array.isArray(devices)) throw new NetworkError(`GET ${path}: the answer has no devices`);
  return devices.filter(
    (d): d is DeviceValuesAt =>
      typeof d?.device === 'string' && typeof d.values === 'object' && d.values !== null,
  );
}

/** Alerts that were open at T; shown as active, as they were then. */
async function alertsOpenAt(at: Date, signal: AbortSignal): Promise<WallAlert[]> {
  const path = `/api/v1/alerts?openAt=${encodeURIComponent(at.toISOString())}&limit=1000`;
  const answer = await requestJson('GET', path, { signal });
  const rows = (answer as { alerts?: unknown }).alerts;
  if (!Array.isArray(rows)) throw new NetworkError(`GET ${path}: the answer has no alerts`);
  return rows.flatMap((row) => {
    const alert = alertOf(row);
    return alert ? [{ ...alert, state: 'active' }] : [];
  });
}

export class TimeTravelSource implements WallSource {
  #controller?: AbortController;

  constructor(
    private readonly room: string,
    private readonly at: Date,
    private readonly options: { choroplethKpi?: string } = {},
  ) {}

  start(update: (patch: Partial<WallData>) => void, unauthenticated: () => void): void {
    const controller = new AbortController();
    this.#controller = controller;
    this.#load(controller.signal).then(update, (error: unknown) => {
      if (controller.signal.aborted) return;
      if (error instanceof ApiError && error.status === 401) return unauthenticated();
      if (error instanceof ApiError && error.status === 404) {
        return update({ roomMissing: true, connection: 'live' });
      }
      update({ connection: 'reconnecting' });
    });
  }

  stop(): void {
    this.#controller?.abort();
  }

  async #load(signal: AbortSignal): Promise<Partial<WallData>> {
    const day = localDayOf(this.at);
    const from = localDayOf(new Date(this.at.getTime() - (KPI_DAYS - 1) * 86_400_000));
    const [roomInfo, boundaries, types, definitions, devices, alerts] = await Promise.all([
      wallRoom(this.room, signal),
      unitBoundaries(signal),
      deviceTypes(signal),
      kpiDefinitions(signal),
      wallDevices(signal).then(
        (list) => ({ devices: list, devicesDenied: false }),
        (error: unknown) => {
          if (error instanceof ApiError && error.status === 403) {
            return { devices: [], devicesDenied: true };
          }
          throw error;
        },
      ),
      alertsOpenAt(this.at, signal),
    ]);
    const tiles = [
      ...definitions.filter((d) => d.target !== null),
      ...definitions.filter((d) => d.target === null),
    ]
      .slice(0, KPI_TILES)
      .map((d) => d.code);
    const mapKpi = this.options.choroplethKpi ?? tiles[0];
    // The room's own units (admins viewing a district room see that district's figures).
    const units = roomInfo.scope.units.length
      ? `&units=${roomInfo.scope.units.map(encodeURIComponent).join(',')}`
      : '';
    const [series, choropleth] = await Promise.all([
      Promise.allSettled(
        tiles.map((kpi) => kpiSeries(kpi, signal, undefined, `${units}&from=${from}&to=${day}`)),
      ),
      mapKpi
        ? kpiBreakdown(mapKpi, signal, undefined, `${units}&from=${day}&to=${day}`).catch(
            () => undefined,
          )
        : undefined,
    ]);
    const kpis = series.flatMap((answer): KpiSeries[] =>
      answer.status === 'fulfilled' ? [answer.value] : [],
    );
    // What the room covers, as its live feed would have sent (REST answers the caller's scope).
    const scope = new RoomScope(roomInfo, boundaries);
    return {
      roomInfo,
      boundaries,
      types,
      devicesDenied: devices.devicesDenied,
      devices: devices.devices.filter((d) => scope.allows(d.unit, d.sector)),
      alerts: alerts.filter((a) => scope.allowsUnit(a.unit)),
      kpis,
      kpisLoaded: true,
      choropleth,
      connection: 'live',
      transport: 'poll',
      updatedAt: this.at,
    };
  }
}
