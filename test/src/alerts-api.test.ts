import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AlertSnapshot,
  ApiTokens,
  AuditLog,
  createLogger,
  LiveBus,
  type LiveEvents,
  loadConfig,
  loadUnitTree,
  type SqlStore,
  sqlTestBackends,
  UserAccounts,
} from '@ioc/core';
import { loadDeviceCatalogue } from '@ioc/devices';
import { type AlertRaise, AlertStore } from '@ioc/ingest';
import type * as web from '@ioc/ioc-web';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startWebInProcess } from './web-in-process.js';

// The alerts REST API (ioc-web routes) over the real alert store (ingest) on both SQL engines:
// filters, history, people's actions, roles, audit rows and live events.
const { backends, cleanup } = sqlTestBackends('alerts_api', inject('postgresUrl'));
const scratch = mkdtempSync(join(tmpdir(), 'ioc-alerts-api-'));
afterAll(() => {
  cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

const T0 = new Date('2026-03-01T00:00:00Z');
const PASSWORD = 'alerts-api-password-1';

function waterLevel(ruleId: string, source: string, over: Partial<AlertRaise> = {}): AlertRaise {
  return {
    ruleId,
    source,
    severity: 'major',
    message: { vi: 'Mực nước vượt báo động 2', en: 'Water level above alarm 2' },
    deviceId: source,
    unit: '20194', // Hải Vân
    sector: 'environment',
    metric: 'level_cm',
    value: 250,
    at: T0,
    ...over,
  };
}

describe.each(backends)('alerts API on $kind', (backend) => {
  let sql: SqlStore;
  let server: web.RunningWeb;
  let alerts: AlertStore;
  let audit: AuditLog;
  const events: LiveEvents['alert.changed'][] = [];
  const tokens: Record<string, string> = {};
  let operatorCookie: string;

  beforeAll(async () => {
    sql = await backend.open();
    const logger = createLogger('silent');
    const bus = new LiveBus();
    bus.subscribe('alert.changed', (event) => events.push(event));
    const units = await loadUnitTree('da-nang-2025');
    const catalogue = await loadDeviceCatalogue();
    const accounts = new UserAccounts(sql);
    const apiTokens = new ApiTokens(sql);
    audit = new AuditLog(sql);
    alerts = new AlertStore({
      sql,
      bus,
      units,
      logger,
      storm: { threshold: 10, windowSeconds: 300 },
    });
    for (const role of ['admin', 'ioc-operator', 'room-operator', 'viewer', 'service'] as const) {
      tokens[role] = (
        await apiTokens.create({ name: `test-${role}`, role, createdBy: 'test' })
      ).token;
    }
    await accounts.create({ username: 'an', password: PASSWORD, role: 'ioc-operator' });
    await accounts.create({ username: 'binh', password: PASSWORD, role: 'room-operator' });
    await accounts.create({ username: 'xem', password: PASSWORD, role: 'viewer' });

    const dataDir = join(scratch, backend.kind);
    const config = loadConfig({
      env: {},
      cwd: scratch,
      overrides: { dataDir, web: { host: '127.0.0.1', port: 0 } },
    });
    server = await startWebInProcess({
      sql,
      dataDir,
      config,
      logger,
      bus,
      units,
      accounts,
      tokens: apiTokens,
      audit,
      catalogue,
      alerts,
      appDir: join(scratch, 'no-app'),
    });
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'an', password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    operatorCookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
  });

  afterAll(async () => {
    await server?.stop();
    await sql?.close();
    await backend.drop();
  });

  let serial = 0;
  /** Raises an alert of a rule no other test uses and returns it. */
  async function raised(over: Partial<AlertRaise> = {}): Promise<AlertSnapshot> {
    const rule = `api-rule-${++serial}`;
    await alerts.raise(waterLevel(rule, 'wl-hai-van-01', over));
    return (await alerts.findOpen(rule, 'wl-hai-van-01')) as AlertSnapshot;
  }

  async function api(
    path: string,
    options: { as?: string; cookie?: string; body?: unknown; method?: string } = {},
  ) {
    const headers: Record<string, string> = {};
    if (options.cookie) headers.cookie = options.cookie;
    else headers.authorization = `Bearer ${tokens[options.as ?? 'viewer']}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${server.url}${path}`, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async function auditRows(target: string) {
    const { rows } = await sql.query<{
      actor: string;
      action: string;
      outcome: string;
      details: Record<string, unknown> | null;
    }>('SELECT actor, action, outcome, details FROM audit_log WHERE target = $1 ORDER BY id', [
      target,
    ]);
    return rows;
  }

  describe('reading', () => {
    it('lists and filters alerts for any signed-in role, newest first', async () => {
      const older = await raised({ severity: 'critical', at: new Date(T0.getTime() - 60_000) });
      const newer = await raised({ severity: 'minor', unit: '20242' }); // Hải Châu
      await alerts.acknowledge(older.id, 'an');

      for (const role of ['viewer', 'service', 'room-operator']) {
        const all = await api('/api/v1/alerts?limit=1000', { as: role });
        expect(all.status).toBe(200);
        const ids = all.body.alerts.map((a: AlertSnapshot) => a.id);
        expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id));
      }
      const ids = async (query: string) =>
        (await api(`/api/v1/alerts?${query}`)).body.alerts
          .map((a: AlertSnapshot) => a.id)
          .filter((id: string) => id === older.id || id === newer.id);
      expect(await ids('state=acknowledged')).toEqual([older.id]);
      expect(await ids('state=open')).toEqual([newer.id, older.id]);
      expect(await ids('state=active&state=resolved')).toEqual([newer.id]);
      expect(await ids('severity=critical&severity=major')).toEqual([older.id]);
      expect(await ids('unit=20242')).toEqual([newer.id]);
      expect(await ids('unit=48&sector=environment&parent=none')).toEqual([newer.id, older.id]);
      expect(await ids(`from=${T0.toISOString()}`)).toEqual([newer.id]);
      expect(await ids(`to=${T0.toISOString()}`)).toEqual([older.id]);
      expect(await ids(`rule=${older.ruleId}&device=wl-hai-van-01`)).toEqual([older.id]);

      const page = await api('/api/v1/alerts?limit=1&offset=1');
      expect(page.body).toMatchObject({ limit: 1, offset: 1 });
      expect(page.body.alerts).toHaveLength(1);
      expect(page.body.total).toBeGreaterThanOrEqual(2);
    });

    it('refuses bad filters with a code saying what is wrong', async () => {
      const bad: Array<[string, string]> = [
        ['state=gone', 'INVALID_REQUEST'],
        ['severity=urgent', 'INVALID_REQUEST'],
        ['from=yesterday', 'INVALID_REQUEST'],
        ['parent=abc', 'INVALID_REQUEST'],
        ['limit=0', 'INVALID_REQUEST'],
        ['unit=99999', 'UNKNOWN_UNIT'],
        ['sector=weather', 'UNKNOWN_SECTOR'],
        [`from=${T0.toISOString()}&to=2020-01-01T00:00:00Z`, 'INVALID_TIME_RANGE'],
      ];
      for (const [query, code] of bad) {
        const answer = await api(`/api/v1/alerts?${query}`);
        expect([query, answer.status, answer.body.code]).toEqual([query, 400, code]);
        expect(answer.body.message.length).toBeGreaterThan(10);
      }
    });

    it('answers one alert with its history; 404 for an unknown one; 401 without credentials', async () => {
      const alert = await raised();
      const one = await api(`/api/v1/alerts/${alert.id}`);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ alert: { id: alert.id }, kind: 'alert', children: 0 });
      expect(one.body.history).toEqual([
        expect.objectContaining({ change: 'raised', actor: null, at: T0.toISOString() }),
      ]);
      expect((await api('/api/v1/alerts/987654321')).body).toMatchObject({
        code: 'ALERT_NOT_FOUND',
      });
      expect((await api('/api/v1/alerts/987654321')).status).toBe(404);
      expect((await api('/api/v1/alerts/abc')).status).toBe(400);
      const anonymous = await fetch(`${server.url}/api/v1/alerts`);
      expect(anonymous.status).toBe(401);
    });
  });

  describe('acting', () => {
    it('lets an operator acknowledge, assign, comment and resolve; each is audited', async () => {
      const alert = await raised();
      const seen = events.length;
      const path = `/api/v1/alerts/${alert.id}`;

      // A signed-in person (session cookie) with no body at all.
      const ack = await api(`${path}/acknowledge`, { cookie: operatorCookie, method: 'POST' });
      expect(ack.status).toBe(200);
      expect(ack.body.alert).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'an' });

      const assign = await api(`${path}/assign`, {
        as: 'room-operator',
        body: { assignee: 'binh' },
      });
      expect(assign.status).toBe(200);
      expect(assign.body.alert).toMatchObject({ assignee: 'binh' });

      const comment = await api(`${path}/comments`, {
        as: 'room-operator',
        body: { text: 'Đã cử đội ứng cứu' },
      });
      expect(comment.status).toBe(201);
      expect(comment.body.entry).toMatchObject({
        change: 'commented',
        actor: 'token:test-room-operator',
        comment: 'Đã cử đội ứng cứu',
      });

      const resolve = await api(`${path}/resolve`, { as: 'admin', body: { note: 'Nước đã rút' } });
      expect(resolve.status).toBe(200);
      expect(resolve.body.alert).toMatchObject({
        state: 'resolved',
        endedBy: 'token:test-admin',
      });

      const history = (await api(path)).body.history;
      expect(
        history.map((h: { change: string; actor: string | null }) => [h.change, h.actor]),
      ).toEqual([
        ['raised', null],
        ['acknowledged', 'an'],
        ['assigned', 'token:test-room-operator'],
        ['commented', 'token:test-room-operator'],
        ['resolved', 'token:test-admin'],
      ]);
      expect(await auditRows(`alert:${alert.id}`)).toEqual([
        { actor: 'user:an', action: 'alert.acknowledge', outcome: 'ok', details: {} },
        {
          actor: 'token:test-room-operator',
          action: 'alert.assign',
          outcome: 'ok',
          details: { assignee: 'binh' },
        },
        { actor: 'token:test-room-operator', action: 'alert.comment', outcome: 'ok', details: {} },
        {
          actor: 'token:test-admin',
          action: 'alert.resolve',
          outcome: 'ok',
          details: { note: 'Nước đã rút' },
        },
      ]);
      expect(events.slice(seen).map((e) => [e.change, e.actor, e.alert.id])).toEqual([
        ['acknowledged', 'an', alert.id],
        ['assigned', 'token:test-room-operator', alert.id],
        ['commented', 'token:test-room-operator', alert.id],
        ['resolved', 'token:test-admin', alert.id],
      ]);
    });

    it('forbids viewers and service tokens to act (403), changing nothing', async () => {
      const alert = await raised();
      const path = `/api/v1/alerts/${alert.id}`;
      for (const role of ['viewer', 'service']) {
        for (const [action, body] of [
          ['acknowledge', {}],
          ['assign', { assignee: 'an' }],
          ['comments', { text: 'x' }],
          ['resolve', {}],
        ] as const) {
          const answer = await api(`${path}/${action}`, { as: role, body });
          expect([role, action, answer.status, answer.body.code]).toEqual([
            role,
            action,
            403,
            'FORBIDDEN',
          ]);
        }
      }
      const after = (await api(path)).body;
      expect(after.alert).toMatchObject({ state: 'active', assignee: null });
      expect(after.history).toHaveLength(1);
    });

    it('refuses invalid transitions with 409 and audits the failed attempt', async () => {
      const alert = await raised();
      const path = `/api/v1/alerts/${alert.id}`;
      expect((await api(`${path}/acknowledge`, { as: 'ioc-operator', body: {} })).status).toBe(200);
      const again = await api(`${path}/acknowledge`, { as: 'ioc-operator', body: {} });
      expect(again).toMatchObject({ status: 409, body: { code: 'ALERT_ALREADY_ACKNOWLEDGED' } });
      expect((await api(`${path}/resolve`, { as: 'ioc-operator', body: {} })).status).toBe(200);
      for (const action of ['acknowledge', 'resolve']) {
        const closed = await api(`${path}/${action}`, { as: 'ioc-operator', body: {} });
        expect(closed.status).toBe(409);
        expect(closed.body.code).toBe('ALERT_CLOSED');
        expect(closed.body.message).toMatch(/resolved by token:test-ioc-operator/);
      }
      const assign = await api(`${path}/assign`, { as: 'ioc-operator', body: { assignee: 'an' } });
      expect(assign).toMatchObject({ status: 409, body: { code: 'ALERT_CLOSED' } });

      const rows = await auditRows(`alert:${alert.id}`);
      expect(rows.map((r) => [r.action, r.outcome, r.details?.code])).toEqual([
        ['alert.acknowledge', 'ok', undefined],
        ['alert.acknowledge', 'failed', 'ALERT_ALREADY_ACKNOWLEDGED'],
        ['alert.resolve', 'ok', undefined],
        ['alert.acknowledge', 'failed', 'ALERT_CLOSED'],
        ['alert.resolve', 'failed', 'ALERT_CLOSED'],
        ['alert.assign', 'failed', 'ALERT_CLOSED'],
      ]);
    });

    it('answers 404 for an unknown alert and 400 for bad bodies or assignees', async () => {
      const unknown = await api('/api/v1/alerts/987654321/acknowledge', {
        as: 'ioc-operator',
        body: {},
      });
      expect(unknown).toMatchObject({ status: 404, body: { code: 'ALERT_NOT_FOUND' } });
      expect((await auditRows('alert:987654321')).map((r) => r.outcome)).toEqual(['failed']);

      const alert = await raised();
      const path = `/api/v1/alerts/${alert.id}`;
      const as = 'ioc-operator';
      const bad: Array<[string, unknown, string]> = [
        ['comments', {}, 'INVALID_REQUEST'],
        ['comments', { text: '' }, 'INVALID_REQUEST'],
        ['comments', { text: '   ' }, 'INVALID_COMMENT'],
        ['comments', { text: 'x'.repeat(2001) }, 'INVALID_REQUEST'],
        ['acknowledge', { note: '' }, 'INVALID_REQUEST'],
        ['resolve', { note: 'x'.repeat(2001) }, 'INVALID_REQUEST'],
        ['assign', {}, 'INVALID_REQUEST'],
        ['assign', { assignee: 'nobody' }, 'ASSIGNEE_UNKNOWN'],
        ['assign', { assignee: 'xem' }, 'ASSIGNEE_CANNOT_ACT'],
      ];
      for (const [action, body, code] of bad) {
        const answer = await api(`${path}/${action}`, { as, body });
        expect([action, answer.status, answer.body.code]).toEqual([action, 400, code]);
      }
      expect((await api(path)).body.alert).toMatchObject({ state: 'active', assignee: null });
      // Assigning to nobody (null) is allowed and takes the alert back.
      await api(`${path}/assign`, { as, body: { assignee: 'an' } });
      const back = await api(`${path}/assign`, { as, body: { assignee: null } });
      expect(back).toMatchObject({ status: 200, body: { alert: { assignee: null } } });
    });

    it('documents the routes in OpenAPI', async () => {
      const spec = (await fetch(`${server.url}/api/docs/json`).then((r) => r.json())) as {
        paths: Record<string, unknown>;
      };
      expect(Object.keys(spec.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/alerts',
          '/api/v1/alerts/{id}',
          '/api/v1/alerts/{id}/acknowledge',
          '/api/v1/alerts/{id}/assign',
          '/api/v1/alerts/{id}/comments',
          '/api/v1/alerts/{id}/resolve',
        ]),
      );
    });
  });
});
