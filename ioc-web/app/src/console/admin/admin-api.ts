// Typed calls to the administrators' REST routes (users, device provisioning, rooms).
// Answers are checked at this edge, like console-api.ts; errors are the client's ApiError.
import { NetworkError, requestJson } from '../../api/client';
import type { Bilingual } from '../console-api';

export const ROLES = ['admin', 'ioc-operator', 'room-operator', 'viewer', 'service'] as const;
export type Role = (typeof ROLES)[number];

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * requestJson is typed for GET and POST only, but it passes the method through to fetch
 * unchanged and handles 204; the admin routes also need PUT, PATCH and DELETE.
 */
function call(method: Method, path: string, body?: unknown, signal?: AbortSignal) {
  return requestJson(method as 'POST', path, { body, signal });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

// Users ------------------------------------------------------------------------------------

export interface UserRow {
  username: string;
  displayName: string | null;
  role: Role;
  disabled: boolean;
  lockedUntil: string | null;
  external: boolean;
  rooms: Array<{ id: string; role: string }>;
}

function userOf(row: unknown): UserRow | undefined {
  if (!isRecord(row) || typeof row.username !== 'string') return undefined;
  const role = ROLES.find((r) => r === row.role);
  if (!role) return undefined;
  return {
    username: row.username,
    displayName: typeof row.displayName === 'string' ? row.displayName : null,
    role,
    disabled: row.disabled === true,
    lockedUntil: typeof row.lockedUntil === 'string' ? row.lockedUntil : null,
    external: row.external === true,
    rooms: Array.isArray(row.rooms)
      ? row.rooms.flatMap((m) =>
          isRecord(m) && typeof m.id === 'string' ? [{ id: m.id, role: String(m.role) }] : [],
        )
      : [],
  };
}

export async function listUsers(signal?: AbortSignal): Promise<UserRow[]> {
  const answer = await call('GET', '/api/v1/users', undefined, signal);
  if (!isRecord(answer) || !Array.isArray(answer.users)) {
    throw new NetworkError('GET /api/v1/users: the answer has no users');
  }
  return answer.users.flatMap((row) => userOf(row) ?? []);
}

export async function createUser(input: {
  username: string;
  password: string;
  role: Role;
  displayName?: string;
}): Promise<UserRow> {
  const answer = await call('POST', '/api/v1/users', input);
  const user = isRecord(answer) ? userOf(answer.user) : undefined;
  if (!user) throw new NetworkError('POST /api/v1/users: the answer has no user');
  return user;
}

export interface UserChange {
  role?: Role;
  enabled?: boolean;
  displayName?: string | null;
  resetPassword?: true;
  unlock?: true;
}

/** Applies the change; `password` is set when the server generated one (shown once). */
export async function changeUser(
  username: string,
  change: UserChange,
): Promise<{ user: UserRow; password?: string }> {
  const path = `/api/v1/users/${encodeURIComponent(username)}`;
  const answer = await call('PATCH', path, change);
  const user = isRecord(answer) ? userOf(answer.user) : undefined;
  if (!isRecord(answer) || !user) throw new NetworkError(`PATCH ${path}: the answer has no user`);
  return { user, password: typeof answer.password === 'string' ? answer.password : undefined };
}

// Devices ----------------------------------------------------------------------------------

export interface ProvisionInput {
  id: string;
  type: string;
  unit: string;
  name?: string;
  sector?: string;
}

export async function provisionDevice(
  input: ProvisionInput,
): Promise<{ id: string; secret: string }> {
  const answer = await call('POST', '/api/v1/devices', input);
  if (!isRecord(answer) || typeof answer.secret !== 'string' || !isRecord(answer.device)) {
    throw new NetworkError('POST /api/v1/devices: the answer has no secret');
  }
  return { id: String(answer.device.id), secret: answer.secret };
}

export async function rotateDeviceSecret(id: string): Promise<string> {
  const path = `/api/v1/devices/${encodeURIComponent(id)}/rotate`;
  const answer = await call('POST', path);
  if (!isRecord(answer) || typeof answer.secret !== 'string') {
    throw new NetworkError(`POST ${path}: the answer has no secret`);
  }
  return answer.secret;
}

export async function revokeDevice(id: string): Promise<void> {
  await call('POST', `/api/v1/devices/${encodeURIComponent(id)}/revoke`);
}

/** Disabling refuses the device's broker login (and drops its open connection) until enabled. */
export async function setDeviceEnabled(id: string, enabled: boolean): Promise<void> {
  await call('POST', `/api/v1/devices/${encodeURIComponent(id)}/${enabled ? 'enable' : 'disable'}`);
}

// Rooms ------------------------------------------------------------------------------------

export interface RoomDraft {
  id: string;
  name: Bilingual;
  units: string[];
  sectors: string[];
}

export interface RoomMemberRow {
  username: string;
  role: 'operator' | 'viewer';
}

/** A room as the editor needs it: scenes and kiosk settings are kept as the server has them. */
export interface EditableRoom extends RoomDraft {
  scenes: unknown[];
  kiosk: unknown;
}

export async function getRoom(id: string, signal?: AbortSignal): Promise<EditableRoom> {
  const path = `/api/v1/rooms/${encodeURIComponent(id)}`;
  const answer = await call('GET', path, undefined, signal);
  const room = isRecord(answer) && isRecord(answer.room) ? answer.room : undefined;
  if (!room || !isRecord(room.name) || !isRecord(room.scope)) {
    throw new NetworkError(`GET ${path}: the answer has no room`);
  }
  return {
    id,
    name: { vi: String(room.name.vi ?? ''), en: String(room.name.en ?? '') },
    units: strings(room.scope.units),
    sectors: strings(room.scope.sectors),
    scenes: Array.isArray(room.scenes) ? room.scenes : [],
    kiosk: room.kiosk ?? { rotation: true },
  };
}

export async function saveRoom(room: RoomDraft, existing?: EditableRoom): Promise<void> {
  const body = {
    name: room.name,
    scope: { units: room.units, sectors: room.sectors },
    ...(existing && { scenes: existing.scenes, kiosk: existing.kiosk }),
  };
  if (existing) await call('PUT', `/api/v1/rooms/${encodeURIComponent(room.id)}`, body);
  else await call('POST', '/api/v1/rooms', { id: room.id, ...body });
}

export async function roomMembers(id: string, signal?: AbortSignal): Promise<RoomMemberRow[]> {
  const path = `/api/v1/rooms/${encodeURIComponent(id)}/members`;
  const answer = await call('GET', path, undefined, signal);
  if (!isRecord(answer) || !Array.isArray(answer.members)) {
    throw new NetworkError(`GET ${path}: the answer has no members`);
  }
  return answer.members.flatMap((m): RoomMemberRow[] =>
    isRecord(m) && typeof m.username === 'string'
      ? [{ username: m.username, role: m.role === 'operator' ? 'operator' : 'viewer' }]
      : [],
  );
}

export async function setRoomMember(
  id: string,
  username: string,
  role: 'operator' | 'viewer',
): Promise<void> {
  const path = `/api/v1/rooms/${encodeURIComponent(id)}/members/${encodeURIComponent(username)}`;
  await call('PUT', path, { role });
}

export async function removeRoomMember(id: string, username: string): Promise<void> {
  const path = `/api/v1/rooms/${encodeURIComponent(id)}/members/${encodeURIComponent(username)}`;
  await call('DELETE', path);
}

// KPI definitions ----------------------------------------------------------------------------

/** A KPI as `GET /api/v1/kpi/definitions` describes it (file-defined, read-only). */
export interface KpiDefinitionRow {
  code: string;
  name: Bilingual;
  unitOfMeasure: Bilingual;
  direction: 'higher' | 'lower' | 'neutral';
  target: number | null;
  sector: string;
  category: string;
  rollup: 'sum' | 'mean' | 'ratio';
  numerator: string[];
  denominator: string[];
}

function bilingualOf(value: unknown, fallback: string): Bilingual {
  if (!isRecord(value)) return { vi: fallback, en: fallback };
  const vi = typeof value.vi === 'string' ? value.vi : fallback;
  return { vi, en: typeof value.en === 'string' ? value.en : vi };
}

function kpiDefinitionOf(row: unknown): KpiDefinitionRow | undefined {
  if (!isRecord(row) || typeof row.code !== 'string') return undefined;
  const direction =
    row.direction === 'higher' || row.direction === 'lower' ? row.direction : 'neutral';
  const rollup = row.rollup === 'mean' || row.rollup === 'ratio' ? row.rollup : 'sum';
  return {
    code: row.code,
    name: bilingualOf(row.name, row.code),
    unitOfMeasure: bilingualOf(row.unitOfMeasure, ''),
    direction,
    target: typeof row.target === 'number' && Number.isFinite(row.target) ? row.target : null,
    sector: typeof row.sector === 'string' ? row.sector : '',
    category: typeof row.category === 'string' ? row.category : '',
    rollup,
    numerator: strings(row.numerator),
    denominator: strings(row.denominator),
  };
}

export async function listKpiDefinitions(signal?: AbortSignal): Promise<KpiDefinitionRow[]> {
  const answer = await call('GET', '/api/v1/kpi/definitions', undefined, signal);
  if (!isRecord(answer) || !Array.isArray(answer.kpis)) {
    throw new NetworkError('GET /api/v1/kpi/definitions: the answer has no kpis');
  }
  return answer.kpis.flatMap((row) => {
    const kpi = kpiDefinitionOf(row);
    return kpi ? [kpi] : [];
  });
}
