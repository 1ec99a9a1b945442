import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AdminUnitTree,
  ApiTokens,
  AuditLog,
  createLogger,
  HealthRegistry,
  InfluxStore,
  InfluxSupervisor,
  type KpiObservation,
  LiveBus,
  loadConfig,
  loadUnitTree,
  openSqlStore,
  SessionStore,
  type SqlStore,
  UserAccounts,
} from '@ioc/core';
import { DeviceRegistry, loadDeviceCatalogue } from '@ioc/devices';
import { KpiCatalogue, KpiService, localDateOf, localMidnight } from '@ioc/ingest';
import { RoomStore, type RunningWeb, start as startWeb } from '@ioc/ioc-web';
import { KpiClient, KpiDemoModel, KpiFeed } from '@ioc/simulators';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './free-port.js';

// The KPI API end to end: a real web server (Fastify, tokens and audit on PGlite), ingest's
// KPI service on a real influxd, and the demo KPI feed talking to it over HTTP.
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const bus = new LiveBus();
const observed: KpiObservation[][] = [];
bus.subscribe('kpi.observed', (event) => observed.push(event.observations));

let dataDir: string;
let influx: InfluxSupervisor;
let store: InfluxStore;
let sql: SqlStore;
let units: AdminUnitTree;
let web: RunningWeb;
let audit: AuditLog;
const token: Record<'service' | 'viewer' | 'admin', string> = {
  service: '',
  viewer: '',
  admin: '',
};
let viewerCookie: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ioc-kpi-e2e-'));
  influx = new InfluxSupervisor({
    dataDir: join(dataDir, 'influx'),
    host: '127.0.0.1',
    port: await freePort(),
    rpcPort: await freePort(),
    binary: 'influxd',
    logger,
  });
  await influx.start();
  store = await InfluxStore.connect({ url: influx.url, database: 'ioc_kpi_e2e', logger });
  const config = loadConfig({ env: {}, cwd: dataDir, overrides: { dataDir, web: { port: 0 } } });
  sql = await openSqlStore(config, logger);
  units = await loadUnitTree('da-nang-2025');
  const catalogue = await loadDeviceCatalogue();
  const tokens = new ApiTokens(sql);
  const accounts = new UserAccounts(sql);
  audit = new AuditLog(sql);
  const metrics = new Registry();
  const rooms = new RoomStore(sql);
  const kpi = new KpiService({
    influx: store,
    catalogue: await KpiCatalogue.load(),
    units,
    bus,
    logger,
    metrics,
  });
  web = await startWeb(config, {
    logger,
    health: new HealthRegistry(),
    metrics,
    bus,
    units,
    accounts,
    sessions: new SessionStore(sql, 1),
    tokens,
    audit,
    devices: new DeviceRegistry({ sql, catalogue, units, logger }),
    catalogue,
    kpi,
    rooms,
  });
  for (const role of ['service', 'viewer', 'admin'] as const) {
    token[role] = (await tokens.create({ name: `kpi-${role}`, role, createdBy: 'test' })).token;
  }
  const xem = await accounts.create({
    username: 'xem',
    password: 'viewer-password-123',
    role: 'viewer',
  });
  // A viewer sees what their rooms cover: here the province room (the migration's `tinh`).
  await rooms.setMember('tinh', xem.id, 'viewer');
  const login = await fetch(`${web.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'xem', password: 'viewer-password-123' }),
  });
  expect(login.status).toBe(200);
  viewerCookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
});

afterAll(async () => {
  await web?.stop();
  await sql?.close();
  await store?.close();
  await influx?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function call(
  method: 'GET' | 'POST',
  path: string,
  auth: { token?: string; cookie?: string },
  body?: unknown,
) {
  const headers: Record<string, string> = {};
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (auth.cookie) headers.cookie = auth.cookie;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${web.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function countPoints(where = 'true'): Promise<number> {
  const [series] = await store.query(`SELECT count("value") FROM kpi WHERE ${where}`);
  return (series?.values[0]?.[1] as number | undefined) ?? 0;
}

const HAI_CHAU = '20242';

describe('POST /api/v1/kpi permissions', () => {
  const row = { kpi: 'dossiers_received', unit: HAI_CHAU, date: '2025-05-05', value: 31 };

  it('refuses anonymous callers and viewers, by token or by session, storing nothing', async () => {
    expect((await call('POST', '/api/v1/kpi', {}, { observations: [row] })).status).toBe(401);
    const byToken = await call(
      'POST',
      '/api/v1/kpi',
      { token: token.viewer },
      { observations: [row] },
    );
    expect(byToken.status).toBe(403);
    expect(await byToken.json()).toMatchObject({ code: 'FORBIDDEN' });
    const bySession = await call(
      'POST',
      '/api/v1/kpi',
      { cookie: viewerCookie },
      { observations: [row] },
    );
    expect(bySession.status).toBe(403);
    expect(await countPoints()).toBe(0);
    expect(observed).toHaveLength(0);
  });

  it('stores what a service token (or an admin) sends, audited, and lets a viewer read it', async () => {
    const sent = await call(
      'POST',
      '/api/v1/kpi',
      { token: token.service },
      { observations: [row] },
    );
    expect(sent.status).toBe(200);
    expect(await sent.json()).toEqual({ accepted: 1, rejected: 0, errors: [] });
    const byAdmin = await call(
      'POST',
      '/api/v1/kpi',
      { token: token.admin },
      { observations: [{ ...row, kpi: 'dossiers_online', value: 12 }] },
    );
    expect(byAdmin.status).toBe(200);
    // Stored rows carry their sector; ratios derived from them (for rules) carry none.
    const stored = observed.flat().filter((o) => o.sector !== null);
    expect(stored.map((o) => [o.kpi, o.unit, o.date, o.value])).toEqual([
      ['dossiers_received', HAI_CHAU, '2025-05-05', 31],
      ['dossiers_online', HAI_CHAU, '2025-05-05', 12],
    ]);
    const derived = observed.flat().filter((o) => o.sector === null && o.unit === HAI_CHAU);
    expect(derived.at(-1)).toMatchObject({ kpi: 'online_filing_rate', date: '2025-05-05' });
    expect(derived.at(-1)?.value).toBeCloseTo((12 / 31) * 100, 6);

    const entries = (await audit.recent(10)).filter((e) => e.action === 'kpi.submit');
    expect(entries.map((e) => e.actor)).toEqual(['token:kpi-admin', 'token:kpi-service']);
    expect(entries[1]).toMatchObject({
      outcome: 'ok',
      target: 'kpi',
      details: { rows: 1, accepted: 1, rejected: 0, kpis: ['dossiers_received'] },
    });

    const read = await call(
      'GET',
      '/api/v1/kpi?kpi=online_filing_rate&unit=48&from=2025-05-05&to=2025-05-05',
      { cookie: viewerCookie },
    );
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({
      kpi: 'online_filing_rate',
      unit: '48',
      target: 50,
      points: [{ date: '2025-05-05', numerator: 12, denominator: 31 }],
      latest: { value: (12 / 31) * 100 },
      meetsTarget: false,
    });
    const definitions = await call('GET', '/api/v1/kpi/definitions', { token: token.viewer });
    const { kpis } = (await definitions.json()) as { kpis: Array<{ code: string }> };
    expect(kpis.map((k) => k.code)).toContain('on_time_rate');
  });
});

describe('POST /api/v1/kpi input', () => {
  it('answers 400 for a malformed body and 413 for an oversized batch', async () => {
    const post = (body: unknown) => call('POST', '/api/v1/kpi', { token: token.service }, body);
    for (const body of ['{"observations": [', [], { observations: 'x' }, { rows: [] }]) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const huge = Array.from({ length: 5001 }, (_, i) => ({
      kpi: 'dossiers_received',
      unit: HAI_CHAU,
      ts: Date.parse('2025-05-06T00:00:00Z') + i,
      value: 1,
    }));
    const res = await post({ observations: huge });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'KPI_BATCH_TOO_LARGE' });
    const [entry] = await audit.recent(1);
    expect(entry).toMatchObject({
      action: 'kpi.submit',
      outcome: 'failed',
      details: { rows: 5001, error: 'KPI_BATCH_TOO_LARGE' },
    });
    expect(await countPoints(`"unit" = '${HAI_CHAU}' AND time >= '2025-05-06T00:00:00Z'`)).toBe(0);
  });

  it('stores the good rows and reports each bad one with its index, code and message', async () => {
    const res = await call(
      'POST',
      '/api/v1/kpi',
      { token: token.service },
      {
        observations: [
          { kpi: 'dossiers_late', unit: HAI_CHAU, date: '2025-05-07', value: 2 },
          { kpi: 'dossiers_lat', unit: HAI_CHAU, date: '2025-05-07', value: 2 },
          { kpi: 'dossiers_late', unit: '99999', date: '2025-05-07', value: 2 },
          { kpi: 'dossiers_late', unit: HAI_CHAU, date: '2025-05-08', value: 'nhiều' },
          { kpi: 'dossiers_late', unit: HAI_CHAU, date: '2025-05-09', value: 4 },
        ],
      },
    );
    expect(res.status).toBe(200);
    const report = (await res.json()) as {
      accepted: number;
      errors: Array<{ index: number; code: string; message: string }>;
    };
    expect(report.accepted).toBe(2);
    expect(report.errors).toEqual([
      { index: 1, code: 'KPI_UNKNOWN', message: expect.stringContaining('"dossiers_lat"') },
      { index: 2, code: 'UNIT_UNKNOWN', message: expect.stringContaining('"99999"') },
      { index: 3, code: 'VALUE_INVALID', message: expect.stringContaining('finite number') },
    ]);
    expect(await countPoints(`"kpi" = 'dossiers_late'`)).toBe(2);
    const [entry] = await audit.recent(1);
    expect(entry?.details).toMatchObject({
      rows: 5,
      accepted: 2,
      rejected: 3,
      refusals: { KPI_UNKNOWN: 1, UNIT_UNKNOWN: 1, VALUE_INVALID: 1 },
    });
  });

  it('answers 404 and 400 on reads that name no KPI, no unit or a bad period', async () => {
    const get = async (query: string) =>
      (await call('GET', `/api/v1/kpi?${query}`, { token: token.viewer })).status;
    expect(await get('kpi=nope&unit=48')).toBe(404);
    expect(await get('kpi=on_time_rate&unit=nope')).toBe(404);
    expect(await get('kpi=on_time_rate&from=2025-02-30')).toBe(400);
    expect(await get('kpi=on_time_rate&every=1h')).toBe(400);
    expect(await get('unit=48')).toBe(400);
  });
});

describe('the demo KPI feed through the API', () => {
  const HISTORY_DAYS = 14;
  const today = localDateOf(Date.now());
  const first = localDateOf(Date.now() - HISTORY_DAYS * 86_400_000);
  const yesterday = localDateOf(Date.now() - 86_400_000);
  const feedFor = () =>
    new KpiFeed({
      model: new KpiDemoModel({ units, seed: 7 }),
      client: new KpiClient({ url: web.url, token: token.service }),
      logger,
      historyDays: HISTORY_DAYS,
      rootUnit: '48',
      liveIntervalMs: 60_000,
    });
  let storedAfterHistory = 0;
  const since = new Date(Date.now() - (HISTORY_DAYS + 2) * 86_400_000).toISOString();

  it('pushes the history, and plausible figures come back rolled up', async () => {
    const report = await feedFor().pushHistory();
    expect(report).toMatchObject({ pushed: HISTORY_DAYS, skipped: 0 });
    storedAfterHistory = await countPoints(`time >= '${since}'`);
    expect(storedAfterHistory).toBe(report.rows);

    const res = await call(
      'GET',
      `/api/v1/kpi?kpi=on_time_rate&unit=48&from=${first}&to=${yesterday}&every=1d`,
      { token: token.viewer },
    );
    const series = (await res.json()) as {
      points: Array<{ value: number | null; denominator: number }>;
    };
    expect(series.points).toHaveLength(HISTORY_DAYS);
    for (const point of series.points) {
      if (point.value === null) continue;
      expect(point.value).toBeGreaterThan(50);
      expect(point.value).toBeLessThanOrEqual(100);
    }
    const busiest = Math.max(...series.points.map((p) => p.denominator));
    expect(busiest).toBeGreaterThan(500); // a weekday across 94 communes

    const breakdown = await call(
      'GET',
      `/api/v1/kpi/breakdown?kpi=on_time_rate&unit=48&from=${first}&to=${yesterday}`,
      { token: token.viewer },
    );
    const { children } = (await breakdown.json()) as { children: Array<{ value: number | null }> };
    expect(children).toHaveLength(94);
    const rates = children.map((c) => c.value).filter((v): v is number => v !== null);
    expect(rates.length).toBeGreaterThan(80);
    for (const rate of rates) expect(rate).toBeGreaterThanOrEqual(0);
    for (const rate of rates) expect(rate).toBeLessThanOrEqual(100);
    expect(Math.max(...rates) - Math.min(...rates)).toBeGreaterThan(5);
  });

  it('skips the stored days after a restart, and a re-sent day overwrites itself', async () => {
    const restarted = feedFor();
    expect(await restarted.pushHistory()).toMatchObject({ pushed: 0, skipped: HISTORY_DAYS });
    await restarted.pushDay(localDateOf(Date.now() - 3 * 86_400_000), 1);
    await restarted.pushDay(first, 1);
    expect(await countPoints(`time >= '${since}'`)).toBe(storedAfterHistory);
  });

  it("then pushes each day's figures so far, and the whole day once it is over", async () => {
    // A clock that starts at noon yesterday and jumps to 10:00 today after the first tick.
    let clock = localMidnight(yesterday) + 12 * 3_600_000;
    const model = new KpiDemoModel({ units, seed: 7 });
    const feed = new KpiFeed({
      model,
      client: new KpiClient({ url: web.url, token: token.service }),
      logger,
      historyDays: 0,
      rootUnit: '48',
      liveIntervalMs: 20,
      now: () => clock,
    });
    const events: Array<{ date: string; fraction: number }> = [];
    const three = new Promise<void>((resolve) =>
      feed.on('pushed', (event) => {
        events.push(event);
        if (events.length === 1) clock = localMidnight(today) + 10 * 3_600_000;
        if (events.length === 3) resolve();
      }),
    );
    feed.start();
    try {
      await three;
      expect(feed.state).toBe('live');
    } finally {
      await feed.stop();
    }
    expect(events.slice(0, 3).map((e) => [e.date, e.fraction])).toEqual([
      [yesterday, (12 * 60 - 450) / 570], // 07:30 → 12:00 of a 07:30-17:00 day
      [yesterday, 1],
      [today, (10 * 60 - 450) / 570],
    ]);
    const received = async (date: string) => {
      const res = await call(
        'GET',
        `/api/v1/kpi?kpi=dossiers_received&unit=48&from=${date}&to=${date}`,
        { token: token.viewer },
      );
      return ((await res.json()) as { points: Array<{ value: number }> }).points[0]?.value;
    };
    const whole = (date: string, fraction: number) =>
      model
        .day(date, fraction)
        .filter((r) => r.kpi === 'dossiers_received')
        .reduce((sum, r) => sum + r.value, 0);
    expect(await received(yesterday)).toBe(whole(yesterday, 1));
    expect(await received(today)).toBe(whole(today, (10 * 60 - 450) / 570));
  });
});
