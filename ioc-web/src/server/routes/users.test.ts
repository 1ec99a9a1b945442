import {
  ApiTokens,
  AuditLog,
  createLogger,
  HealthRegistry,
  loadUnitTree,
  type Role,
  SessionStore,
  type SqlStore,
  sqlTestBackends,
  UserAccounts,
} from '@ioc/core';
import { DeviceRegistry, loadDeviceCatalogue } from '@ioc/devices';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WebContext } from '../context.js';
import { RoomStore } from '../rooms/room-store.js';
import { buildWebApp } from '../web-app.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

const { backends, cleanup } = sqlTestBackends('web-users', inject('postgresUrl'));
const pglite = backends.find((b) => b.kind === 'pglite');
afterAll(cleanup);

let sql: SqlStore;
let audit: AuditLog;
let accounts: UserAccounts;
let app: FastifyInstance;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  if (!pglite) throw new Error('no PGlite backend');
  sql = await pglite.open();
  const [units, catalogue] = await Promise.all([
    loadUnitTree('da-nang-2025'),
    loadDeviceCatalogue(),
  ]);
  const apiTokens = new ApiTokens(sql);
  for (const role of ['admin', 'ioc-operator', 'viewer'] as Role[]) {
    tokens[role] = (await apiTokens.create({ name: role, role, createdBy: 'test' })).token;
  }
  audit = new AuditLog(sql);
  accounts = new UserAccounts(sql);
  await accounts.ensureAdmin('admin-password-123');
  const rooms = new RoomStore(sql);
  await rooms.create({
    id: 'hai-chau',
    name: { vi: 'Hải Châu', en: 'Hai Chau' },
    scope: { units: [], sectors: [] },
    scenes: [],
    kiosk: { rotation: false },
  });
  const ctx: WebContext = {
    health: new HealthRegistry(),
    metrics: new Registry(),
    units,
    unitDataset: 'da-nang-2025',
    accounts,
    sessions: new SessionStore(sql, 1),
    tokens: apiTokens,
    audit,
    devices: new DeviceRegistry({ sql, catalogue, units }),
    catalogue,
    rooms,
    sessionTtlHours: 1,
  };
  app = await buildWebApp(ctx, { logger: createLogger('silent'), version: 'test' });
  const admin = await accounts.findByUsername('admin');
  if (admin) await rooms.setMember('hai-chau', admin.id, 'viewer');
});
afterAll(async () => {
  await app?.close();
  await sql?.close();
});

async function call(role: Role, method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown) {
  const response = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${tokens[role]}` },
    ...(body === undefined ? {} : { payload: body as object }),
  });
  return { status: response.statusCode, body: response.body ? response.json() : undefined };
}

async function login(username: string, password: string): Promise<number> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username, password },
  });
  return response.statusCode;
}

/** Audit entries about `target`, oldest first, as "actor action outcome". */
async function auditOf(target: string): Promise<string[]> {
  return (await audit.recent(1000))
    .filter((entry) => entry.target === target)
    .reverse()
    .map((entry) => `${entry.actor} ${entry.action} ${entry.outcome}`);
}

describe('users API', () => {
  it('lists accounts with role, state, origin and rooms', async () => {
    const { status, body } = await call('admin', 'GET', '/api/v1/users');
    expect(status).toBe(200);
    expect(body.users).toEqual([
      expect.objectContaining({
        username: 'admin',
        role: 'admin',
        disabled: false,
        lockedUntil: null,
        external: false,
        rooms: [{ id: 'hai-chau', role: 'viewer' }],
      }),
    ]);
  });

  it('creates a local user who can then sign in; the create is audited', async () => {
    const created = await call('admin', 'POST', '/api/v1/users', {
      username: 'nguyen.van.a',
      password: 'mật-khẩu-dài-đủ',
      role: 'ioc-operator',
      displayName: 'Nguyễn Văn A',
    });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({
      username: 'nguyen.van.a',
      displayName: 'Nguyễn Văn A',
      role: 'ioc-operator',
      external: false,
      rooms: [],
    });
    expect(JSON.stringify(created.body)).not.toContain('mật-khẩu');
    expect(await login('nguyen.van.a', 'mật-khẩu-dài-đủ')).toBe(200);
    expect(await auditOf('user:nguyen.van.a')).toContain('token:admin user.create ok');
  });

  it('refuses bad input with a code', async () => {
    const weak = await call('admin', 'POST', '/api/v1/users', {
      username: 'short.pw',
      password: 'short',
      role: 'viewer',
    });
    expect(weak.status).toBe(400);
    expect(weak.body.message).toMatch(/password/);
    const role = await call('admin', 'POST', '/api/v1/users', {
      username: 'bad.role',
      password: 'long-enough-password',
      role: 'superuser',
    });
    expect(role.status).toBe(400);
    const name = await call('admin', 'POST', '/api/v1/users', {
      username: 'has space',
      password: 'long-enough-password',
      role: 'viewer',
    });
    expect([name.status, name.body.code]).toEqual([400, 'INVALID_USERNAME']);
    const taken = await call('admin', 'POST', '/api/v1/users', {
      username: 'nguyen.van.a',
      password: 'long-enough-password',
      role: 'viewer',
    });
    expect([taken.status, taken.body.code]).toEqual([409, 'USERNAME_TAKEN']);
    const empty = await call('admin', 'PATCH', '/api/v1/users/nguyen.van.a', {});
    expect(empty.status).toBe(400);
    const unknown = await call('admin', 'PATCH', '/api/v1/users/nobody', { enabled: false });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'USER_NOT_FOUND']);
  });

  it('changes role, display name and enabled state; a disabled user cannot sign in', async () => {
    const changed = await call('admin', 'PATCH', '/api/v1/users/nguyen.van.a', {
      role: 'viewer',
      displayName: 'Anh A',
      enabled: false,
    });
    expect(changed.status).toBe(200);
    expect(changed.body.user).toMatchObject({
      role: 'viewer',
      displayName: 'Anh A',
      disabled: true,
    });
    expect(await login('nguyen.van.a', 'mật-khẩu-dài-đủ')).toBe(401);
    await call('admin', 'PATCH', '/api/v1/users/nguyen.van.a', { enabled: true });
    expect(await login('nguyen.van.a', 'mật-khẩu-dài-đủ')).toBe(200);
  });

  it('resets a password (shown once), and unlocks a locked account', async () => {
    for (let i = 0; i < 5; i++) await login('nguyen.van.a', 'wrong-password-xx');
    const listed = (await call('admin', 'GET', '/api/v1/users')).body.users;
    const locked = listed.find((u: { username: string }) => u.username === 'nguyen.van.a');
    expect(locked.lockedUntil).not.toBeNull();
    expect(await login('nguyen.van.a', 'mật-khẩu-dài-đủ')).toBe(423);

    const unlocked = await call('admin', 'PATCH', '/api/v1/users/nguyen.van.a', { unlock: true });
    expect(unlocked.body.user.lockedUntil).toBeNull();
    expect(await login('nguyen.van.a', 'mật-khẩu-dài-đủ')).toBe(200);

    const reset = await call('admin', 'PATCH', '/api/v1/users/nguyen.van.a', {
      resetPassword: true,
    });
    expect(reset.status).toBe(200);
    expect(reset.body.password).toMatch(/^.{12,}$/);
    expect(await login('nguyen.van.a', 'mật-khẩu-dài-đủ')).toBe(401);
    expect(await login('nguyen.van.a', reset.body.password)).toBe(200);
    const entries = await audit.recent(1000);
    expect(JSON.stringify(entries)).not.toContain(reset.body.password);
    expect(entries.some((e) => e.details?.password === 'reset')).toBe(true);
  });

  it('refuses to disable or demote the last enabled admin (409 LAST_ADMIN)', async () => {
    const disable = await call('admin', 'PATCH', '/api/v1/users/admin', { enabled: false });
    expect([disable.status, disable.body.code]).toEqual([409, 'LAST_ADMIN']);
    expect(disable.body.message).toMatch(/last enabled administrator/);
    const demote = await call('admin', 'PATCH', '/api/v1/users/admin', { role: 'viewer' });
    expect(demote.status).toBe(409);
    expect(await auditOf('user:admin')).toContain('token:admin user.update failed');

    // With a second admin, the first can step down.
    await call('admin', 'PATCH', '/api/v1/users/nguyen.van.a', { role: 'admin' });
    const stepDown = await call('admin', 'PATCH', '/api/v1/users/admin', { role: 'viewer' });
    expect([stepDown.status, stepDown.body.user.role]).toEqual([200, 'viewer']);
    const last = await call('admin', 'PATCH', '/api/v1/users/nguyen.van.a', { enabled: false });
    expect(last.status).toBe(409);
  });

  it('refuses operators and viewers, and audits the attempt', async () => {
    expect((await call('ioc-operator', 'GET', '/api/v1/users')).status).toBe(403);
    expect((await call('viewer', 'GET', '/api/v1/users')).status).toBe(403);
    const create = await call('ioc-operator', 'POST', '/api/v1/users', {
      username: 'sneaky',
      password: 'long-enough-password',
      role: 'admin',
    });
    expect(create.status).toBe(403);
    expect(await auditOf('user:sneaky')).toEqual(['token:ioc-operator user.create denied']);
    const patch = await call('ioc-operator', 'PATCH', '/api/v1/users/nguyen.van.a', {
      role: 'admin',
    });
    expect(patch.status).toBe(403);
  });

  it('refuses a password for an SSO account', async () => {
    await accounts.upsertExternal({
      issuer: 'https://sso.example',
      subject: 's-1',
      username: 'sso.user',
      role: 'viewer',
    });
    const listed = (await call('admin', 'GET', '/api/v1/users')).body.users;
    expect(listed.find((u: { username: string }) => u.username === 'sso.user').external).toBe(true);
    const reset = await call('admin', 'PATCH', '/api/v1/users/sso.user', { resetPassword: true });
    expect([reset.status, reset.body.code]).toEqual([409, 'EXTERNAL_ACCOUNT']);
  });
});
