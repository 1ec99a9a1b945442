import {
  type ApiError,
  loadUnitTree,
  type Principal,
  type SqlStore,
  sqlTestBackends,
} from '@ioc/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JoinRequest } from './conference.js';
import { ConferenceStore } from './conference-store.js';
import type { RoomScopeLike } from './seating.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

// Đà Nẵng 2025 in three tiers: 48 → KV48 (old Đà Nẵng) / KV49 (old Quảng Nam) → communes.
const units = await loadUnitTree('da-nang-2025-regions');
const PROVINCE = '48';
const HAI_CHAU = '20242'; // in KV48
const HAI_VAN = '20194'; // in KV48
const HOI_AN = '20410'; // in KV49

const START = new Date('2026-06-01T02:00:00Z'); // 09:00 in Viet Nam
const END = new Date('2026-06-01T04:00:00Z');
const minutes = (n: number) => n * 60_000;

const { backends, cleanup } = sqlTestBackends('conferences', inject('postgresUrl'));
afterAll(cleanup);

function user(role: Principal['role'], id = `u-${role}`, kind: Principal['kind'] = 'user') {
  return { kind, id, name: `${role}-person`, role } satisfies Principal;
}

/** The ApiError code an admission attempt fails with, or 'admitted'. */
async function outcome(store: ConferenceStore, request: JoinRequest): Promise<string> {
  try {
    await store.admit(request);
    return 'admitted';
  } catch (err) {
    return (err as ApiError).code;
  }
}

describe.each(backends)('ConferenceStore on $kind', (backend) => {
  let sql: SqlStore;
  let now = new Date(START);
  const scopes = new Map<string, RoomScopeLike[]>([
    ['u-kv48-operator', [{ units: ['KV48'] }]],
    ['u-kv49-operator', [{ units: ['KV49'] }]],
    ['u-kv48-viewer', [{ units: ['KV48'] }]],
    ['u-department', [{ units: [] }]],
  ]);
  let store: ConferenceStore;
  const schedule = (over: Record<string, unknown> = {}) =>
    store.create(
      {
        title: '  Giao ban trực tuyến tháng 6 ',
        chairUnit: PROVINCE,
        invitedUnits: [HAI_CHAU, HAI_VAN],
        speakerUnits: [HAI_VAN],
        startsAt: START.toISOString(),
        endsAt: END,
        ...over,
      },
      'user:an',
    );

  beforeAll(async () => {
    sql = await backend.open();
    store = new ConferenceStore({
      sql,
      units,
      roomScopesOf: async (id) => scopes.get(id) ?? [],
      now: () => now,
    });
  });
  afterAll(async () => {
    await sql?.close();
    await backend.drop();
  });

  it('stores a conference and reads it back, past its end as ended', async () => {
    now = new Date(START.getTime() - minutes(60));
    const created = await schedule();
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      title: 'Giao ban trực tuyến tháng 6',
      chairUnit: PROVINCE,
      invitedUnits: [HAI_CHAU, HAI_VAN],
      speakerUnits: [HAI_VAN],
      startsAt: START.toISOString(),
      endsAt: END.toISOString(),
      status: 'scheduled',
      alertId: null,
      createdBy: 'user:an',
      createdAt: expect.any(String),
      endedAt: null,
      endedBy: null,
    });
    expect(await store.get(created.id)).toEqual(created);
    now = new Date(END.getTime() + 1);
    expect((await store.get(created.id))?.status).toBe('ended');
    expect(await store.get('not-a-uuid')).toBeUndefined();
    expect(await store.get('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('refuses bad input naming the field', async () => {
    const refusal = async (over: Record<string, unknown>) => {
      try {
        await schedule(over);
        return 'stored';
      } catch (err) {
        const e = err as ApiError;
        return `${e.statusCode} ${e.code} ${(e.details as { field: string }).field}`;
      }
    };
    expect(await refusal({ title: '   ' })).toBe('400 CONFERENCE_INVALID title');
    expect(await refusal({ title: 'x'.repeat(201) })).toBe('400 CONFERENCE_INVALID title');
    expect(await refusal({ chairUnit: 'nowhere' })).toBe('400 CONFERENCE_INVALID chairUnit');
    expect(await refusal({ invitedUnits: [] })).toBe('400 CONFERENCE_INVALID invitedUnits');
    expect(await refusal({ invitedUnits: [HAI_CHAU, '99999'] })).toBe(
      '400 CONFERENCE_INVALID invitedUnits',
    );
    expect(await refusal({ speakerUnits: [HOI_AN] })).toBe('400 CONFERENCE_INVALID speakerUnits');
    expect(await refusal({ endsAt: START })).toBe('400 CONFERENCE_INVALID endsAt');
    expect(await refusal({ startsAt: 'soon' })).toBe('400 CONFERENCE_INVALID startsAt');
  });

  it('lists by status, time window and invited units', async () => {
    now = new Date('2026-07-01T00:00:00Z');
    const july = new Date('2026-07-10T02:00:00Z');
    const a = await schedule({
      title: 'A',
      startsAt: july,
      endsAt: new Date(july.getTime() + minutes(60)),
    });
    const b = await schedule({
      title: 'B',
      invitedUnits: [HOI_AN],
      speakerUnits: [],
      startsAt: new Date(july.getTime() + minutes(120)),
      endsAt: new Date(july.getTime() + minutes(180)),
    });
    const c = await schedule({
      title: 'C',
      startsAt: new Date(july.getTime() - minutes(1)),
      endsAt: july,
    });
    await store.cancel(c.id, 'user:an');
    const ids = async (filter: Parameters<ConferenceStore['list']>[0]) =>
      (await store.list({ from: new Date('2026-07-01T00:00:00Z'), ...filter })).conferences.map(
        (x) => x.title,
      );
    expect(await ids({})).toEqual(['B', 'A', 'C']);
    expect(await ids({ statuses: ['scheduled'] })).toEqual(['B', 'A']);
    expect(await ids({ statuses: ['cancelled'] })).toEqual(['C']);
    expect(await ids({ statuses: ['ended'] })).toEqual([]);
    expect(await ids({ invitingAny: [HOI_AN] })).toEqual(['B']);
    expect(await ids({ to: new Date(july.getTime() + minutes(90)) })).toEqual(['A', 'C']);
    now = new Date(july.getTime() + minutes(150));
    expect(await ids({ statuses: ['ended'] })).toEqual(['A']);
    expect(await ids({ statuses: ['ended', 'cancelled'] })).toEqual(['A', 'C']);
    const page = await store.list({ from: new Date('2026-07-01T00:00:00Z'), limit: 1 });
    expect([page.total, page.conferences.map((x) => x.id)]).toEqual([3, [b.id]]);
    expect(a.status).toBe('scheduled');
  });

  describe('join links', () => {
    it('gives one link per unit, chair first, each seating its unit in its role', async () => {
      now = new Date(START.getTime() - minutes(30));
      const conference = await schedule();
      const links = await store.links(conference.id);
      expect(links.map((l) => [l.unit, l.role, l.unitName])).toEqual([
        [PROVINCE, 'chair', 'Thành phố Đà Nẵng'],
        [HAI_CHAU, 'participant', 'Phường Hải Châu'],
        [HAI_VAN, 'speaker', 'Phường Hải Vân'],
      ]);
      for (const link of links) {
        expect(link.path).toBe(`/conference/${conference.id}?t=${link.token}`);
        expect(link.token).toMatch(/^[A-Za-z0-9_.-]+$/);
        expect(link.expiresAt).toBe(END.toISOString());
      }
      // Fetching again gives the same links (nothing stored, nothing rotated).
      expect(await store.links(conference.id)).toEqual(links);

      now = new Date(START.getTime() + minutes(5));
      const seat = await store.admit({ conferenceId: conference.id, token: links[2]?.token });
      expect(seat).toEqual({
        conference: expect.objectContaining({ id: conference.id }),
        role: 'speaker',
        unit: HAI_VAN,
        userId: null,
        displayName: 'Phường Hải Vân',
        expiresAt: END.toISOString(),
      });
      const chair = await store.admit({ conferenceId: conference.id, token: links[0]?.token });
      expect(chair.role).toBe('chair');

      // Another process (another store on the same database) accepts the same link.
      const other = new ConferenceStore({ sql, units, now: () => now });
      expect(
        (await other.admit({ conferenceId: conference.id, token: links[1]?.token })).unit,
      ).toBe(HAI_CHAU);
    });

    it('refuses tampered links, links of another conference or unit, expired and cancelled ones', async () => {
      now = new Date(START.getTime() - minutes(30));
      const first = await schedule();
      const second = await schedule();
      const [chairLink, haiChauLink] = await store.links(first.id);
      const token = haiChauLink?.token as string;
      now = new Date(START.getTime() + minutes(1));
      const join = (conferenceId: string, t: string) => outcome(store, { conferenceId, token: t });

      expect(await join(first.id, token)).toBe('admitted');
      const [unitPart, expiryPart, mac] = token.split('.') as [string, string, string];
      const flipped = `${mac.slice(0, 10)}${mac[10] === 'A' ? 'B' : 'A'}${mac.slice(11)}`;
      expect(await join(first.id, `${unitPart}.${expiryPart}.${flipped}`)).toBe(
        'JOIN_TOKEN_INVALID',
      );
      // Claiming the chair's unit with Hải Châu's signature.
      const chairUnitPart = String(chairLink?.token).split('.')[0];
      expect(await join(first.id, `${chairUnitPart}.${expiryPart}.${mac}`)).toBe(
        'JOIN_TOKEN_INVALID',
      );
      // Stretching the expiry.
      const later = (Number.parseInt(expiryPart, 36) + 3600).toString(36);
      expect(await join(first.id, `${unitPart}.${later}.${mac}`)).toBe('JOIN_TOKEN_INVALID');
      expect(await join(second.id, token)).toBe('JOIN_TOKEN_INVALID');
      expect(await join(first.id, 'garbage')).toBe('JOIN_TOKEN_INVALID');
      expect(await join(first.id, '')).toBe('JOIN_TOKEN_INVALID');
      expect(await join('00000000-0000-4000-8000-000000000000', token)).toBe(
        'CONFERENCE_NOT_FOUND',
      );

      now = new Date(END.getTime());
      expect(await join(first.id, token)).toBe('JOIN_TOKEN_EXPIRED');

      now = new Date(START.getTime() + minutes(1));
      await store.cancel(first.id, 'user:an');
      expect(await join(first.id, token)).toBe('CONFERENCE_CANCELLED');
      await expect(store.links(first.id)).rejects.toMatchObject({ code: 'CONFERENCE_CANCELLED' });
      await expect(store.cancel(first.id, 'user:an')).rejects.toMatchObject({
        code: 'CONFERENCE_CANCELLED',
      });
    });

    it('opens the doors 15 minutes before the start and closes them at the end', async () => {
      now = new Date(START.getTime() - minutes(60));
      const conference = await schedule();
      const token = (await store.links(conference.id))[1]?.token as string;
      const at = async (time: number) => {
        now = new Date(time);
        return [
          await outcome(store, { conferenceId: conference.id, token }),
          await outcome(store, { conferenceId: conference.id, user: user('admin') }),
        ];
      };
      expect(await at(START.getTime() - minutes(16))).toEqual([
        'CONFERENCE_NOT_OPEN',
        'CONFERENCE_NOT_OPEN',
      ]);
      expect(await at(START.getTime() - minutes(15))).toEqual(['admitted', 'admitted']);
      expect(await at(END.getTime() - 1)).toEqual(['admitted', 'admitted']);
      expect(await at(END.getTime())).toEqual(['JOIN_TOKEN_EXPIRED', 'CONFERENCE_NOT_OPEN']);
      await expect(store.cancel(conference.id, 'user:an')).rejects.toMatchObject({
        code: 'CONFERENCE_ENDED',
      });
    });
  });

  it('ends a conference under way early: its links stop working, it lists as ended, once', async () => {
    now = new Date(START.getTime() - minutes(60));
    const conference = await schedule();
    const other = await schedule({ title: 'Other' });
    const links = await store.links(conference.id);
    const token = links[1]?.token as string;
    const ended: string[] = [];
    store.on('ended', (c) => ended.push(`${c.id} ${c.status} ${c.endedBy}`));
    const end = async (id: string) => {
      try {
        return (await store.end(id, 'user:binh')).status;
      } catch (err) {
        return (err as ApiError).code;
      }
    };

    // Before the doors open there is nothing to end: cancel it instead.
    now = new Date(START.getTime() - minutes(16));
    expect(await end(conference.id)).toBe('CONFERENCE_NOT_STARTED');
    now = new Date(START.getTime() + minutes(20));
    expect(await outcome(store, { conferenceId: conference.id, token })).toBe('admitted');
    const result = await store.end(conference.id, 'user:binh');
    expect(result).toMatchObject({
      id: conference.id,
      status: 'ended',
      endsAt: END.toISOString(),
      endedAt: now.toISOString(),
      endedBy: 'user:binh',
    });
    expect(ended).toEqual([`${conference.id} ended user:binh`]);
    expect(await store.get(conference.id)).toEqual(result);

    // Nobody gets in any more, by link or signed in, though the scheduled end is an hour off.
    expect(await outcome(store, { conferenceId: conference.id, token })).toBe(
      'CONFERENCE_NOT_OPEN',
    );
    expect(await outcome(store, { conferenceId: conference.id, user: user('admin') })).toBe(
      'CONFERENCE_NOT_OPEN',
    );
    await expect(store.admit({ conferenceId: conference.id, token })).rejects.toThrow(
      now.toISOString(),
    );
    expect(await end(conference.id)).toBe('CONFERENCE_ENDED');
    expect(await store.cancel(conference.id, 'user:an').catch((e) => e.code)).toBe(
      'CONFERENCE_ENDED',
    );
    const listed = await store.list({ from: START, to: END, statuses: ['ended'] });
    expect(listed.conferences.map((c) => c.id)).toContain(conference.id);
    const scheduled = await store.list({ from: START, to: END, statuses: ['scheduled'] });
    expect(scheduled.conferences.map((c) => c.id)).not.toContain(conference.id);
    expect(scheduled.conferences.map((c) => c.id)).toContain(other.id);

    // Cancelled, past its end, unknown: refused, and no event.
    await store.cancel(other.id, 'user:an');
    expect(await end(other.id)).toBe('CONFERENCE_CANCELLED');
    const over = await schedule({ title: 'Over' });
    now = new Date(END.getTime());
    expect(await end(over.id)).toBe('CONFERENCE_ENDED');
    expect(await end('00000000-0000-4000-8000-000000000000')).toBe('CONFERENCE_NOT_FOUND');
    expect(ended).toHaveLength(1);
    store.removeAllListeners('ended');
  });

  it('seats signed-in users by role and by their rooms’ scopes', async () => {
    now = new Date(START.getTime() - minutes(30));
    const conference = await schedule(); // invites Hải Châu and Hải Vân, both in KV48
    now = new Date(START.getTime() + minutes(1));
    const seat = async (principal: Principal, asViewer = false) => {
      try {
        return (await store.admit({ conferenceId: conference.id, user: principal, asViewer })).role;
      } catch (err) {
        return (err as ApiError).code;
      }
    };
    expect(await seat(user('admin'))).toBe('chair');
    expect(await seat(user('admin'), true)).toBe('viewer');
    expect(await seat(user('ioc-operator'))).toBe('chair');
    expect(await seat(user('room-operator', 'u-kv48-operator'))).toBe('participant');
    expect(await seat(user('room-operator', 'u-kv48-operator'), true)).toBe('viewer');
    expect(await seat(user('room-operator', 'u-kv49-operator'))).toBe('CONFERENCE_FORBIDDEN');
    expect(await seat(user('room-operator', 'u-no-rooms'))).toBe('CONFERENCE_FORBIDDEN');
    expect(await seat(user('room-operator', 'u-department'))).toBe('participant');
    expect(await seat(user('viewer', 'u-kv48-viewer'))).toBe('viewer');
    expect(await seat(user('viewer', 'u-kv49-operator'))).toBe('CONFERENCE_FORBIDDEN');
    expect(await seat(user('service'))).toBe('CONFERENCE_FORBIDDEN');
    // API tokens are unscoped, as everywhere in the web service.
    expect(await seat(user('room-operator', 'token-1', 'token'))).toBe('participant');

    const admitted = await store.admit({ conferenceId: conference.id, user: user('admin') });
    expect(admitted).toMatchObject({
      unit: null,
      userId: 'u-admin',
      displayName: 'admin-person',
      expiresAt: END.toISOString(),
    });
    expect(await outcome(store, { conferenceId: conference.id })).toBe('JOIN_TOKEN_INVALID');
    await store.cancel(conference.id, 'user:an');
    expect(await seat(user('admin'))).toBe('CONFERENCE_CANCELLED');
  });

  it('logs attendance: joins once, leaves with a reason, a leave without a join too', async () => {
    now = new Date(START.getTime() - minutes(30));
    const conference = await schedule();
    const base = {
      conferenceId: conference.id,
      unit: HAI_CHAU,
      userId: null,
      displayName: 'Phường Hải Châu',
      role: 'participant' as const,
    };
    const t = (m: number) => new Date(START.getTime() + minutes(m)).toISOString();
    await store.recordAttendance({ ...base, peerId: 'p1', event: 'joined', at: t(0) });
    await store.recordAttendance({ ...base, peerId: 'p1', event: 'joined', at: t(1) });
    await store.recordAttendance({
      ...base,
      peerId: 'p2',
      unit: null,
      userId: 'u-admin',
      displayName: 'admin-person',
      role: 'chair',
      event: 'joined',
      at: t(2),
    });
    await store.recordAttendance({
      ...base,
      peerId: 'p1',
      event: 'left',
      at: t(30),
      reason: 'disconnect',
    });
    // A second leave of the same peer does not move its first.
    await store.recordAttendance({ ...base, peerId: 'p1', event: 'left', at: t(40), reason: 'x' });
    await store.recordAttendance({ ...base, peerId: 'p3', event: 'left', at: t(50) });
    expect(await store.attendance(conference.id)).toEqual([
      {
        peerId: 'p1',
        unit: HAI_CHAU,
        userId: null,
        displayName: 'Phường Hải Châu',
        role: 'participant',
        joinedAt: t(0),
        leftAt: t(30),
        reason: 'disconnect',
      },
      {
        peerId: 'p2',
        unit: null,
        userId: 'u-admin',
        displayName: 'admin-person',
        role: 'chair',
        joinedAt: t(2),
        leftAt: null,
        reason: null,
      },
      expect.objectContaining({ peerId: 'p3', joinedAt: t(50), leftAt: t(50), reason: null }),
    ]);
    await expect(
      store.recordAttendance({ ...base, peerId: 'p4', event: 'joined', at: 'yesterday' }),
    ).rejects.toThrow(/not a date/);
    await expect(store.attendance('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
      code: 'CONFERENCE_NOT_FOUND',
    });
  });
});
