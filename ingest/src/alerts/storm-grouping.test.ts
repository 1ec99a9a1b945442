import { type AdminUnitTree, loadUnitTree, type SqlStore, sqlTestBackends } from '@ioc/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AlertStore } from './alert-store.js';
import { type AlertEvent, storeWithEvents, uniqueRule, waterLevelRaise } from './test-support.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

const { backends, cleanup } = sqlTestBackends('alert-storms', inject('postgresUrl'));
afterAll(cleanup);

const T0 = new Date('2026-03-01T00:00:00Z');
const seconds = (n: number) => new Date(T0.getTime() + n * 1000);
const STORM = { threshold: 10, windowSeconds: 300 };

let units: AdminUnitTree;
/** The communes of region KV48 (former Đà Nẵng), the "district" of these tests, and of KV49. */
let kv48: string[];
let kv49: string[];
beforeAll(async () => {
  units = await loadUnitTree('da-nang-2025-regions');
  kv48 = units.children('KV48').map((u) => u.code);
  kv49 = units.children('KV49').map((u) => u.code);
});

describe.each(backends)('storm grouping on $kind', (backend) => {
  let sql: SqlStore;
  let store: AlertStore;
  let events: AlertEvent[];
  beforeAll(async () => {
    sql = await backend.open();
    ({ store, events } = storeWithEvents(sql, units, { storm: STORM }));
  });
  afterAll(async () => {
    await sql?.close();
    await backend.drop();
  });

  /** Device `n` of the district goes offline (a commune of KV48, several devices per commune). */
  const offline = (rule: string, n: number, at = seconds(n), communes = kv48) =>
    waterLevelRaise(rule, {
      source: `dev-${n}`,
      unit: communes[n % communes.length] as string,
      severity: n === 7 ? 'critical' : 'major',
      metric: null,
      value: null,
      message: { vi: `Thiết bị dev-${n} mất kết nối`, en: `Device dev-${n} offline` },
      at,
    });
  const changes = (rule: string) =>
    events.filter((e) => e.alert.ruleId === rule).map((e) => `${e.change}:${e.alert.source}`);

  it('groups 20 devices of one district going offline under one parent alert', async () => {
    const rule = uniqueRule('district-offline');
    for (let n = 1; n <= 20; n++) await store.raise(offline(rule, n));

    const top = await store.list({ ruleId: rule, parentId: null });
    expect(top.total).toBe(1);
    const storm = top.alerts[0];
    expect(storm).toMatchObject({
      source: 'storm:KV48',
      unit: 'KV48',
      deviceId: null,
      sector: 'environment',
      state: 'active',
      severity: 'critical', // the highest of its alerts
      count: 20,
      raisedAt: seconds(1).toISOString(), // when its first alert was raised
      lastSeenAt: seconds(20).toISOString(),
      parentId: null,
    });
    expect(storm?.message.vi).toBe(
      `Nhiều cảnh báo cùng lúc tại ${units.get('KV48')?.name} (quy tắc ${rule})`,
    );
    expect(storm?.message.en).toMatch(/^Alert storm in .+ \(rule district-offline-\d+\)$/);

    const children = await store.list({ ruleId: rule, parentId: storm?.id });
    expect(children.total).toBe(20);
    expect(new Set(children.alerts.map((a) => a.source)).size).toBe(20);
    expect(children.alerts.every((a) => a.parentId === storm?.id && a.state === 'active')).toBe(
      true,
    );
    expect(await store.get(storm?.id as string)).toMatchObject({ kind: 'storm', children: 20 });

    // The first nine were raised on their own; the tenth opened the storm, which took them in
    // ('grouped'); later ones were raised into it, each growing the storm's count.
    const seen = changes(rule);
    expect(seen.slice(0, 9)).toEqual(Array.from({ length: 9 }, (_, i) => `raised:dev-${i + 1}`));
    expect(seen.slice(9, 20)).toEqual([
      'raised:storm:KV48',
      ...Array.from({ length: 9 }, (_, i) => `grouped:dev-${i + 1}`),
      'raised:dev-10',
    ]);
    expect(seen.slice(20)).toEqual(
      Array.from({ length: 10 }, (_, i) => [
        'retriggered:storm:KV48',
        `raised:dev-${i + 11}`,
      ]).flat(),
    );
    // Raised into a storm: notifications can tell by the parent and stay quiet.
    const late = events.find((e) => e.alert.source === 'dev-15' && e.alert.ruleId === rule);
    expect(late?.alert.parentId).toBe(storm?.id);
    const history = await store.history(
      children.alerts.find((a) => a.source === 'dev-3')?.id ?? '',
    );
    expect(history.map((h) => [h.change, h.details])).toEqual([
      ['raised', { value: null, severity: 'major' }],
      ['grouped', { parentId: storm?.id }],
    ]);
  });

  it('acknowledging and resolving the storm carries to its open children', async () => {
    const rule = uniqueRule('storm-actions');
    for (let n = 1; n <= 12; n++) await store.raise(offline(rule, n));
    const [storm] = (await store.list({ ruleId: rule, parentId: null })).alerts;
    const stormId = storm?.id as string;
    const children = () => store.list({ ruleId: rule, parentId: stormId });

    // One child is already resolved by someone: the storm leaves it alone.
    const dev1 = (await store.findOpen(rule, 'dev-1'))?.id as string;
    await store.resolve(dev1, 'binh');

    await store.acknowledge(stormId, 'an');
    await store.assign(stormId, 'chi', 'an');
    const acked = (await children()).alerts.filter((a) => a.source !== 'dev-1');
    expect(acked).toHaveLength(11);
    for (const child of acked) {
      expect(child).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'an', assignee: 'chi' });
    }
    const childHistory = await store.history(acked[0]?.id as string);
    expect(childHistory.at(-1)).toMatchObject({
      change: 'assigned',
      actor: 'an',
      details: { via: stormId },
    });

    await store.resolve(stormId, 'an', 'Đã khôi phục nguồn điện');
    const all = (await children()).alerts;
    expect(all.filter((a) => a.state === 'resolved' && a.endedBy === 'an')).toHaveLength(11);
    expect(all.find((a) => a.source === 'dev-1')).toMatchObject({ endedBy: 'binh' });
    expect(await store.findOpen(rule, 'storm:KV48')).toBeUndefined();
  });

  it('clears the storm by itself when the last of its alerts clears', async () => {
    const rule = uniqueRule('storm-clears');
    for (let n = 1; n <= 10; n++) await store.raise(offline(rule, n));
    const storm = await store.findOpen(rule, 'storm:KV48');
    expect(storm).toBeDefined();
    for (let n = 1; n <= 9; n++) {
      await store.clear({ ruleId: rule, source: `dev-${n}`, at: seconds(100 + n) });
    }
    expect(await store.findOpen(rule, 'storm:KV48')).toMatchObject({ state: 'active' });
    await store.clear({ ruleId: rule, source: 'dev-10', at: seconds(200) });
    const [closed] = (await store.list({ ruleId: rule, parentId: null })).alerts;
    expect(closed).toMatchObject({
      id: storm?.id,
      state: 'cleared',
      endedBy: 'system',
      endedAt: seconds(200).toISOString(),
    });
    expect(changes(rule).at(-1)).toBe('cleared:storm:KV48');

    // The cause returns: the alerts open again, and with them a new storm.
    for (let n = 1; n <= 10; n++) await store.raise(offline(rule, n, seconds(400 + n)));
    const again = await store.findOpen(rule, 'storm:KV48');
    expect(again?.id).not.toBe(storm?.id);
    expect(again?.count).toBe(10);
  });

  it('does not group alerts spread over more than the window, other areas or other rules', async () => {
    const slow = uniqueRule('spread');
    // One alert every 40 s: never 10 within 300 s of each other.
    for (let n = 1; n <= 15; n++) await store.raise(offline(slow, n, seconds(n * 40)));
    expect((await store.list({ ruleId: slow, parentId: null })).total).toBe(15);

    const split = uniqueRule('two-regions');
    for (let n = 1; n <= 9; n++) await store.raise(offline(split, n));
    for (let n = 10; n <= 18; n++) await store.raise(offline(split, n, seconds(n), kv49));
    expect((await store.list({ ruleId: split, parentId: null })).total).toBe(18);

    const other = uniqueRule('other-rule');
    for (let n = 1; n <= 9; n++) await store.raise(offline(other, n));
    expect(await store.findOpen(other, 'storm:KV48')).toBeUndefined();
    expect(await store.findOpen(split, 'storm:KV48')).toBeUndefined();
  });

  it('opens one storm when its alerts are raised concurrently from two stores', async () => {
    const rule = uniqueRule('storm-race');
    const other = storeWithEvents(sql, units, { storm: STORM }).store;
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? store : other).raise(offline(rule, i + 1))),
    );
    const top = await store.list({ ruleId: rule, parentId: null });
    expect(top.alerts.map((a) => a.source)).toEqual(['storm:KV48']);
    expect(top.alerts[0]?.count).toBe(30);
    expect((await store.list({ ruleId: rule, parentId: top.alerts[0]?.id })).total).toBe(30);
  });

  it('never groups when the threshold is 0', async () => {
    const { store: plain } = storeWithEvents(sql, units, {
      storm: { threshold: 0, windowSeconds: 300 },
    });
    const rule = uniqueRule('no-storms');
    for (let n = 1; n <= 20; n++) await plain.raise(offline(rule, n));
    expect((await plain.list({ ruleId: rule, parentId: null })).total).toBe(20);
  });
});
