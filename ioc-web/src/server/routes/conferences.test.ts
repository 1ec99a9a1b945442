import { randomUUID } from 'node:crypto';
import {
  type AlertSnapshot,
  ApiError,
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
import type { AlertDesk, AlertListFilter } from './alerts.js';
import type { ConferenceDesk, ConferenceView, JoinLinkView } from './conferences.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

// Đà Nẵng 2025 in three tiers: 48 → KV48 (old Đà Nẵng) / KV49 (old Quảng Nam) → communes.
const HAI_CHAU = '20242'; // KV48
const HAI_VAN = '20194'; // KV48
const HOI_AN = '20410'; // KV49
/** Every commune, ward and special zone of KV48, in data order (read off the dataset by hand). */
const KV48_COMMUNES = [
  '20194',
  '20197',
  '20200',
  '20209',
  '20242',
  '20257',
  '20260',
  '20263',
  '20275',
  '20285',
  '20305',
  '20308',
  '20314',
  '20320',
  '20332',
  '20333',
];

/**
 * Stands in for media's ConferenceStore behind the ConferenceDesk interface (the web package
 * does not depend on media; the store, its tokens and its checks are tested in
 * media/src/conferences). It keeps conferences in memory and answers with the same ApiErrors,
 * so these tests are about the HTTP side: roles, room scopes, bodies, alerts and the audit log.
 */
class MemoryConferenceDesk implements ConferenceDesk {
  readonly conferences = new Map<string, ConferenceView>();

  async list(filter: Parameters<ConferenceDesk['list']>[0]) {
    const all = [...this.conferences.values()].filter(
      (c) =>
        (!filter.statuses || filter.statuses.includes(c.status)) &&
        (!filter.invitingAny || c.invitedUnits.some((u) => filter.invitingAny?.includes(u))),
    );
    return { conferences: all.reverse(), total: all.length };
  }

  async get(id: string) {
    return this.conferences.get(id);
  }

  async create(input: Parameters<ConferenceDesk['create']>[0], actor: string) {
    const conference: ConferenceView = {
      id: randomUUID(),
      title: input.title,
      chairUnit: input.chairUnit,
      invitedUnits: input.invitedUnits,
      speakerUnits: input.speakerUnits ?? [],
      startsAt: new Date(input.startsAt).toISOString(),
      endsAt: new Date(input.endsAt).toISOString(),
      status: 'scheduled',
      alertId: input.alertId ?? null,
      createdBy: actor,
      createdAt: new Date().toISOString(),
    };
    this.conferences.set(conference.id, conference);
    return conference;
  }

  async cancel(id: string) {
    const conference = this.#require(id);
    if (conference.status === 'cancelled') {
      throw new ApiError(409, 'CONFERENCE_CANCELLED', `conference ${id} was cancelled`);
    }
    const cancelled = { ...conference, status: 'cancelled' as const };
    this.conferences.set(id, cancelled);
    return cancelled;
  }

  async end(id: string, actor: string) {
    const conference = this.#require(id);
    if (conference.status === 'cancelled') {
      throw new ApiError(409, 'CONFERENCE_CANCELLED', `conference ${id} was cancelled`);
    }
    if (conference.status === 'ended') {
      throw new ApiError(409, 'CONFERENCE_ENDED', `conference ${id} has ended`);
    }
    const ended = {
      ...conference,
      status: 'ended' as const,
      endedAt: new Date().toISOString(),
      endedBy: actor,
    };
    this.conferences.set(id, ended);
    return ended;
  }

  async links(id: string): Promise<JoinLinkView[]> {
    const conference = this.#require(id);
    if (conference.status === 'cancelled') {
      throw new ApiError(409, 'CONFERENCE_CANCELLED', `conference ${id} was cancelled`);
    }
    return [conference.chairUnit, ...conference.invitedUnits].map((unit) => ({
      unit,
      unitName: unit,
      role: unit === conference.chairUnit ? 'chair' : 'participant',
      token: `token-of-${unit}`,
      path: `/conference/${id}?t=token-of-${unit}`,
      expiresAt: conference.endsAt,
    }));
  }

  async attendance(id: string) {
    this.#require(id);
    return [];
  }

  #require(id: string): ConferenceView {
    const conference = this.conferences.get(id);
    if (!conference) throw new ApiError(404, 'CONFERENCE_NOT_FOUND', `no conference "${id}"`);
    return conference;
  }
}

/** Alerts in memory behind the AlertDesk reads the conference routes use. */
class MemoryAlerts implements Pick<AlertDesk, 'get' | 'list'> {
  readonly alerts = new Map<string, { alert: AlertSnapshot; kind: 'alert' | 'storm' }>();

  add(id: string, over: Partial<AlertSnapshot>, kind: 'alert' | 'storm' = 'alert') {
    this.alerts.set(id, {
      kind,
      alert: {
        id,
        ruleId: 'water-level',
        source: `wl-${id}`,
        severity: 'critical',
        state: 'active',
        message: { vi: 'Mực nước vượt báo động 3', en: 'Water level above alarm 3' },
        deviceId: null,
        unit: null,
        sector: 'environment',
        metric: 'level_cm',
        value: 420,
        count: 1,
        raisedAt: '2026-10-01T00:00:00.000Z',
        lastSeenAt: '2026-10-01T00:00:00.000Z',
        acknowledgedAt: null,
        acknowledgedBy: null,
        assignee: null,
        endedAt: null,
        endedBy: null,
        escalationLevel: 0,
        parentId: null,
        ...over,
      },
    });
  }

  async get(id: string) {
    const found = this.alerts.get(id);
    if (!found) return undefined;
    const children = [...this.alerts.values()].filter((a) => a.alert.parentId === id).length;
    return { ...found, children, history: [] };
  }

  async list(filter: AlertListFilter) {
    const alerts = [...this.alerts.values()]
      .map((a) => a.alert)
      .filter((a) => filter.parentId === undefined || a.parentId === filter.parentId);
    return { alerts, total: alerts.length, limit: filter.limit ?? 100, offset: 0 };
  }
}

const { backends, cleanup } = sqlTestBackends('web-conferences', inject('postgresUrl'));
const pglite = backends.find((b) => b.kind === 'pglite');
afterAll(cleanup);

let sql: SqlStore;
let audit: AuditLog;
let desk: MemoryConferenceDesk;
let alerts: MemoryAlerts;
let app: FastifyInstance;
let withoutMedia: FastifyInstance;
const tokens = {} as Record<Role, string>;
/** Session cookies of people in the KV48 room. */
const cookies = {} as Record<'operator' | 'viewer', string>;

beforeAll(async () => {
  if (!pglite) throw new Error('no PGlite backend');
  sql = await pglite.open();
  const [units, catalogue] = await Promise.all([
    loadUnitTree('da-nang-2025-regions'),
    loadDeviceCatalogue(),
  ]);
  const apiTokens = new ApiTokens(sql);
  for (const role of ['admin', 'ioc-operator', 'viewer'] as Role[]) {
    tokens[role] = (await apiTokens.create({ name: role, role, createdBy: 'test' })).token;
  }
  const accounts = new UserAccounts(sql);
  const sessions = new SessionStore(sql, 1);
  const rooms = new RoomStore(sql);
  await rooms.create({
    id: 'kv48',
    name: { vi: 'Khu vực Đà Nẵng cũ', en: 'Former Da Nang' },
    scope: { units: ['KV48'], sectors: [] },
    scenes: [],
    kiosk: { rotation: false },
  });
  for (const [who, role] of [
    ['operator', 'room-operator'],
    ['viewer', 'viewer'],
  ] as const) {
    const account = await accounts.create({
      username: `kv48-${who}`,
      password: 'conference-test-password-1',
      role,
    });
    await rooms.setMember('kv48', account.id, who === 'operator' ? 'operator' : 'viewer');
    cookies[who] = await sessions.create(account.id, {});
  }
  audit = new AuditLog(sql);
  desk = new MemoryConferenceDesk();
  alerts = new MemoryAlerts();
  const ctx: WebContext = {
    health: new HealthRegistry(),
    metrics: new Registry(),
    units,
    unitDataset: 'da-nang-2025-regions',
    accounts,
    sessions,
    tokens: apiTokens,
    audit,
    devices: new DeviceRegistry({ sql, catalogue, units }),
    catalogue,
    rooms,
    alerts: alerts as unknown as AlertDesk,
    conferences: desk,
    sessionTtlHours: 1,
  };
  const logger = createLogger('silent');
  app = await buildWebApp(ctx, { logger, version: 'test' });
  withoutMedia = await buildWebApp({ ...ctx, conferences: undefined }, { logger, version: 'test' });
});
afterAll(async () => {
  await app?.close();
  await withoutMedia?.close();
  await sql?.close();
});

type Caller = Role | 'kv48-operator' | 'kv48-viewer';

async function call(
  who: Caller,
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
  target = app,
) {
  const headers: Record<string, string> =
    who === 'kv48-operator' || who === 'kv48-viewer'
      ? { cookie: `ioc_session=${cookies[who === 'kv48-operator' ? 'operator' : 'viewer']}` }
      : { authorization: `Bearer ${tokens[who]}` };
  const response = await target.inject({
    method,
    url,
    headers,
    ...(body === undefined ? {} : { payload: body as object }),
  });
  return { status: response.statusCode, body: response.body ? response.json() : undefined };
}

/** Audit entries about `target`, oldest first, as "actor action outcome". */
async function auditOf(target: string): Promise<string[]> {
  return (await audit.recent(1000))
    .filter((entry) => entry.target === target)
    .reverse()
    .map((entry) => `${entry.actor} ${entry.action} ${entry.outcome}`);
}

const MEETING = {
  title: 'Giao ban phòng chống thiên tai',
  invitedUnits: [HAI_CHAU, HAI_VAN],
  speakerUnits: [HAI_VAN],
  startsAt: '2026-12-01T01:00:00Z',
  endsAt: '2026-12-01T03:00:00Z',
};

describe('conferences API', () => {
  it('lets an IOC operator schedule, read, hand out links and cancel, all audited', async () => {
    const created = await call('ioc-operator', 'POST', '/api/v1/conferences', MEETING);
    expect(created.status).toBe(201);
    const conference = created.body.conference as ConferenceView;
    expect(conference).toMatchObject({
      title: MEETING.title,
      chairUnit: '48',
      invitedUnits: [HAI_CHAU, HAI_VAN],
      speakerUnits: [HAI_VAN],
      startsAt: '2026-12-01T01:00:00.000Z',
      status: 'scheduled',
      createdBy: 'token:ioc-operator',
    });
    const url = `/api/v1/conferences/${conference.id}`;
    expect((await call('viewer', 'GET', url)).body.conference.id).toBe(conference.id);
    const links = await call('admin', 'GET', `${url}/links`);
    expect([links.status, links.body.links.map((l: JoinLinkView) => l.unit)]).toEqual([
      200,
      ['48', HAI_CHAU, HAI_VAN],
    ]);
    expect(await call('ioc-operator', 'GET', `${url}/attendance`)).toEqual({
      status: 200,
      body: { attendance: [] },
    });
    const cancelled = await call('ioc-operator', 'POST', `${url}/cancel`, { reason: 'Hoãn' });
    expect([cancelled.status, cancelled.body.conference.status]).toEqual([200, 'cancelled']);
    const again = await call('ioc-operator', 'POST', `${url}/cancel`);
    expect([again.status, again.body.code]).toEqual([409, 'CONFERENCE_CANCELLED']);
    expect((await call('admin', 'GET', `${url}/links`)).body.code).toBe('CONFERENCE_CANCELLED');

    expect(await auditOf(`conference:${conference.id}`)).toEqual([
      'token:ioc-operator conference.create ok',
      'token:admin conference.links ok',
      'token:ioc-operator conference.cancel ok',
      'token:ioc-operator conference.cancel failed',
      'token:admin conference.links failed',
    ]);
    const [entry] = (await audit.recent(1000)).filter(
      (e) =>
        e.target === `conference:${conference.id}` &&
        e.action === 'conference.cancel' &&
        e.outcome === 'ok',
    );
    expect(entry?.details).toEqual({ reason: 'Hoãn' });
  });

  it('lets an IOC operator end a conference early, once, audited; not a cancelled one', async () => {
    const { body } = await call('admin', 'POST', '/api/v1/conferences', MEETING);
    const url = `/api/v1/conferences/${body.conference.id}`;
    const ended = await call('ioc-operator', 'POST', `${url}/end`, { reason: 'Xong sớm' });
    expect([ended.status, ended.body.conference]).toEqual([
      200,
      expect.objectContaining({
        id: body.conference.id,
        status: 'ended',
        endedBy: 'token:ioc-operator',
        endedAt: expect.any(String),
      }),
    ]);
    const again = await call('admin', 'POST', `${url}/end`);
    expect([again.status, again.body.code]).toEqual([409, 'CONFERENCE_ENDED']);
    expect(await auditOf(`conference:${body.conference.id}`)).toEqual([
      'token:admin conference.create ok',
      'token:ioc-operator conference.end ok',
      'token:admin conference.end failed',
    ]);
    const [entry] = (await audit.recent(1000)).filter(
      (e) =>
        e.target === `conference:${body.conference.id}` &&
        e.action === 'conference.end' &&
        e.outcome === 'ok',
    );
    expect(entry?.details).toEqual({ reason: 'Xong sớm' });

    const other = (await call('admin', 'POST', '/api/v1/conferences', MEETING)).body.conference;
    await call('admin', 'POST', `/api/v1/conferences/${other.id}/cancel`);
    const cancelled = await call('admin', 'POST', `/api/v1/conferences/${other.id}/end`);
    expect([cancelled.status, cancelled.body.code]).toEqual([409, 'CONFERENCE_CANCELLED']);
    const unknown = await call('admin', 'POST', `/api/v1/conferences/${randomUUID()}/end`);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'CONFERENCE_NOT_FOUND']);
    const badBody = await call('admin', 'POST', `/api/v1/conferences/${other.id}/end`, {
      reason: '',
    });
    expect(badBody.status).toBe(400);
  });

  it('refuses viewers and room operators every change and the links, audited as denied', async () => {
    const { body } = await call('admin', 'POST', '/api/v1/conferences', MEETING);
    const url = `/api/v1/conferences/${body.conference.id}`;
    for (const who of ['viewer', 'kv48-operator', 'kv48-viewer'] as const) {
      const create = await call(who, 'POST', '/api/v1/conferences', MEETING);
      expect([create.status, create.body.code]).toEqual([403, 'FORBIDDEN']);
      expect((await call(who, 'POST', `${url}/cancel`)).status).toBe(403);
      expect((await call(who, 'POST', `${url}/end`)).status).toBe(403);
      expect((await call(who, 'GET', `${url}/links`)).status).toBe(403);
    }
    expect(desk.conferences.get(body.conference.id)?.status).toBe('scheduled');
    expect(await auditOf(`conference:${body.conference.id}`)).toEqual([
      'token:admin conference.create ok',
      'token:viewer conference.cancel denied',
      'token:viewer conference.end denied',
      'token:viewer conference.links denied',
      'user:kv48-operator conference.cancel denied',
      'user:kv48-operator conference.end denied',
      'user:kv48-operator conference.links denied',
      'user:kv48-viewer conference.cancel denied',
      'user:kv48-viewer conference.end denied',
      'user:kv48-viewer conference.links denied',
    ]);
    expect((await auditOf('conference:new')).slice(-3)).toEqual([
      'token:viewer conference.create denied',
      'user:kv48-operator conference.create denied',
      'user:kv48-viewer conference.create denied',
    ]);
  });

  it('shows room operators and viewers only conferences inviting a unit of their rooms', async () => {
    const inScope = (await call('admin', 'POST', '/api/v1/conferences', MEETING)).body.conference;
    const outOfScope = (
      await call('admin', 'POST', '/api/v1/conferences', {
        ...MEETING,
        title: 'Quảng Nam cũ',
        invitedUnits: [HOI_AN],
        speakerUnits: [],
      })
    ).body.conference;
    for (const who of ['kv48-operator', 'kv48-viewer'] as const) {
      const list = await call(who, 'GET', '/api/v1/conferences');
      const ids = list.body.conferences.map((c: ConferenceView) => c.id);
      expect(ids).toContain(inScope.id);
      expect(ids).not.toContain(outOfScope.id);
      expect((await call(who, 'GET', `/api/v1/conferences/${inScope.id}`)).status).toBe(200);
      expect((await call(who, 'GET', `/api/v1/conferences/${inScope.id}/attendance`)).status).toBe(
        200,
      );
      for (const path of ['', '/attendance']) {
        const hidden = await call(who, 'GET', `/api/v1/conferences/${outOfScope.id}${path}`);
        expect([hidden.status, hidden.body.code]).toEqual([404, 'CONFERENCE_NOT_FOUND']);
      }
    }
    const everything = await call('viewer', 'GET', '/api/v1/conferences?status=scheduled');
    expect(everything.body.conferences.map((c: ConferenceView) => c.id)).toEqual(
      expect.arrayContaining([inScope.id, outOfScope.id]),
    );
    const unknown = await call('admin', 'GET', `/api/v1/conferences/${randomUUID()}`);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'CONFERENCE_NOT_FOUND']);
    const unknownCancel = await call('admin', 'POST', `/api/v1/conferences/${randomUUID()}/cancel`);
    expect(unknownCancel.status).toBe(404);
    const badStatus = await call('viewer', 'GET', '/api/v1/conferences?status=live');
    expect([badStatus.status, badStatus.body.code]).toEqual([400, 'INVALID_REQUEST']);
  });

  it('refuses bad bodies with 400 naming the field, audited as failed when they pass the schema', async () => {
    const refused = async (body: unknown) => {
      const answer = await call('admin', 'POST', '/api/v1/conferences', body);
      expect(answer.status).toBe(400);
      return answer.body as { code: string; message: string; details?: { field: string } };
    };
    const before = desk.conferences.size;
    const { title: _title, ...untitled } = MEETING;
    expect((await refused(untitled)).message).toMatch(/title/);
    expect((await refused({ ...MEETING, title: '' })).message).toMatch(/title/);
    expect((await refused({ ...MEETING, title: 'x'.repeat(201) })).message).toMatch(/title/);
    expect((await refused({ ...MEETING, invitedUnits: [] })).message).toMatch(/invitedUnits/);
    const tooMany = Array.from({ length: 501 }, (_, i) => String(i));
    expect((await refused({ ...MEETING, invitedUnits: tooMany })).message).toMatch(/invitedUnits/);
    expect((await refused({ ...MEETING, startsAt: '01/12/2026 08:00' })).message).toMatch(
      /startsAt/,
    );
    expect(await refused({ ...MEETING, title: '   ' })).toMatchObject({
      code: 'CONFERENCE_INVALID',
      details: { field: 'title' },
    });
    expect(await refused({ ...MEETING, invitedUnits: [HAI_CHAU, '99999'] })).toMatchObject({
      code: 'CONFERENCE_INVALID',
      message: expect.stringContaining('"99999"'),
      details: { field: 'invitedUnits' },
    });
    expect(await refused({ ...MEETING, chairUnit: 'nowhere' })).toMatchObject({
      details: { field: 'chairUnit' },
    });
    expect(await refused({ ...MEETING, speakerUnits: [HOI_AN] })).toMatchObject({
      details: { field: 'speakerUnits' },
    });
    expect(await refused({ ...MEETING, endsAt: MEETING.startsAt })).toMatchObject({
      code: 'CONFERENCE_INVALID',
      details: { field: 'endsAt' },
    });
    expect(desk.conferences.size).toBe(before);
    expect((await auditOf('conference:new')).slice(-5)).toEqual(
      Array(5).fill('token:admin conference.create failed'),
    );
  });

  describe('convene the affected communes of an alert', () => {
    const convene = (alertId: string, who: Caller = 'ioc-operator', body?: unknown) =>
      call(who, 'POST', `/api/v1/alerts/${alertId}/conference`, body);

    it('invites the commune of a commune alert, chaired by the province, for two hours', async () => {
      alerts.add('101', { unit: HAI_CHAU });
      const before = Date.now();
      const { status, body } = await convene('101');
      expect(status).toBe(201);
      const conference = body.conference as ConferenceView;
      expect(conference).toMatchObject({
        title: 'Mực nước vượt báo động 3',
        chairUnit: '48',
        invitedUnits: [HAI_CHAU],
        speakerUnits: [],
        alertId: '101',
        status: 'scheduled',
      });
      const starts = Date.parse(conference.startsAt);
      expect(starts).toBeGreaterThanOrEqual(before - 1000);
      expect(starts).toBeLessThanOrEqual(Date.now());
      expect(Date.parse(conference.endsAt) - starts).toBe(2 * 3600_000);
      expect(body.links.map((l: JoinLinkView) => l.unit)).toEqual(['48', HAI_CHAU]);
      expect(await auditOf(`conference:${conference.id}`)).toEqual([
        'token:ioc-operator conference.create ok',
      ]);
      const [entry] = (await audit.recent(1000)).filter(
        (e) => e.target === `conference:${conference.id}`,
      );
      expect(entry?.details).toMatchObject({ alertId: '101', invitedUnits: 1 });
    });

    it('invites every commune under a region alert, with the title and length asked for', async () => {
      alerts.add('102', { unit: 'KV48', message: { vi: 'Mưa lớn khu vực', en: 'Heavy rain' } });
      const { status, body } = await convene('102', 'admin', {
        title: 'Họp khẩn mưa lớn',
        durationMinutes: 45,
      });
      expect(status).toBe(201);
      expect(body.conference.invitedUnits).toEqual(KV48_COMMUNES);
      expect(body.conference.title).toBe('Họp khẩn mưa lớn');
      expect(Date.parse(body.conference.endsAt) - Date.parse(body.conference.startsAt)).toBe(
        45 * 60_000,
      );
    });

    it("invites the units of a storm's grouped alerts, each once", async () => {
      alerts.add('200', { unit: 'KV48', source: 'storm:KV48' }, 'storm');
      alerts.add('201', { unit: HAI_VAN, parentId: '200' });
      alerts.add('202', { unit: HOI_AN, parentId: '200' });
      alerts.add('203', { unit: HAI_VAN, parentId: '200' });
      alerts.add('204', { unit: null, parentId: '200' });
      const { status, body } = await convene('200');
      expect(status).toBe(201);
      expect(body.conference.invitedUnits).toEqual([HAI_VAN, HOI_AN]);
      expect(body.conference.alertId).toBe('200');
    });

    it('refuses unknown alerts, alerts without a unit, viewers and bad bodies', async () => {
      const unknown = await convene('999999');
      expect([unknown.status, unknown.body.code]).toEqual([404, 'ALERT_NOT_FOUND']);
      alerts.add('300', { unit: null });
      const noUnit = await convene('300');
      expect([noUnit.status, noUnit.body.code]).toEqual([409, 'ALERT_HAS_NO_UNITS']);
      alerts.add('301', { unit: HAI_CHAU });
      expect((await convene('301', 'viewer')).status).toBe(403);
      expect((await convene('301', 'kv48-operator')).status).toBe(403);
      const short = await convene('301', 'admin', { durationMinutes: 5 });
      expect([short.status, short.body.message]).toEqual([
        400,
        expect.stringContaining('durationMinutes'),
      ]);
      expect(await auditOf('alert:999999')).toEqual([
        'token:ioc-operator conference.create failed',
      ]);
      expect(await auditOf('alert:301')).toEqual([
        'token:viewer conference.create denied',
        'user:kv48-operator conference.create denied',
      ]);
    });
  });

  it('documents the routes under the conferences tag', async () => {
    const docs = (await app.inject({ method: 'GET', url: '/api/docs/json' })).json();
    expect(docs.paths['/api/v1/conferences'].post.tags).toEqual(['conferences']);
    expect(Object.keys(docs.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/conferences/{id}/cancel',
        '/api/v1/conferences/{id}/end',
        '/api/v1/conferences/{id}/links',
        '/api/v1/conferences/{id}/attendance',
        '/api/v1/alerts/{id}/conference',
      ]),
    );
  });

  it('answers 503 when conference scheduling does not run in this process', async () => {
    const list = await call('viewer', 'GET', '/api/v1/conferences', undefined, withoutMedia);
    expect([list.status, list.body.code]).toEqual([503, 'CONFERENCES_UNAVAILABLE']);
  });
});
