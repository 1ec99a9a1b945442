// Typed, checked reads of the REST endpoints the wall draws from. Each parser keeps only
// what the wall uses and drops malformed rows, so one bad record cannot blank the wall.
import type { MultiPolygon, Polygon } from 'geojson';
import { NetworkError, requestJson } from '../api/client';

export type Bilingual = { vi: string; en: string };

export interface WallDevice {
  id: string;
  name: string;
  type: string;
  unit: string;
  sector: string | null;
  lat: number | null;
  lon: number | null;
  lastSeenAt: string | null;
  enabled: boolean;
  /** Live presence from the socket feed (null: not seen since the server started); absent over REST. */
  presence?: 'online' | 'offline' | null;
}

/** An operating room as `GET /api/v1/rooms/{id}` and the live snapshot give it. */
export interface WallRoom {
  id: string;
  name: Bilingual;
  /** Unit codes (each with its subtree) and sectors; an empty list leaves that axis open. */
  scope: { units: string[]; sectors: string[] };
  scenes: WallScene[];
  kiosk: { rotation: boolean };
}

export interface WallScene {
  id: string;
  title: Bilingual;
  durationS: number;
  view: { unit?: string; layers: string[] };
}

export interface DeviceType {
  id: string;
  name: Bilingual;
  reportIntervalS: number;
}

export type AlertSeverity = 'critical' | 'major' | 'minor' | 'warning' | 'info';

export interface WallAlert {
  id: string;
  ruleId: string;
  severity: AlertSeverity;
  state: string;
  message: Bilingual;
  deviceId: string | null;
  unit: string | null;
  count: number;
  raisedAt: string;
  parentId: string | null;
}

export interface KpiPoint {
  date: string;
  value: number | null;
}

export interface KpiSeries {
  kpi: string;
  name: Bilingual;
  unitOfMeasure: Bilingual;
  direction: 'higher' | 'lower' | 'neutral';
  target: number | null;
  points: KpiPoint[];
  latest: KpiPoint | null;
  meetsTarget: boolean | null;
}

export interface KpiDefinition {
  code: string;
  name: Bilingual;
  target: number | null;
  direction: 'higher' | 'lower' | 'neutral';
}

export interface KpiBreakdown {
  kpi: string;
  name: Bilingual;
  unitOfMeasure: Bilingual;
  direction: 'higher' | 'lower' | 'neutral';
  target: number | null;
  total: number | null;
  children: Array<{ unit: string; value: number | null }>;
}

export interface UnitFeature {
  type: 'Feature';
  id?: string | number;
  properties: {
    code: string;
    name: string;
    nameEn?: string;
    level: number;
    parentCode: string | null;
  };
  geometry: Polygon | MultiPolygon;
}

export interface UnitCollection {
  type: 'FeatureCollection';
  features: UnitFeature[];
}

const DEVICE_PAGE = 1000; // the API's largest page

export async function wallDevices(signal?: AbortSignal): Promise<WallDevice[]> {
  const devices: WallDevice[] = [];
  for (let offset = 0; ; offset += DEVICE_PAGE) {
    const path = `/api/v1/devices?limit=${DEVICE_PAGE}&offset=${offset}`;
    const answer = await requestJson('GET', path, { signal });
    if (!isRecord(answer) || !Array.isArray(answer.devices)) {
      throw new NetworkError(`GET ${path}: the answer has no devices`);
    }
    for (const row of answer.devices) {
      const device = deviceOf(row);
      if (device) devices.push(device);
    }
    const total = typeof answer.total === 'number' ? answer.total : 0;
    if (answer.devices.length < DEVICE_PAGE || offset + DEVICE_PAGE >= total) return devices;
  }
}

function deviceOf(row: unknown): WallDevice | undefined {
  if (!isRecord(row) || typeof row.id !== 'string' || row.revokedAt) return undefined;
  return {
    id: row.id,
    name: text(row.name) ?? row.id,
    type: text(row.type) ?? 'unknown',
    unit: text(row.unit) ?? '',
    sector: text(row.sector) ?? null,
    lat: finite(row.lat),
    lon: finite(row.lon),
    lastSeenAt: text(row.lastSeenAt) ?? null,
    enabled: row.enabled !== false,
  };
}

export async function deviceTypes(signal?: AbortSignal): Promise<DeviceType[]> {
  const answer = await requestJson('GET', '/api/v1/device-types', { signal });
  if (!isRecord(answer) || !Array.isArray(answer.types)) {
    throw new NetworkError('GET /api/v1/device-types: the answer has no types');
  }
  return answer.types.flatMap((row): DeviceType[] => {
    if (!isRecord(row) || typeof row.id !== 'string') return [];
    return [
      {
        id: row.id,
        name: bilingual(row.name, row.id),
        reportIntervalS: finite(row.reportIntervalS) ?? 60,
      },
    ];
  });
}

const SEVERITIES: readonly AlertSeverity[] = ['critical', 'major', 'minor', 'warning', 'info'];

export async function openAlerts(signal?: AbortSignal): Promise<WallAlert[]> {
  const path = '/api/v1/alerts?state=open&limit=1000';
  const answer = await requestJson('GET', path, { signal });
  if (!isRecord(answer) || !Array.isArray(answer.alerts)) {
    throw new NetworkError(`GET ${path}: the answer has no alerts`);
  }
  return answer.alerts.flatMap((row) => {
    const alert = alertOf(row);
    return alert ? [alert] : [];
  });
}

/** One alert row (REST or socket.io `AlertSnapshot`), or undefined when malformed. */
export function alertOf(row: unknown): WallAlert | undefined {
  if (!isRecord(row) || typeof row.id !== 'string') return undefined;
  return {
    id: row.id,
    ruleId: text(row.ruleId) ?? '',
    severity: SEVERITIES.find((s) => s === row.severity) ?? 'info',
    state: text(row.state) ?? 'active',
    message: bilingual(row.message, row.id),
    deviceId: text(row.deviceId) ?? null,
    unit: text(row.unit) ?? null,
    count: finite(row.count) ?? 1,
    raisedAt: text(row.raisedAt) ?? '',
    parentId: text(row.parentId) ?? null,
  };
}

/** A device of a live `snapshot`, with its presence; undefined when malformed. */
export function snapshotDeviceOf(row: unknown): WallDevice | undefined {
  const device = deviceOf(row);
  if (!device || !isRecord(row)) return undefined;
  const presence = isRecord(row.presence) ? row.presence : null;
  const state =
    presence?.state === 'online' || presence?.state === 'offline' ? presence.state : null;
  return { ...device, presence: state, lastSeenAt: text(presence?.at) ?? null };
}

export async function wallRoom(id: string, signal?: AbortSignal): Promise<WallRoom> {
  const path = `/api/v1/rooms/${encodeURIComponent(id)}`;
  const answer = await requestJson('GET', path, { signal });
  const room = isRecord(answer) ? roomOf(answer.room) : undefined;
  if (!room) throw new NetworkError(`GET ${path}: the answer has no room`);
  return room;
}

export function roomOf(row: unknown): WallRoom | undefined {
  if (!isRecord(row) || typeof row.id !== 'string') return undefined;
  const scope = isRecord(row.scope) ? row.scope : {};
  const strings = (value: unknown) =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  const scenes = (Array.isArray(row.scenes) ? row.scenes : []).flatMap((s): WallScene[] => {
    if (!isRecord(s) || typeof s.id !== 'string') return [];
    const view = isRecord(s.view) ? s.view : {};
    return [
      {
        id: s.id,
        title: bilingual(s.title, s.id),
        durationS: Math.max(5, finite(s.durationS) ?? 60),
        view: { unit: text(view.unit), layers: strings(view.layers) },
      },
    ];
  });
  return {
    id: row.id,
    name: bilingual(row.name, row.id),
    scope: { units: strings(scope.units), sectors: strings(scope.sectors) },
    scenes,
    kiosk: { rotation: !isRecord(row.kiosk) || row.kiosk.rotation !== false },
  };
}

export async function kpiDefinitions(signal?: AbortSignal): Promise<KpiDefinition[]> {
  const answer = await requestJson('GET', '/api/v1/kpi/definitions', { signal });
  if (!isRecord(answer) || !Array.isArray(answer.kpis)) {
    throw new NetworkError('GET /api/v1/kpi/definitions: the answer has no kpis');
  }
  return answer.kpis.flatMap((row): KpiDefinition[] => {
    if (!isRecord(row) || typeof row.code !== 'string') return [];
    return [
      {
        code: row.code,
        name: bilingual(row.name, row.code),
        target: finite(row.target),
        direction: directionOf(row.direction),
      },
    ];
  });
}

/**
 * `unit`: the roll-up unit; the server's default (the root, or the caller's units) when absent.
 * `period`: extra query such as `&from=…&to=…` (time travel).
 */
export async function kpiSeries(
  kpi: string,
  signal?: AbortSignal,
  unit?: string,
  period = '',
): Promise<KpiSeries> {
  const path = `/api/v1/kpi?kpi=${encodeURIComponent(kpi)}&every=1d${unitParam(unit)}${period}`;
  const answer = await requestJson('GET', path, { signal });
  if (!isRecord(answer) || !Array.isArray(answer.points)) {
    throw new NetworkError(`GET ${path}: the answer has no points`);
  }
  return {
    kpi,
    name: bilingual(answer.name, kpi),
    unitOfMeasure: bilingual(answer.unitOfMeasure, ''),
    direction: directionOf(answer.direction),
    target: finite(answer.target),
    points: answer.points.flatMap(pointOf),
    latest: pointOf(answer.latest)[0] ?? null,
    meetsTarget: typeof answer.meetsTarget === 'boolean' ? answer.meetsTarget : null,
  };
}

export async function kpiBreakdown(
  kpi: string,
  signal?: AbortSignal,
  unit?: string,
  period = '',
): Promise<KpiBreakdown> {
  const path = `/api/v1/kpi/breakdown?kpi=${encodeURIComponent(kpi)}${unitParam(unit)}${period}`;
  const answer = await requestJson('GET', path, { signal });
  if (!isRecord(answer) || !Array.isArray(answer.children)) {
    throw new NetworkError(`GET ${path}: the answer has no children`);
  }
  return {
    kpi,
    name: bilingual(answer.name, kpi),
    unitOfMeasure: bilingual(answer.unitOfMeasure, ''),
    direction: directionOf(answer.direction),
    target: finite(answer.target),
    total: isRecord(answer.total) ? finite(answer.total.value) : null,
    children: answer.children.flatMap((row) =>
      isRecord(row) && typeof row.unit === 'string'
        ? [{ unit: row.unit, value: finite(row.value) }]
        : [],
    ),
  };
}

export async function unitBoundaries(signal?: AbortSignal): Promise<UnitCollection> {
  const path = '/api/v1/units?format=geojson';
  const answer = await requestJson('GET', path, { signal, timeoutMs: 30_000 });
  if (!isRecord(answer) || !Array.isArray(answer.features)) {
    throw new NetworkError(`GET ${path}: the answer is not a FeatureCollection`);
  }
  const features = answer.features.flatMap((row): UnitFeature[] => {
    if (!isRecord(row) || !isRecord(row.properties) || !isRecord(row.geometry)) return [];
    const { properties: p, geometry: g } = row;
    if (typeof p.code !== 'string' || (g.type !== 'Polygon' && g.type !== 'MultiPolygon')) {
      return [];
    }
    return [
      {
        type: 'Feature',
        id: p.code,
        properties: {
          code: p.code,
          name: (text(p.name) ?? p.code).normalize('NFC'),
          nameEn: text(p.nameEn),
          level: finite(p.level) ?? 0,
          parentCode: text(p.parentCode) ?? null,
        },
        geometry: { type: g.type, coordinates: g.coordinates } as Polygon | MultiPolygon,
      },
    ];
  });
  return { type: 'FeatureCollection', features };
}

function unitParam(unit: string | undefined): string {
  return unit ? `&unit=${encodeURIComponent(unit)}` : '';
}

function pointOf(row: unknown): KpiPoint[] {
  if (!isRecord(row) || typeof row.date !== 'string') return [];
  return [{ date: row.date, value: finite(row.value) }];
}

function directionOf(value: unknown): 'higher' | 'lower' | 'neutral' {
  return value === 'higher' || value === 'lower' ? value : 'neutral';
}

function bilingual(value: unknown, fallback: string): Bilingual {
  if (typeof value === 'string') return { vi: value.normalize('NFC'), en: value };
  if (!isRecord(value)) return { vi: fallback, en: fallback };
  const vi = text(value.vi) ?? fallback;
  return { vi: vi.normalize('NFC'), en: text(value.en) ?? vi };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function finite(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
