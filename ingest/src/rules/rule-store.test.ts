import {
  type AdminUnitTree,
  ApiError,
  loadUnitTree,
  type SqlStore,
  sqlTestBackends,
} from '@ioc/core';
import { type DeviceCatalogue, loadDeviceCatalogue } from '@ioc/devices';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Rule, RuleInput } from './rule.js';
import { RuleStateStore } from './rule-state-store.js';
import { RuleStore } from './rule-store.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

// Runs against both stores the IOC supports: embedded PGlite and PostgreSQL.
const { backends, cleanup } = sqlTestBackends('rules', inject('postgresUrl'));
afterAll(cleanup);

let units: AdminUnitTree;
let catalogue: DeviceCatalogue;
beforeAll(async () => {
  [units, catalogue] = await Promise.all([loadUnitTree('da-nang-2025'), loadDeviceCatalogue()]);
});

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
let serial = 0;
/** A rule id no other test uses: the tests of one backend share its database. */
const uniqueId = (base: string) => `${base}-${++serial}`;

function input(id: string, overrides: Partial<RuleInput> = {}): RuleInput {
  return {
    id,
    name: { vi: 'Mực nước cao', en: 'High water' },
    severity: 'critical',
    scope: { type: 'water-level', unit: '48' },
    condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 300, clear: 280 },
    message: { vi: 'Mực nước {value} {unit}', en: 'Water level {value} {unit}' },
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`);
  return err;
}

describe.each(backends)('rules on $kind', (backend) => {
  let sql: SqlStore;
  let store: RuleStore;
  beforeAll(async () => {
    sql = await backend.open();
    store = new RuleStore({
      sql,
      catalogue,
      units,
      devices: { get: async (id) => (id === 'wl-known' ? { id } : undefined) },
    });
  });
  afterAll(async () => {
    await sql?.close();
    await backend.drop();
  });

  it('creates, reads and lists a rule with who and when', async () => {
    const id = uniqueId('high-water');
    const changed: Rule[] = [];
    store.on('changed', (rule) => changed.push(rule));
    const created = await store.create(input(id), 'user:admin');
    store.removeAllListeners('changed');
    expect(created).toEqual({
      id,
      name: { vi: 'Mực nước cao', en: 'High water' },
      enabled: true,
      severity: 'critical',
      scope: { type: 'water-level', unit: '48' },
      condition: {
        kind: 'threshold',
        metric: 'level_cm',
        op: 'above',
        value: 300,
        clear: 280,
        forS: 0,
      },
      message: { vi: 'Mực nước {value} {unit}', en: 'Water level {value} {unit}' },
      rateLimit: { raises: 20, perS: 60 },
      origin: 'api',
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
      createdBy: 'user:admin',
      updatedBy: 'user:admin',
    });
    expect(changed).toEqual([created]);
    expect(await store.get(id)).toEqual(created);
    expect((await store.list()).map((r) => r.id)).toContain(id);
    expect(await store.get('no-such-rule')).toBeUndefined();
  });

  it('refuses a taken id, a bad rule (every field named) and an unknown device', async () => {
    const id = uniqueId('taken');
    await store.create(input(id));
    const taken = await rejection(store.create(input(id)));
    expect([taken.statusCode, taken.code]).toEqual([409, 'RULE_EXISTS']);

    const bad = await rejection(
      store.create(input(uniqueId('bad'), { severity: 'urgent' as 'info', scope: { unit: 'x' } })),
    );
    expect([bad.statusCode, bad.code]).toEqual([400, 'RULE_INVALID']);
    expect(bad.details).toEqual({
      problems: [
        { field: 'severity', code: 'FIELD_NOT_ALLOWED', message: expect.any(String) },
        { field: 'scope.unit', code: 'UNIT_UNKNOWN', message: expect.any(String) },
      ],
    });
    const badScope = await rejection(
      store.create(input(uniqueId('bad'), { scope: { unit: 'x' } })),
    );
    expect(badScope.details).toEqual({
      problems: [{ field: 'scope.unit', code: 'UNIT_UNKNOWN', message: expect.any(String) }],
    });
    expect(badScope.message).toMatch(/^scope\.unit: unit "x" is not an administrative unit/);

    const device = await rejection(
      store.create(input(uniqueId('one-device'), { scope: { device: 'wl-unknown' } })),
    );
    expect(device.details).toEqual({
      problems: [{ field: 'scope.device', code: 'DEVICE_UNKNOWN', message: expect.any(String) }],
    });
    const known = await store.create(
      input(uniqueId('one-device'), { scope: { device: 'wl-known' } }),
    );
    expect(known.scope).toEqual({ device: 'wl-known' });
  });

  it('replaces a rule whole, enables and disables it, and deletes it with its state', async () => {
    const id = uniqueId('lifecycle');
    await store.create(input(id, { rateLimit: { raises: 5, perS: 600 } }), 'user:a');
    const replaced = await store.update(
      id,
      input(id, {
        severity: 'minor',
        scope: { sector: 'environment' },
        condition: { kind: 'rate', metric: 'level_cm', direction: 'rise', by: 50, windowS: 600 },
        message: { vi: 'Tăng {delta}', en: 'Rose {delta}' },
      }),
      'user:b',
    );
    expect(replaced).toMatchObject({
      severity: 'minor',
      scope: { sector: 'environment' },
      condition: { kind: 'rate', by: 50 },
      rateLimit: { raises: 20, perS: 60 },
      createdBy: 'user:a',
      updatedBy: 'user:b',
    });
    const mismatch = await rejection(store.update(id, input('another-id')));
    expect(mismatch.details).toEqual({
      problems: [{ field: 'id', code: 'RULE_ID_MISMATCH', message: expect.any(String) }],
    });
    expect((await store.setEnabled(id, false, 'user:c')).enabled).toBe(false);
    expect((await store.get(id))?.enabled).toBe(false);
    expect((await store.setEnabled(id, true)).enabled).toBe(true);

    const states = new RuleStateStore(sql);
    await states.save([
      {
        ruleId: id,
        source: 'wl-1',
        phase: 'firing',
        since: Date.UTC(2026, 0, 1),
        raised: true,
        lastReportAt: null,
        detail: {
          deviceId: 'wl-1',
          type: 'water-level',
          unit: '20194',
          sector: 'environment',
          metric: 'level_cm',
          value: 312.5,
        },
      },
    ]);
    expect((await states.load()).filter((s) => s.ruleId === id)).toHaveLength(1);
    const deleted: string[] = [];
    store.on('deleted', (rule) => deleted.push(rule.id));
    expect((await store.remove(id, 'user:d')).id).toBe(id);
    store.removeAllListeners('deleted');
    expect(deleted).toEqual([id]);
    expect(await store.get(id)).toBeUndefined();
    expect((await states.load()).filter((s) => s.ruleId === id)).toEqual([]);
    for (const attempt of [
      () => store.remove(id),
      () => store.update(id, input(id)),
      () => store.setEnabled(id, true),
    ]) {
      const missing = await rejection(attempt());
      expect([missing.statusCode, missing.code]).toEqual([404, 'RULE_NOT_FOUND']);
    }
  });

  it('keeps evaluation state: saved, loaded, deleted; a state of a deleted rule is skipped', async () => {
    const id = uniqueId('stateful');
    await store.create(input(id));
    const states = new RuleStateStore(sql);
    const since = Date.UTC(2026, 2, 1, 7, 30);
    await states.save([
      {
        ruleId: id,
        source: 'wl-1',
        phase: 'pending',
        since,
        raised: false,
        lastReportAt: null,
        detail: {
          deviceId: 'wl-1',
          type: null,
          unit: null,
          sector: null,
          metric: 'level_cm',
          value: 301,
        },
      },
      {
        ruleId: id,
        source: 'wl-2',
        phase: 'watching',
        since,
        raised: false,
        lastReportAt: since + 1234,
        detail: {
          deviceId: 'wl-2',
          type: 'water-level',
          unit: '20194',
          sector: 'environment',
          metric: null,
          value: null,
        },
      },
      {
        ruleId: 'rule-that-was-deleted',
        source: 'wl-3',
        phase: 'firing',
        since,
        raised: true,
        lastReportAt: null,
        detail: {
          deviceId: 'wl-3',
          type: null,
          unit: null,
          sector: null,
          metric: null,
          value: null,
        },
      },
    ]);
    // Saved again: updated in place.
    await states.save([
      {
        ruleId: id,
        source: 'wl-1',
        phase: 'firing',
        since: since + 60_000,
        raised: true,
        lastReportAt: null,
        detail: {
          deviceId: 'wl-1',
          type: null,
          unit: null,
          sector: null,
          metric: 'level_cm',
          value: 305,
        },
      },
    ]);
    const loaded = (await states.load())
      .filter((s) => s.ruleId === id || s.ruleId === 'rule-that-was-deleted')
      .sort((a, b) => a.source.localeCompare(b.source));
    expect(loaded).toEqual([
      {
        ruleId: id,
        source: 'wl-1',
        phase: 'firing',
        since: since + 60_000,
        raised: true,
        lastReportAt: null,
        detail: {
          deviceId: 'wl-1',
          type: null,
          unit: null,
          sector: null,
          metric: 'level_cm',
          value: 305,
        },
      },
      {
        ruleId: id,
        source: 'wl-2',
        phase: 'watching',
        since,
        raised: false,
        lastReportAt: since + 1234,
        detail: {
          deviceId: 'wl-2',
          type: 'water-level',
          unit: '20194',
          sector: 'environment',
          metric: null,
          value: null,
        },
      },
    ]);
    await states.delete([{ ruleId: id, source: 'wl-1' }]);
    expect((await states.load()).filter((s) => s.ruleId === id).map((s) => s.source)).toEqual([
      'wl-2',
    ]);
    await states.deleteRule(id);
    expect((await states.load()).filter((s) => s.ruleId === id)).toEqual([]);
  });

  it('syncs the rules file: creates, replaces, takes over, deletes; file rules are read-only', async () => {
    const apiOnly = uniqueId('api-only');
    const takenOver = uniqueId('taken-over');
    const fromFile = uniqueId('from-file');
    const dropped = uniqueId('dropped');
    await store.create(input(apiOnly));
    await store.create(input(takenOver));
    const check = (value: RuleInput) => {
      const checked = store.check(value);
      if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
      return checked.rule;
    };
    const first = await store.syncFile([
      check(input(fromFile)),
      check(input(takenOver, { severity: 'info' })),
      check(input(dropped)),
    ]);
    expect(first).toEqual({
      created: [fromFile, dropped],
      updated: [takenOver],
      deleted: [],
      unchanged: 0,
    });
    expect(await store.get(takenOver)).toMatchObject({ origin: 'file', severity: 'info' });

    const changed: string[] = [];
    store.on('changed', (rule) => changed.push(rule.id));
    const second = await store.syncFile([
      check(input(fromFile)),
      check(input(takenOver, { severity: 'warning' })),
    ]);
    store.removeAllListeners('changed');
    expect(second).toEqual({ created: [], updated: [takenOver], deleted: [dropped], unchanged: 1 });
    expect(changed).toEqual([takenOver]);
    expect(await store.get(dropped)).toBeUndefined();
    expect(await store.get(apiOnly)).toMatchObject({ origin: 'api' });

    for (const attempt of [
      () => store.update(fromFile, input(fromFile)),
      () => store.setEnabled(fromFile, false),
      () => store.remove(fromFile),
    ]) {
      const refused = await rejection(attempt());
      expect([refused.statusCode, refused.code]).toEqual([409, 'RULE_MANAGED_BY_FILE']);
    }

    const released = await store.releaseFileRules();
    expect(released.sort()).toEqual([fromFile, takenOver].sort());
    expect((await store.setEnabled(fromFile, false)).origin).toBe('api');
  });
});
