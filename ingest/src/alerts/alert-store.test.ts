import {
  type AdminUnitTree,
  type AlertSnapshot,
  ApiError,
  loadUnitTree,
  type SqlStore,
  sqlTestBackends,
} from '@ioc/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AlertStore } from './alert-store.js';
import { AlertInputError } from './sink-input.js';
import { type AlertEvent, storeWithEvents, uniqueRule, waterLevelRaise } from './test-support.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

const { backends, cleanup } = sqlTestBackends('alerts', inject('postgresUrl'));
afterAll(cleanup);

const T0 = new Date('2026-03-01T00:00:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
/** Đà Nẵng with its two regions: KV48 (former Đà Nẵng) holds Hải Vân and Hải Châu. */
const HAI_VAN = '20194';
const HAI_CHAU = '20242';

let units: AdminUnitTree;
beforeAll(async () => {
  units = await loadUnitTree('da-nang-2025-regions');
});

async function expectApiError(promise: Promise<unknown>, status: number, code: string) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  expect(err).toMatchObject({ statusCode: status, code });
  return err as ApiError;
}

describe.each(backends)('alert store on $kind', (backend) => {
  let sql: SqlStore;
  let store: AlertStore;
  let events: AlertEvent[];
  let clock = T0;
  beforeAll(async () => {
    sql = await backend.open();
    ({ store, events } = storeWithEvents(sql, units, { now: () => clock }));
  });
  afterAll(async () => {
    await sql?.close();
    await backend.drop();
  });

  const eventsOf = (ruleId: string) =>
    events.filter((e) => e.alert.ruleId === ruleId).map((e) => e.change);
  async function openAlert(ruleId: string, source = 'wl-hai-van-01'): Promise<AlertSnapshot> {
    const alert = await store.findOpen(ruleId, source);
    if (!alert) throw new Error(`no open alert of ${ruleId}/${source}`);
    return alert;
  }

  describe('raising', () => {
    it('opens one alert per rule and source: a second raise counts, it does not duplicate', async () => {
      const rule = uniqueRule('dedup');
      await store.raise(waterLevelRaise(rule, { value: 250 }));
      await store.raise(waterLevelRaise(rule, { value: 262.5, at: minutes(3) }));

      const { alerts, total } = await store.list({ ruleId: rule });
      expect(total).toBe(1);
      expect(alerts[0]).toEqual({
        id: expect.stringMatching(/^[1-9][0-9]*$/),
        ruleId: rule,
        source: 'wl-hai-van-01',
        severity: 'major',
        state: 'active',
        message: { vi: 'Mực nước vượt báo động 2', en: 'Water level above alarm 2' },
        deviceId: 'wl-hai-van-01',
        unit: HAI_VAN,
        sector: 'environment',
        metric: 'level_cm',
        value: 262.5,
        count: 2,
        raisedAt: T0.toISOString(),
        lastSeenAt: minutes(3).toISOString(),
        acknowledgedAt: null,
        acknowledgedBy: null,
        assignee: null,
        endedAt: null,
        endedBy: null,
        escalationLevel: 0,
        parentId: null,
      } satisfies AlertSnapshot);
      expect(eventsOf(rule)).toEqual(['raised', 'retriggered']);
      const raised = events.find((e) => e.alert.ruleId === rule);
      expect(raised).toMatchObject({ actor: null, at: T0.toISOString() });
      // A re-trigger is in the count and last-seen time, not a history row per message.
      const history = await store.history(alerts[0]?.id as string);
      expect(history.map((h) => h.change)).toEqual(['raised']);
    });

    it('keeps the latest last-seen time when raises arrive out of order', async () => {
      const rule = uniqueRule('order');
      await store.raise(waterLevelRaise(rule, { at: minutes(10) }));
      await store.raise(waterLevelRaise(rule, { at: minutes(4) }));
      expect(await openAlert(rule)).toMatchObject({
        count: 2,
        raisedAt: minutes(10).toISOString(),
        lastSeenAt: minutes(10).toISOString(),
      });
    });

    it('keeps a boolean value and Vietnamese text in NFC', async () => {
      const rule = uniqueRule('bool');
      await store.raise(
        waterLevelRaise(rule, {
          value: true,
          message: { vi: '  Cửa cống mở  '.normalize('NFD'), en: 'Gate open' },
        }),
      );
      const alert = await openAlert(rule);
      expect(alert.value).toBe(true);
      expect(alert.message.vi).toBe('Cửa cống mở');
      expect(alert.message.vi.normalize('NFC')).toBe(alert.message.vi);
    });

    it('refuses a raise the rule engine got wrong, and stores nothing', async () => {
      const rule = uniqueRule('bad');
      const bad = [
        waterLevelRaise(rule, { severity: 'urgent' as 'major' }),
        waterLevelRaise(rule, { source: 'storm:48' }),
        waterLevelRaise(rule, { source: '' }),
        waterLevelRaise(rule, { at: new Date('not a time') }),
        waterLevelRaise(rule, { message: { vi: ' ', en: 'x' } }),
        waterLevelRaise(rule, { value: Number.NaN }),
        waterLevelRaise('', {}),
      ];
      for (const raise of bad) {
        await expect(store.raise(raise)).rejects.toBeInstanceOf(AlertInputError);
      }
      await expect(store.raise(bad[1] as never)).rejects.toThrow(/reserved for storm grouping/);
      expect((await store.list({ ruleId: rule })).total).toBe(0);
      expect(eventsOf(rule)).toEqual([]);
    });

    it('enforces one open alert per rule and source in SQL itself (a partial unique index)', async () => {
      const rule = uniqueRule('index');
      await store.raise(waterLevelRaise(rule));
      const insert = () =>
        sql.query(
          `INSERT INTO alerts (rule_id, source, severity, state, message_vi, message_en,
             raised_at, last_seen_at) VALUES ($1, 'wl-hai-van-01', 'major', 'active', 'x', 'x', now(), now())`,
          [rule],
        );
      await expect(insert()).rejects.toMatchObject({ code: '23505' });
      // A closed alert does not block the next one.
      await store.clear({ ruleId: rule, source: 'wl-hai-van-01', at: minutes(1) });
      await expect(insert()).resolves.toMatchObject({ rowCount: 1 });
    });

    it('meets concurrent raises of one rule and source from two stores in one alert', async () => {
      const rule = uniqueRule('race');
      // A second store on the same database: on PostgreSQL both use separate connections,
      // so the raises really race in the server, as two IOC processes would.
      const other = storeWithEvents(sql, units).store;
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 ? store : other).raise(waterLevelRaise(rule, { at: minutes(i) })),
        ),
      );
      const { alerts, total } = await store.list({ ruleId: rule });
      expect(total).toBe(1);
      expect(alerts[0]).toMatchObject({ count: 12, lastSeenAt: minutes(11).toISOString() });
      expect((await store.history(alerts[0]?.id as string)).map((h) => h.change)).toEqual([
        'raised',
      ]);
    });
  });

  describe('clearing', () => {
    it('clears the open alert; when the condition returns, a new alert opens', async () => {
      const rule = uniqueRule('clear');
      await store.raise(waterLevelRaise(rule));
      const first = await openAlert(rule);
      await store.clear({ ruleId: rule, source: 'wl-hai-van-01', at: minutes(7) });
      expect(await store.findOpen(rule, 'wl-hai-van-01')).toBeUndefined();

      await store.raise(waterLevelRaise(rule, { at: minutes(9) }));
      const second = await openAlert(rule);
      expect(second.id).not.toBe(first.id);
      expect(second).toMatchObject({
        count: 1,
        state: 'active',
        raisedAt: minutes(9).toISOString(),
      });

      const { alerts } = await store.list({ ruleId: rule });
      expect(alerts.map((a) => [a.id, a.state])).toEqual([
        [second.id, 'active'],
        [first.id, 'cleared'],
      ]);
      expect(alerts[1]).toMatchObject({ endedAt: minutes(7).toISOString(), endedBy: 'system' });
      expect(eventsOf(rule)).toEqual(['raised', 'cleared', 'raised']);
      const cleared = events.find((e) => e.alert.ruleId === rule && e.change === 'cleared');
      expect(cleared).toMatchObject({ actor: null, alert: { id: first.id, state: 'cleared' } });
    });

    it('does nothing when no alert of that rule and source is open', async () => {
      const rule = uniqueRule('clear-none');
      await store.clear({ ruleId: rule, source: 'wl-hai-van-01', at: T0 });
      expect((await store.list({ ruleId: rule })).total).toBe(0);
      expect(eventsOf(rule)).toEqual([]);
      await expect(
        store.clear({ ruleId: rule, source: 'storm:48', at: T0 }),
      ).rejects.toBeInstanceOf(AlertInputError);
    });

    it('clears an acknowledged alert too', async () => {
      const rule = uniqueRule('clear-ack');
      await store.raise(waterLevelRaise(rule));
      await store.acknowledge((await openAlert(rule)).id, 'an');
      await store.clear({ ruleId: rule, source: 'wl-hai-van-01', at: minutes(2) });
      const [alert] = (await store.list({ ruleId: rule })).alerts;
      expect(alert).toMatchObject({ state: 'cleared', acknowledgedBy: 'an', endedBy: 'system' });
    });
  });

  describe('people', () => {
    it('acknowledge → assign → comment → resolve, each in the history with who and when', async () => {
      const rule = uniqueRule('life');
      await store.raise(waterLevelRaise(rule));
      const { id } = await openAlert(rule);

      clock = minutes(2);
      const acked = await store.acknowledge(id, 'nguyen.van.an', 'Đang kiểm tra');
      expect(acked).toMatchObject({
        state: 'acknowledged',
        acknowledgedAt: minutes(2).toISOString(),
        acknowledgedBy: 'nguyen.van.an',
      });
      clock = minutes(3);
      const assigned = await store.assign(id, 'tran.thi.binh', 'nguyen.van.an');
      expect(assigned).toMatchObject({ state: 'acknowledged', assignee: 'tran.thi.binh' });
      clock = minutes(4);
      const comment = await store.comment(id, '  Đã cử đội ứng cứu  ', 'tran.thi.binh');
      expect(comment).toMatchObject({
        alertId: id,
        change: 'commented',
        actor: 'tran.thi.binh',
        comment: 'Đã cử đội ứng cứu',
        at: minutes(4).toISOString(),
      });
      clock = minutes(30);
      const resolved = await store.resolve(id, 'tran.thi.binh', 'Nước đã rút');
      expect(resolved).toMatchObject({
        state: 'resolved',
        endedAt: minutes(30).toISOString(),
        endedBy: 'tran.thi.binh',
        assignee: 'tran.thi.binh',
      });

      const detail = await store.get(id);
      expect(detail).toMatchObject({ kind: 'alert', children: 0, alert: resolved });
      expect(
        detail?.history.map((h) => [h.change, h.actor, h.at, h.state, h.comment, h.details]),
      ).toEqual([
        ['raised', null, T0.toISOString(), 'active', null, { value: 250, severity: 'major' }],
        [
          'acknowledged',
          'nguyen.van.an',
          minutes(2).toISOString(),
          'acknowledged',
          'Đang kiểm tra',
          null,
        ],
        [
          'assigned',
          'nguyen.van.an',
          minutes(3).toISOString(),
          'acknowledged',
          null,
          { assignee: 'tran.thi.binh', previous: null },
        ],
        [
          'commented',
          'tran.thi.binh',
          minutes(4).toISOString(),
          'acknowledged',
          'Đã cử đội ứng cứu',
          null,
        ],
        ['resolved', 'tran.thi.binh', minutes(30).toISOString(), 'resolved', 'Nước đã rút', null],
      ]);
      expect(eventsOf(rule)).toEqual([
        'raised',
        'acknowledged',
        'assigned',
        'commented',
        'resolved',
      ]);
      const last = events.at(-1);
      expect(last).toMatchObject({
        change: 'resolved',
        actor: 'tran.thi.binh',
        at: minutes(30).toISOString(),
        alert: { id, state: 'resolved' },
      });
      clock = T0;
    });

    it('resolves an alert nobody acknowledged, and unassigns with null', async () => {
      const rule = uniqueRule('direct');
      await store.raise(waterLevelRaise(rule));
      const { id } = await openAlert(rule);
      await store.assign(id, 'an', 'binh');
      expect(await store.assign(id, null, 'binh')).toMatchObject({ assignee: null });
      // Assigning the same person again changes nothing and writes nothing.
      const before = (await store.history(id)).length;
      await store.assign(id, null, 'binh');
      expect(await store.history(id)).toHaveLength(before);
      expect(await store.resolve(id, 'binh')).toMatchObject({
        state: 'resolved',
        acknowledgedAt: null,
        endedBy: 'binh',
      });
    });

    it('refuses invalid transitions with 409 and a code, changing nothing', async () => {
      const rule = uniqueRule('invalid');
      await store.raise(waterLevelRaise(rule));
      const { id } = await openAlert(rule);
      await store.acknowledge(id, 'an');
      const again = await expectApiError(
        store.acknowledge(id, 'binh'),
        409,
        'ALERT_ALREADY_ACKNOWLEDGED',
      );
      expect(again.message).toContain('already acknowledged by an');
      await store.resolve(id, 'an');
      const seen = eventsOf(rule).length;

      const closed = await expectApiError(store.acknowledge(id, 'binh'), 409, 'ALERT_CLOSED');
      expect(closed.message).toMatch(/was resolved by an .* cannot be acknowledged/);
      await expectApiError(store.resolve(id, 'binh'), 409, 'ALERT_CLOSED');
      await expectApiError(store.assign(id, 'binh', 'binh'), 409, 'ALERT_CLOSED');
      expect(await store.get(id)).toMatchObject({ alert: { state: 'resolved', endedBy: 'an' } });
      expect(eventsOf(rule)).toHaveLength(seen);
      // A closed alert still takes comments (what happened, for the record).
      await expect(store.comment(id, 'Ghi chú sau sự cố', 'binh')).resolves.toMatchObject({
        change: 'commented',
        state: 'resolved',
      });
    });

    it('answers 404 for an unknown or malformed id and 400 for empty text', async () => {
      for (const id of ['999999999', 'abc', '0', '-1', '1.5']) {
        await expectApiError(store.acknowledge(id, 'an'), 404, 'ALERT_NOT_FOUND');
        await expectApiError(store.comment(id, 'x', 'an'), 404, 'ALERT_NOT_FOUND');
        expect(await store.get(id)).toBeUndefined();
      }
      const rule = uniqueRule('text');
      await store.raise(waterLevelRaise(rule));
      const { id } = await openAlert(rule);
      await expectApiError(store.comment(id, '   ', 'an'), 400, 'INVALID_COMMENT');
      await expectApiError(store.comment(id, 'x'.repeat(2001), 'an'), 400, 'INVALID_COMMENT');
      await expectApiError(store.resolve(id, 'an', ''), 400, 'INVALID_NOTE');
      await expectApiError(store.assign(id, ' ', 'an'), 400, 'INVALID_ASSIGNEE');
      expect((await store.history(id)).map((h) => h.change)).toEqual(['raised']);
    });
  });

  describe('listing', () => {
    const rule = uniqueRule('list');
    let ids: Record<string, string>;
    beforeAll(async () => {
      // Newest last: Hải Vân major, Hải Châu critical (acknowledged), a KV49 commune minor
      // (cleared), a KPI alert without device in public services.
      const kv49Commune = units.children('KV49')[0]?.code as string;
      await store.raise(waterLevelRaise(rule, { source: 'wl-a', at: minutes(1) }));
      await store.raise(
        waterLevelRaise(rule, {
          source: 'wl-b',
          unit: HAI_CHAU,
          severity: 'critical',
          at: minutes(2),
        }),
      );
      await store.raise(
        waterLevelRaise(rule, {
          source: 'wl-c',
          unit: kv49Commune,
          severity: 'minor',
          at: minutes(3),
        }),
      );
      await store.raise(
        waterLevelRaise(rule, {
          source: `kpi:on-time-rate:${HAI_CHAU}`,
          deviceId: null,
          unit: HAI_CHAU,
          sector: 'public-services',
          metric: null,
          value: 0.82,
          severity: 'warning',
          at: minutes(4),
        }),
      );
      const find = async (source: string) => (await openAlert(rule, source)).id;
      ids = {
        a: await find('wl-a'),
        b: await find('wl-b'),
        c: await find('wl-c'),
        kpi: await find(`kpi:on-time-rate:${HAI_CHAU}`),
      };
      await store.acknowledge(ids.b as string, 'an');
      await store.clear({ ruleId: rule, source: 'wl-c', at: minutes(5) });
    });

    const listIds = async (filter: Parameters<AlertStore['list']>[0]) =>
      (await store.list({ ruleId: rule, ...filter })).alerts.map((a) => a.id);

    it('lists newest first, with the total over all pages', async () => {
      expect(await listIds({})).toEqual([ids.kpi, ids.c, ids.b, ids.a]);
      const page = await store.list({ ruleId: rule, limit: 2, offset: 1 });
      expect(page).toMatchObject({ total: 4, limit: 2, offset: 1 });
      expect(page.alerts.map((a) => a.id)).toEqual([ids.c, ids.b]);
    });

    it('filters by state, severity, sector, unit subtree, time, device', async () => {
      expect(await listIds({ states: ['active', 'acknowledged'] })).toEqual([
        ids.kpi,
        ids.b,
        ids.a,
      ]);
      expect(await listIds({ states: ['cleared'] })).toEqual([ids.c]);
      expect(await listIds({ severities: ['critical', 'minor'] })).toEqual([ids.c, ids.b]);
      expect(await listIds({ sector: 'public-services' })).toEqual([ids.kpi]);
      expect(await listIds({ unit: HAI_CHAU })).toEqual([ids.kpi, ids.b]);
      expect(await listIds({ unit: 'KV48' })).toEqual([ids.kpi, ids.b, ids.a]);
      expect(await listIds({ unit: '48' })).toEqual([ids.kpi, ids.c, ids.b, ids.a]);
      expect(await listIds({ from: minutes(2), to: minutes(4) })).toEqual([ids.c, ids.b]);
      expect(await listIds({ openAt: minutes(3) })).toEqual([ids.c, ids.b, ids.a]);
      expect(await listIds({ openAt: minutes(6) })).toEqual([ids.kpi, ids.b, ids.a]);
      expect(await listIds({ deviceId: 'wl-a' })).toEqual([ids.a]);
      expect(await listIds({ parentId: null })).toHaveLength(4);
      expect(await listIds({ parentId: ids.a })).toEqual([]);
    });

    it('refuses unknown units, sectors, bad ranges and pages with a code', async () => {
      await expectApiError(store.list({ unit: '99999' }), 400, 'UNKNOWN_UNIT');
      await expectApiError(store.list({ sector: 'weather' }), 400, 'UNKNOWN_SECTOR');
      await expectApiError(
        store.list({ from: minutes(5), to: minutes(1) }),
        400,
        'INVALID_TIME_RANGE',
      );
      await expectApiError(store.list({ limit: 0 }), 400, 'INVALID_PAGE');
      await expectApiError(store.list({ limit: 1001 }), 400, 'INVALID_PAGE');
      await expectApiError(store.list({ offset: -1 }), 400, 'INVALID_PAGE');
    });
  });
});
