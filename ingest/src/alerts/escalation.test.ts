import {
  type AdminUnitTree,
  createLogger,
  type LiveBus,
  loadUnitTree,
  type SqlStore,
  sqlTestBackends,
} from '@ioc/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AlertStore } from './alert-store.js';
import { AlertEscalation, type EscalationMinutes } from './escalation.js';
import { type AlertEvent, storeWithEvents, uniqueRule, waterLevelRaise } from './test-support.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

const { backends, cleanup } = sqlTestBackends('alert-escalation', inject('postgresUrl'));
afterAll(cleanup);

const T0 = new Date('2026-03-01T00:00:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const DEFAULTS: EscalationMinutes = { critical: 5, major: 15, minor: 60, warning: 240, info: 0 };

let units: AdminUnitTree;
beforeAll(async () => {
  units = await loadUnitTree('da-nang-2025-regions');
});

describe.each(backends)('alert escalation on $kind', (backend) => {
  let sql: SqlStore;
  let store: AlertStore;
  let events: AlertEvent[];
  let bus: LiveBus;
  let clock = T0;
  beforeAll(async () => {
    sql = await backend.open();
    ({ store, events, bus } = storeWithEvents(sql, units, { now: () => clock }));
  });
  afterAll(async () => {
    await sql?.close();
    await backend.drop();
  });

  const escalation = (minutesBySeverity = DEFAULTS, maxLevel = 3) =>
    new AlertEscalation({
      store,
      minutes: minutesBySeverity,
      maxLevel,
      logger: createLogger('silent'),
      now: () => clock,
    });
  /** Scans at `at` and returns the escalated alerts of `rule` as "source:level". */
  async function scanAt(scanner: AlertEscalation, at: Date, rule: string): Promise<string[]> {
    clock = at;
    const escalated = await scanner.scan();
    return escalated
      .filter((a) => a.ruleId === rule)
      .map((a) => `${a.source}:${a.escalationLevel}`)
      .sort();
  }

  it('escalates an unacknowledged alert after its severity’s time, then every period', async () => {
    const rule = uniqueRule('escalate');
    const scanner = escalation();
    await store.raise(waterLevelRaise(rule, { source: 'crit', severity: 'critical' }));
    await store.raise(waterLevelRaise(rule, { source: 'major', severity: 'major' }));
    await store.raise(waterLevelRaise(rule, { source: 'info', severity: 'info' }));

    expect(await scanAt(scanner, minutes(4.9), rule)).toEqual([]);
    expect(await scanAt(scanner, minutes(5), rule)).toEqual(['crit:1']);
    // Not again within the next period.
    expect(await scanAt(scanner, minutes(9), rule)).toEqual([]);
    expect(await scanAt(scanner, minutes(10), rule)).toEqual(['crit:2']);
    expect(await scanAt(scanner, minutes(15), rule)).toEqual(['crit:3', 'major:1']);
    // Level 3 is the most; info never escalates.
    expect(await scanAt(scanner, minutes(600), rule)).toEqual(['major:2']);
    expect(await scanAt(scanner, minutes(9000), rule)).toEqual(['major:3']);

    const crit = await store.findOpen(rule, 'crit');
    expect(crit).toMatchObject({ escalationLevel: 3, state: 'active' });
    expect(await store.findOpen(rule, 'info')).toMatchObject({ escalationLevel: 0 });
    const history = await store.history(crit?.id as string);
    expect(history.filter((h) => h.change === 'escalated').map((h) => [h.at, h.details])).toEqual([
      [minutes(5).toISOString(), { level: 1 }],
      [minutes(10).toISOString(), { level: 2 }],
      [minutes(15).toISOString(), { level: 3 }],
    ]);
    const published = events.filter(
      (e) => e.change === 'escalated' && e.alert.ruleId === rule && e.alert.source === 'crit',
    );
    expect(published.map((e) => [e.alert.escalationLevel, e.actor, e.at])).toEqual([
      [1, null, minutes(5).toISOString()],
      [2, null, minutes(10).toISOString()],
      [3, null, minutes(15).toISOString()],
    ]);
  });

  it('leaves acknowledged and closed alerts alone', async () => {
    const rule = uniqueRule('quiet');
    const scanner = escalation();
    await store.raise(waterLevelRaise(rule, { source: 'acked', severity: 'critical' }));
    await store.raise(waterLevelRaise(rule, { source: 'cleared', severity: 'critical' }));
    await store.raise(waterLevelRaise(rule, { source: 'open', severity: 'critical' }));
    clock = minutes(1);
    await store.acknowledge((await store.findOpen(rule, 'acked'))?.id as string, 'an');
    await store.clear({ ruleId: rule, source: 'cleared', at: minutes(2) });
    expect(await scanAt(scanner, minutes(6), rule)).toEqual(['open:1']);
  });

  it('takes its times from configuration (here: minor after 1 minute)', async () => {
    const rule = uniqueRule('configured');
    const scanner = escalation({ ...DEFAULTS, minor: 1 }, 1);
    await store.raise(waterLevelRaise(rule, { source: 'minor', severity: 'minor' }));
    expect(await scanAt(scanner, minutes(1), rule)).toEqual(['minor:1']);
    expect(await scanAt(scanner, minutes(2), rule)).toEqual([]);
    expect(() => escalation({ ...DEFAULTS, major: -1 })).toThrow(/0 \(never\) or more/);
  });

  it('escalates a storm, not the alerts grouped under it', async () => {
    const rule = uniqueRule('storm');
    const scanner = escalation();
    const communes = units.children('KV48').map((u) => u.code);
    for (let n = 0; n < 10; n++) {
      await store.raise(
        waterLevelRaise(rule, { source: `dev-${n}`, unit: communes[n], severity: 'critical' }),
      );
    }
    expect(await scanAt(scanner, minutes(5), rule)).toEqual(['storm:KV48:1']);
  });

  it('escalates twice-running scans once (another process scanning the same database)', async () => {
    const rule = uniqueRule('twice');
    const [a, b] = [escalation(), escalation()];
    await store.raise(waterLevelRaise(rule, { source: 'x', severity: 'critical' }));
    clock = minutes(5);
    const [first, second] = await Promise.all([a.scan(), b.scan()]);
    const mine = [...first, ...second].filter((s) => s.ruleId === rule);
    expect(mine.map((s) => s.escalationLevel)).toEqual([1]);
  });

  it('scans on its timer once started, until stopped', async () => {
    const rule = uniqueRule('timer');
    await store.raise(waterLevelRaise(rule, { source: 'late', severity: 'critical', at: T0 }));
    clock = minutes(60);
    const scanner = escalation();
    const escalated = new Promise<AlertEvent>((resolve) => {
      const off = bus.subscribe('alert.changed', (event) => {
        if (event.change === 'escalated' && event.alert.ruleId === rule) {
          off();
          resolve(event);
        }
      });
    });
    scanner.start();
    expect((await escalated).alert).toMatchObject({ source: 'late', escalationLevel: 1 });
    await scanner.stop();
  });
});
