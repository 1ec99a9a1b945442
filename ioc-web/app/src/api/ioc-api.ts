// Typed calls to the IOC server's REST API. Answers are checked at this edge, so the rest
// of the app can trust their shape.
import { NetworkError, requestJson } from './client';

export interface User {
  username: string;
  role: string;
  displayName: string;
}

export type ComponentStatus = 'up' | 'down';

export interface ComponentHealth {
  status: ComponentStatus;
  reason?: string;
}

export interface HealthReport {
  status: ComponentStatus;
  components: Record<string, ComponentHealth>;
}

export interface AdminUnit {
  code: string;
  name: string;
  nameEn?: string;
  /** With the type word, e.g. "Phường Hải Vân" for name "Hải Vân", when the server sends it. */
  fullName?: string;
  fullNameEn?: string;
  type: string;
  parentCode: string | null;
  level: number;
}

export interface UnitList {
  dataset: string;
  units: AdminUnit[];
}

export async function login(username: string, password: string): Promise<User> {
  const answer = await requestJson('POST', '/api/v1/auth/login', { body: { username, password } });
  return userOf(answer, 'POST /api/v1/auth/login');
}

export async function logout(): Promise<void> {
  await requestJson('POST', '/api/v1/auth/logout');
}

export async function currentUser(signal?: AbortSignal): Promise<User> {
  const answer = await requestJson('GET', '/api/v1/auth/me', { signal });
  return userOf(answer, 'GET /api/v1/auth/me');
}

export async function health(signal?: AbortSignal): Promise<HealthReport> {
  // 503 carries the same report when a component is down.
  const answer = await requestJson('GET', '/healthz', {
    signal,
    timeoutMs: 4_000,
    acceptStatuses: [503],
  });
  if (!isRecord(answer) || !isRecord(answer.components)) {
    throw new NetworkError('GET /healthz: the answer has no components');
  }
  const components: Record<string, ComponentHealth> = {};
  for (const [name, value] of Object.entries(answer.components)) {
    if (!isRecord(value)) continue;
    components[name] = {
      status: value.status === 'up' ? 'up' : 'down',
      reason: typeof value.reason === 'string' ? value.reason.normalize('NFC') : undefined,
    };
  }
  return { status: answer.status === 'up' ? 'up' : 'down', components };
}

export async function units(signal?: AbortSignal): Promise<UnitList> {
  const answer = await requestJson('GET', '/api/v1/units', { signal });
  if (!isRecord(answer) || !Array.isArray(answer.units)) {
    throw new NetworkError('GET /api/v1/units: the answer has no units');
  }
  const list: AdminUnit[] = [];
  for (const unit of answer.units) {
    if (!isRecord(unit) || typeof unit.code !== 'string' || typeof unit.name !== 'string') continue;
    list.push({
      code: unit.code,
      name: unit.name.normalize('NFC'),
      nameEn: optionalText(unit.nameEn),
      fullName: optionalText(unit.fullName),
      fullNameEn: optionalText(unit.fullNameEn),
      type: typeof unit.type === 'string' ? unit.type : 'unknown',
      parentCode: typeof unit.parentCode === 'string' ? unit.parentCode : null,
      level: typeof unit.level === 'number' ? unit.level : 0,
    });
  }
  return { dataset: typeof answer.dataset === 'string' ? answer.dataset : '', units: list };
}

function userOf(answer: unknown, what: string): User {
  const user = isRecord(answer) ? answer.user : undefined;
  if (!isRecord(user) || typeof user.username !== 'string') {
    throw new NetworkError(`${what}: the answer has no user`);
  }
  return {
    username: user.username,
    role: typeof user.role === 'string' ? user.role : '',
    displayName:
      typeof user.displayName === 'string' && user.displayName !== ''
        ? user.displayName.normalize('NFC')
        : user.username,
  };
}

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.normalize('NFC') : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
