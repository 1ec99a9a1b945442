// Typed, checked calls to the REST routes the console uses. Answers are parsed at this edge
// (malformed rows are dropped), so the views can trust their shape.
import { NetworkError, requestJson } from '../api/client';

export type Bilingual = { vi: string; en: string };

export const SEVERITIES = ['critical', 'major', 'minor', 'warning', 'info'] as const;
export type AlertSeverity = (typeof SEVERITIES)[number];
export const ALERT_STATES = ['active', 'acknowledged', 'resolved', 'cleared'] as const;
export type AlertState = (typeof ALERT_STATES)[number];
/** The state filter the server accepts: the four states plus open/closed groups. */
export const ALERT_STATE_FILTERS = [
  'active',
  'acknowledged',
  'open',
  'resolved',
  'cleared',
  'closed',
] as const;
export type AlertStateFilter = (typeof ALERT_STATE_FILTERS)[number];

export interface Alert {
  id: string;
  ruleId: string;
  source: string;
  severity: AlertSeverity;
  state: AlertState;
  message: Bilingual;
  deviceId: string | null;
  unit: string | null;
  sector: string | null;
  metric: string | null;
  value: number | boolean | null;
  count: number;
  raisedAt: string;
  lastSeenAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  assignee: string | null;
  endedAt: string | null;
  endedBy: string | null;
  escalationLevel: number;
  parentId: string | null;
}

/** A storm's source starts with this (ingest/src/alerts/alert-row.ts). */
export function isStorm(alert: Pick<Alert, 'source'>): boolean {
  return alert.source.startsWith('storm:');
}

export interface AlertHistoryEntry {
  id: number;
  at: string;
  actor: string | null;
  change: string;
  state: string;
  comment: string | null;
}

export interface AlertDetail {
  alert: Alert;
  kind: 'alert' | 'storm';
  children: number;
  history: AlertHistoryEntry[];
}

export interface AlertFilter {
  state?: AlertStateFilter;
  severity?: AlertSeverity;
  sector?: string;
  unit?: string;
  /** A storm's id: its children; 'none': alerts in no storm (storm parents included). */
  parent?: string;
}

export interface AlertPage {
  alerts: Alert[];
  total: number;
}

export async function listAlerts(
  filter: AlertFilter,
  limit: number,
  signal?: AbortSignal,
): Promise<AlertPage> {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value) query.set(key, value);
  query.set('limit', String(limit));
  const path = `/api/v1/alerts?${query}`;
  const answer = await requestJson('GET', path, { signal });
  if (!isRecord(answer) || !Array.isArray(answer.alerts)) {
    throw new NetworkError(`GET ${path}: the answer has no alerts`);
  }
  return {
    alerts: answer.alerts.flatMap((row) => alertOf(row) ?? []),
    total: finite(answer.total) ?? answer.alerts.length,
  };
}

export async function getAlert(id: string, signal?: AbortSignal): Promise<AlertDetail> {
  const path = `/api/v1/alerts/${encodeURIComponent(id)}`;
  const answer = await requestJson('GET', path, { signal });
  const alert = isRecord(answer) ? alertOf(answer.alert) : undefined;
  if (!isRecord(answer) || !alert) throw new NetworkError(`GET ${path}: the answer has no alert`);
  const history = Array.isArray(answer.history) ? answer.history : [];
  return {
    alert,
    kind: answer.kind === 'storm' ? 'storm' : 'alert',
    children: finite(answer.children) ?? 0,
    history: history.flatMap((row): AlertHistoryEntry[] => {
      if (!isRecord(row) || typeof row.at !== 'string') return [];
      return [
        {
          id: finite(row.id) ?? 0,
          at: row.at,
          actor: text(row.actor) ?? null,
          change: text(row.change) ?? '',
          state: text(row.state) ?? '',
          comment: text(row.comment) ?? null,
        },
      ];
    }),
  };
}

export type AlertAction =
  | { kind: 'acknowledge'; note?: string }
  | { kind: 'resolve'; note?: string }
  | { kind: 'assign'; assignee: string | null }
  | { kind: 'comment'; text: string };

/** Runs a person's action on an alert; the server's refusals come back as ApiError. */
export async function actOnAlert(id: string, action: AlertAction): Promise<void> {
  const base = `/api/v1/alerts/${encodeURIComponent(id)}`;
  switch (action.kind) {
    case 'acknowledge':
    case 'resolve':
      await requestJson('POST', `${base}/${action.kind}`, {
        body: action.note ? { note: action.note } : {},
      });
      return;
    case 'assign':
      await requestJson('POST', `${base}/assign`, { body: { assignee: action.assignee } });
      return;
    case 'comment':
      await requestJson('POST', `${base}/comments`, { body: { text: action.text } });
      return;
  }
}

function alertOf(row: unknown): Alert | undefined {
  if (!isRecord(row) || typeof row.id !== 'string') return undefined;
  return {
    id: row.id,
    ruleId: text(row.ruleId) ?? '',
    source: text(row.source) ?? '',
    severity: SEVERITIES.find((s) => s === row.severity) ?? 'info',
    state: ALERT_STATES.find((s) => s === row.state) ?? 'active',
    message: bilingual(row.message, row.id),
    deviceId: text(row.deviceId) ?? null,
    unit: text(row.unit) ?? null,
    sector: text(row.sector) ?? null,
    metric: text(row.metric) ?? null,
    value: typeof row.value === 'number' || typeof row.value === 'boolean' ? row.value : null,
    count: finite(row.count) ?? 1,
    raisedAt: text(row.raisedAt) ?? '',
    lastSeenAt: text(row.lastSeenAt) ?? '',
    acknowledgedAt: text(row.acknowledgedAt) ?? null,
    acknowledgedBy: text(row.acknowledgedBy) ?? null,
    assignee: text(row.assignee) ?? null,
    endedAt: text(row.endedAt) ?? null,
    endedBy: text(row.endedBy) ?? null,
    escalationLevel: finite(row.escalationLevel) ?? 0,
    parentId: text(row.parentId) ?? null,
  };
}

// Devices ----------------------------------------------------------------------------------

export interface Device {
  id: string;
  name: string;
  type: string;
  unit: string;
  sector: string | null;
  lat: number | null;
  lon: number | null;
  enabled: boolean;
  lastSeenAt: string | null;
  revokedAt: string | null;
}

/** The registry state of a device (presence comes from alerts and the live feed). */
export type DeviceState = 'enabled' | 'disabled' | 'revoked';

export function deviceState(device: Device): DeviceState {
  if (device.revokedAt) return 'revoked';
  return device.enabled ? 'enabled' : 'disabled';
}

export interface DeviceMetric {
  key: string;
  name: Bilingual;
  unit: string;
  kind: string;
}

export interface DeviceType {
  id: string;
  name: Bilingual;
  metrics: DeviceMetric[];
}

export interface DeviceFilter {
  type?: string;
  unit?: string;
  includeRevoked?: boolean;
}

const DEVICE_PAGE = 1000; // the API's largest page

/** Every device the caller may see that matches the server-side filter, page by page. */
export async function listDevices(filter: DeviceFilter, signal?: AbortSignal): Promise<Device[]> {
  const devices: Device[] = [];
  for (let offset = 0; ; offset += DEVICE_PAGE) {
    const query = new URLSearchParams({ limit: String(DEVICE_PAGE), offset: String(offset) });
    if (filter.type) query.set('type', filter.type);
    if (filter.unit) query.set('unit', filter.unit);
    if (filter.includeRevoked) query.set('includeRevoked', 'true');
    const path = `/api/v1/devices?${query}`;
    const answer = await requestJson('GET', path, { signal });
    if (!isRecord(answer) || !Array.isArray(answer.devices)) {
      throw new NetworkError(`GET ${path}: the answer has no devices`);
    }
    for (const row of answer.devices) {
      const device = deviceOf(row);
      if (device) devices.push(device);
    }
    const total = finite(answer.total) ?? 0;
    if (answer.devices.length < DEVICE_PAGE || offset + DEVICE_PAGE >= total) return devices;
  }
}

export async function getDevice(id: string, signal?: AbortSignal): Promise<Device> {
  const path = `/api/v1/devices/${encodeURIComponent(id)}`;
  const answer = await requestJson('GET', path, { signal });
  const device = isRecord(answer) ? deviceOf(answer.device) : undefined;
  if (!device) throw new NetworkError(`GET ${path}: the answer has no device`);
  return device;
}

export async function deviceTypes(signal?: AbortSignal): Promise<DeviceType[]> {
  const answer = await requestJson('GET', '/api/v1/device-types', { signal });
  if (!isRecord(answer) || !Array.isArray(answer.types)) {
    throw new NetworkError('GET /api/v1/device-types: the answer has no types');
  }
  return answer.types.flatMap((row): DeviceType[] => {
    if (!isRecord(row) || typeof row.id !== 'string') return [];
    const metrics = Array.isArray(row.metrics) ? row.metrics : [];
    return [
      {
        id: row.id,
        name: bilingual(row.name, row.id),
        metrics: metrics.flatMap((m): DeviceMetric[] => {
          if (!isRecord(m) || typeof m.key !== 'string') return [];
          const unit = text(m.unitDisplay) ?? (m.unit === '1' ? '' : (text(m.unit) ?? ''));
          return [{ key: m.key, name: bilingual(m.name, m.key), unit, kind: text(m.kind) ?? '' }];
        }),
      },
    ];
  });
}

function deviceOf(row: unknown): Device | undefined {
  if (!isRecord(row) || typeof row.id !== 'string') return undefined;
  return {
    id: row.id,
    name: text(row.name) ?? row.id,
    type: text(row.type) ?? '',
    unit: text(row.unit) ?? '',
    sector: text(row.sector) ?? null,
    lat: finite(row.lat),
    lon: finite(row.lon),
    enabled: row.enabled !== false,
    lastSeenAt: text(row.lastSeenAt) ?? null,
    revokedAt: text(row.revokedAt) ?? null,
  };
}

// Telemetry --------------------------------------------------------------------------------

export interface TelemetryQuery {
  device: string;
  metric: string;
  from: Date;
  to: Date;
  every: string;
  aggregate?: 'mean' | 'min' | 'max' | 'last';
}

/** Seconds since the epoch and values (null: no reading in that bucket), as uPlot takes them. */
export interface TelemetrySeries {
  every: string;
  times: number[];
  values: Array<number | null>;
}

export async function telemetry(q: TelemetryQuery, signal?: AbortSignal): Promise<TelemetrySeries> {
  const query = new URLSearchParams({
    device: q.device,
    metric: q.metric,
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    every: q.every,
    aggregate: q.aggregate ?? 'mean',
  });
  const path = `/api/v1/telemetry?${query}`;
  const answer = await requestJson('GET', path, { signal, timeoutMs: 30_000 });
  if (!isRecord(answer) || !Array.isArray(answer.samples)) {
    throw new NetworkError(`GET ${path}: the answer has no samples`);
  }
  const times: number[] = [];
  const values: Array<number | null> = [];
  for (const sample of answer.samples) {
    if (!isRecord(sample) || typeof sample.ts !== 'string') continue;
    const ms = Date.parse(sample.ts);
    if (!Number.isFinite(ms)) continue;
    times.push(ms / 1000);
    const v = sample.value;
    values.push(typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : null);
  }
  return { every: q.every, times, values };
}

// Rules, rooms, audit ----------------------------------------------------------------------

export interface Rule {
  id: string;
  name: Bilingual;
  severity: AlertSeverity;
  enabled: boolean;
  kind: string;
  origin: 'api' | 'file';
}

export async function listRules(signal?: AbortSignal): Promise<Rule[]> {
  const answer = await requestJson('GET', '/api/v1/rules', { signal });
  if (!isRecord(answer) || !Array.isArray(answer.rules)) {
    throw new NetworkError('GET /api/v1/rules: the answer has no rules');
  }
  return answer.rules.flatMap((row) => ruleOf(row) ?? []);
}

export async function setRuleEnabled(id: string, enabled: boolean): Promise<Rule> {
  const path = `/api/v1/rules/${encodeURIComponent(id)}/${enabled ? 'enable' : 'disable'}`;
  const answer = await requestJson('POST', path);
  const rule = isRecord(answer) ? ruleOf(answer.rule) : undefined;
  if (!rule) throw new NetworkError(`POST ${path}: the answer has no rule`);
  return rule;
}

function ruleOf(row: unknown): Rule | undefined {
  if (!isRecord(row) || typeof row.id !== 'string') return undefined;
  return {
    id: row.id,
    name: bilingual(row.name, row.id),
    severity: SEVERITIES.find((s) => s === row.severity) ?? 'info',
    enabled: row.enabled === true,
    kind: isRecord(row.condition) ? (text(row.condition.kind) ?? '') : '',
    origin: row.origin === 'file' ? 'file' : 'api',
  };
}

export interface Room {
  id: string;
  name: Bilingual;
  units: string[];
  sectors: string[];
  scenes: number;
}

export async function listRooms(signal?: AbortSignal): Promise<Room[]> {
  const answer = await requestJson('GET', '/api/v1/rooms', { signal });
  if (!isRecord(answer) || !Array.isArray(answer.rooms)) {
    throw new NetworkError('GET /api/v1/rooms: the answer has no rooms');
  }
  return answer.rooms.flatMap((row): Room[] => {
    if (!isRecord(row) || typeof row.id !== 'string') return [];
    const scope = isRecord(row.scope) ? row.scope : {};
    return [
      {
        id: row.id,
        name: bilingual(row.name, row.id),
        units: strings(scope.units),
        sectors: strings(scope.sectors),
        scenes: Array.isArray(row.scenes) ? row.scenes.length : 0,
      },
    ];
  });
}

export interface AuditRecord {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  ip: string | null;
  outcome: string;
  details: string | null;
}

export async function auditLog(limit: number, signal?: AbortSignal): Promise<AuditRecord[]> {
  const path = `/api/v1/audit?limit=${limit}`;
  const answer = await requestJson('GET', path, { signal });
  if (!isRecord(answer) || !Array.isArray(answer.entries)) {
    throw new NetworkError(`GET ${path}: the answer has no entries`);
  }
  return answer.entries.flatMap((row): AuditRecord[] => {
    if (!isRecord(row) || typeof row.at !== 'string') return [];
    return [
      {
        id: finite(row.id) ?? 0,
        at: row.at,
        actor: text(row.actor) ?? '',
        action: text(row.action) ?? '',
        target: text(row.target) ?? null,
        ip: text(row.ip) ?? null,
        outcome: text(row.outcome) ?? 'ok',
        details: isRecord(row.details) ? JSON.stringify(row.details) : null,
      },
    ];
  });
}

// Checks -----------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.normalize('NFC') : undefined;
}

function finite(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function bilingual(value: unknown, fallback: string): Bilingual {
  if (typeof value === 'string') return { vi: value.normalize('NFC'), en: value.normalize('NFC') };
  if (!isRecord(value)) return { vi: fallback, en: fallback };
  const vi = text(value.vi) ?? fallback;
  return { vi, en: text(value.en) ?? vi };
}
