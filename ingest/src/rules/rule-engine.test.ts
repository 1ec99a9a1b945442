import { EventEmitter, once } from 'node:events';
import {
  type AdminUnitTree,
  createLogger,
  type KpiObservation,
  LiveBus,
  loadUnitTree,
  type SqlStore,
  sqlTestBackends,
} from '@ioc/core';
import { type DeviceCatalogue, loadDeviceCatalogue } from '@ioc/devices';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { ManualClock } from '../clock.js';
import type { TelemetryPipelineEvents } from '../pipeline/telemetry-pipeline.js';
import type { RuleInput } from './rule.js';
import { RuleEngine } from './rule-engine.js';
import { RuleStore } from './rule-store.js';
import { deviceLookup, pointOf, RecordingSink, type TestDevice } from './test-support.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

// Rules and their state live in SQL (PGlite here; both engines in rule-store.test.ts).
const { backends, cleanup } = sqlTestBackends('rule-engine', inject('postgresUrl'));
const pglite = backends.find((b) => b.kind === 'pglite');
afterAll(cleanup);

/** da-nang-2025-regions: 48 (city) → KV48 (former Da Nang) → 20194 Hải Vân, 20197; KV49 → 20335. */
const WL_HAI_VAN: TestDevice = {
  id: 'wl-hai-van',
  name: 'Trạm Cu Đê',
  type: 'water-level',
  unit: '20194',
  sector: 'environment',
};
const WL_BAN_THACH: TestDevice = {
  id: 'wl-ban-thach',
  name: 'Trạm Bàn Thạch',
  type: 'water-level',
  unit: '20335',
  sector: 'environment',
};
const AQ_HAI_VAN: TestDevice = {
  id: 'aq-hai-van',
  name: 'Không khí Hải Vân',
  type: 'air-quality',
  unit: '20194',
  sector: 'environment',
};
const TC_LIEN_CHIEU: TestDevice = {
  id: 'tc-lien-chieu',
  name: 'Đếm xe Liên Chiểu',
  type: 'traffic-counter',
  unit: '20197',
  sector: 'transport',
};
const DEVICES = [WL_HAI_VAN, WL_BAN_THACH, AQ_HAI_VAN, TC_LIEN_CHIEU];

const T0 = Date.UTC(2026, 5, 1, 3, 0, 0);
const S = 1000;

let sql: SqlStore;
let units: AdminUnitTree;
let catalogue: DeviceCatalogue;
let store: RuleStore;
beforeAll(async () => {
  if (!pglite) throw new Error('no PGlite backend');
  [units, catalogue, sql] = await Promise.all([
    loadUnitTree('da-nang-2025-regions'),
    loadDeviceCatalogue(),
    pglite.open(),
  ]);
  store = new RuleStore({ sql, catalogue, units });
});
afterAll(async () => {
  await sql?.close();
});

let clock: ManualClock;
let sink: RecordingSink;
const engines: RuleEngine[] = [];
beforeEach(async () => {
  await sql.query('DELETE FROM rules');
  clock = new ManualClock(T0);
  sink = new RecordingSink();
});
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop();
});

async function startEngine(): Promise<RuleEngine> {
  const engine = new RuleEngine({
    rules: store,
    sink,
    units,
    catalogue,
    devices: deviceLookup(DEVICES),
    logger: createLogger('silent'),
    clock,
    sinkRetryMs: 5 * S,
  });
  await engine.start();
  engines.push(engine);
  return engine;
}

function rule(input: Partial<RuleInput> & Pick<RuleInput, 'id' | 'condition'>): RuleInput {
  return {
    name: { vi: `Quy tắc ${input.id}`, en: `Rule ${input.id}` },
    severity: 'major',
    message: { vi: '{device}: cảnh báo', en: '{device}: alert' },
    ...input,
  };
}

const HIGH_WATER = rule({
  id: 'high-water',
  scope: { type: 'water-level' },
  condition: {
    kind: 'threshold',
    metric: 'level_cm',
    op: 'above',
    value: 300,
    clear: 280,
    forS: 60,
  },
  message: {
    vi: 'Mực nước tại {deviceName} ({area}) là {value} {unit}, vượt ngưỡng {threshold} {unit}',
    en: '{metric} at {deviceName} ({area}) is {value} {unit}, above {threshold} {unit}',
  },
});

/** Feeds a water level of `device` at `clock + offset`, moving the clock there first. */
function level(engine: RuleEngine, device: TestDevice, value: number, advanceMs = 0) {
  clock.advance(advanceMs);
  engine.evaluate([pointOf(device, clock.now(), { level_cm: value, battery_v: 3.9 })]);
}

describe('threshold with hysteresis and a "for" duration', () => {
  it('raises only after the value stays above for 60 s, and noise around the threshold does not flap', async () => {
    await store.create(HIGH_WATER);
    const engine = await startEngine();
    const pending: string[] = [];
    engine.on('pending', (t) => pending.push(t.source));

    // Noise around 300: each dip below restarts "for", so nothing is raised.
    level(engine, WL_HAI_VAN, 301);
    for (const value of [299, 302, 298, 301, 299.5]) level(engine, WL_HAI_VAN, value, 20 * S);
    clock.advance(120 * S);
    await engine.idle();
    expect(sink.raises).toEqual([]);
    expect(pending.length).toBe(3);

    // Above for the whole minute: raised at exactly 60 s after the first value above.
    level(engine, WL_HAI_VAN, 310);
    const startedAt = clock.now();
    level(engine, WL_HAI_VAN, 312, 20 * S);
    level(engine, WL_HAI_VAN, 315.5, 20 * S);
    await engine.idle();
    expect(sink.raises).toEqual([]);
    const raised = once(engine, 'raised');
    clock.advance(20 * S);
    const [raise] = await raised;
    expect(raise).toMatchObject({
      ruleId: 'high-water',
      source: 'wl-hai-van',
      severity: 'major',
      deviceId: 'wl-hai-van',
      unit: '20194',
      sector: 'environment',
      metric: 'level_cm',
      value: 315.5,
      at: new Date(startedAt + 60 * S),
    });
    // Rendered in both languages: Vietnamese decimals with a comma, names from the catalogue.
    expect(raise.message.vi).toBe(
      'Mực nước tại Trạm Cu Đê (Hải Vân) là 315,5 cm, vượt ngưỡng 300 cm'.normalize('NFC'),
    );
    expect(raise.message.en).toBe('Water level at Trạm Cu Đê (Hai Van) is 315.5 cm, above 300 cm');
    expect(raise.message.vi).toBe(raise.message.vi.normalize('NFC'));

    // Noise around the threshold while firing: still above the clear level (280), no clear.
    for (const value of [299, 301, 290, 281]) level(engine, WL_HAI_VAN, value, 10 * S);
    await engine.idle();
    expect(sink.clears).toEqual([]);
    expect(sink.raises).toHaveLength(1);

    // Below the clear level: cleared.
    const cleared = once(engine, 'cleared');
    level(engine, WL_HAI_VAN, 279.9, 10 * S);
    const [clear] = await cleared;
    expect(clear).toEqual({
      ruleId: 'high-water',
      source: 'wl-hai-van',
      at: new Date(clock.now()),
    });
    expect(sink.open.size).toBe(0);
  });

  it('without "for" raises on the first value past the threshold; "below" clears above its clear level', async () => {
    await store.create(
      rule({
        id: 'low-battery',
        scope: { type: 'water-level' },
        condition: { kind: 'threshold', metric: 'battery_v', op: 'below', value: 3.3, clear: 3.5 },
      }),
    );
    const engine = await startEngine();
    engine.evaluate([pointOf(WL_HAI_VAN, clock.now(), { battery_v: 3.4 })]);
    await engine.idle();
    expect(sink.raises).toHaveLength(0);
    engine.evaluate([pointOf(WL_HAI_VAN, clock.now() + 1, { battery_v: 3.29 })]);
    await engine.idle();
    expect(sink.raises.map((r) => [r.source, r.value])).toEqual([['wl-hai-van', 3.29]]);
    engine.evaluate([pointOf(WL_HAI_VAN, clock.now() + 2, { battery_v: 3.45 })]);
    await engine.idle();
    expect(sink.clears).toHaveLength(0);
    engine.evaluate([pointOf(WL_HAI_VAN, clock.now() + 3, { battery_v: 3.6 })]);
    await engine.idle();
    expect(sink.clears).toHaveLength(1);
  });

  it('ignores a point older than the last one evaluated (a late reading does not undo the state)', async () => {
    await store.create(
      rule({
        id: 'instant-high',
        condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 300, clear: 280 },
      }),
    );
    const engine = await startEngine();
    engine.evaluate([pointOf(WL_HAI_VAN, T0 + 10 * S, { level_cm: 350 })]);
    engine.evaluate([pointOf(WL_HAI_VAN, T0 + 5 * S, { level_cm: 100 })]);
    await engine.idle();
    expect(sink.raises).toHaveLength(1);
    expect(sink.clears).toHaveLength(0);
  });
});

describe('rate of change', () => {
  it('raises when the level rises by 50 cm within 10 minutes and clears when it no longer does', async () => {
    await store.create(
      rule({
        id: 'fast-rise',
        scope: { type: 'water-level' },
        condition: { kind: 'rate', metric: 'level_cm', direction: 'rise', by: 50, windowS: 600 },
        message: {
          vi: '{metric} tăng {delta} {unit} trong {window}',
          en: '{metric} rose {delta} {unit} within {window}',
        },
      }),
    );
    await store.create(
      rule({
        id: 'slow-rise',
        scope: { device: WL_HAI_VAN.id },
        condition: { kind: 'rate', metric: 'level_cm', direction: 'rise', by: 20, windowS: 600 },
      }),
    );
    await store.create(
      rule({
        id: 'fast-fall',
        scope: { type: 'water-level' },
        condition: { kind: 'rate', metric: 'level_cm', direction: 'fall', by: 50, windowS: 600 },
      }),
    );
    const engine = await startEngine();
    level(engine, WL_HAI_VAN, 100);
    level(engine, WL_HAI_VAN, 120, 60 * S);
    await engine.idle();
    // Rules on the same window share it; each judges by its own "by".
    expect(sink.raises.map((r) => [r.ruleId, r.value])).toEqual([['slow-rise', 120]]);
    level(engine, WL_HAI_VAN, 140, 60 * S);
    await engine.idle();
    expect(sink.raises).toHaveLength(1);
    level(engine, WL_HAI_VAN, 155, 60 * S);
    await engine.idle();
    expect(sink.raises).toHaveLength(2);
    expect(sink.raises[1]).toMatchObject({ ruleId: 'fast-rise', value: 155 });
    expect(sink.raises[1]?.message).toEqual({
      vi: 'Mực nước tăng 55 cm trong 10 phút',
      en: 'Water level rose 55 cm within 10 min',
    });
    // Ten minutes later the window holds 155 and 150 only: the rise is over.
    level(engine, WL_HAI_VAN, 150, 600 * S);
    await engine.idle();
    expect(sink.clears.map((c) => c.ruleId).sort()).toEqual(['fast-rise', 'slow-rise']);
    expect(sink.raises.map((r) => r.ruleId)).toEqual(['slow-rise', 'fast-rise']);
  });
});

describe('missing data', () => {
  it("raises after 3 × the type's report interval without a report and clears on the next one", async () => {
    await store.create(
      rule({
        id: 'water-silent',
        scope: { type: 'water-level' },
        condition: { kind: 'missing-data', factor: 3 },
        message: { vi: '{deviceName} im lặng {silence}', en: '{deviceName} silent for {silence}' },
      }),
    );
    const engine = await startEngine();
    // Reporting every 5 minutes (the type's interval) for an hour: never missing.
    level(engine, WL_HAI_VAN, 100);
    for (let i = 0; i < 12; i++) level(engine, WL_HAI_VAN, 100 + i, 300 * S);
    await engine.idle();
    expect(sink.raises).toHaveLength(0);

    const lastReport = clock.now();
    clock.advance(900 * S - 1);
    await engine.idle();
    expect(sink.raises).toHaveLength(0);
    const raised = once(engine, 'raised');
    clock.advance(1);
    const [raise] = await raised;
    expect(raise).toMatchObject({
      ruleId: 'water-silent',
      source: 'wl-hai-van',
      value: null,
      at: new Date(lastReport + 900 * S),
      message: { vi: 'Trạm Cu Đê im lặng 15 phút', en: 'Trạm Cu Đê silent for 15 min' },
    });
    const cleared = once(engine, 'cleared');
    level(engine, WL_HAI_VAN, 120, 60 * S);
    await cleared;
    // Watched again: silent for another 15 minutes raises again.
    const again = once(engine, 'raised');
    clock.advance(900 * S);
    await again;
    expect(sink.raises).toHaveLength(2);
  });

  it('with a metric, only reports of that metric count', async () => {
    await store.create(
      rule({
        id: 'no-level',
        scope: { device: WL_HAI_VAN.id },
        condition: { kind: 'missing-data', metric: 'level_cm', factor: 2 },
      }),
    );
    const engine = await startEngine();
    level(engine, WL_HAI_VAN, 100);
    for (let i = 1; i <= 3; i++) {
      clock.advance(300 * S);
      engine.evaluate([pointOf(WL_HAI_VAN, clock.now(), { battery_v: 3.9 })]);
    }
    await engine.idle();
    expect(sink.raises.map((r) => [r.ruleId, r.at.getTime()])).toEqual([
      ['no-level', T0 + 600 * S],
    ]);
  });
});

describe('missing data: which devices are watched', () => {
  it('watches devices already seen when a rule is created, and only types that have the metric', async () => {
    const engine = await startEngine();
    level(engine, WL_HAI_VAN, 100);
    engine.evaluate([pointOf(AQ_HAI_VAN, clock.now(), { pm25: 12 })]);
    clock.advance(60 * S);
    await store.create(
      rule({
        id: 'no-level-anywhere',
        condition: { kind: 'missing-data', metric: 'level_cm', factor: 3 },
      }),
    );
    // Watched from the rule's creation: the water-level station only (air quality has no level).
    const created = clock.now();
    clock.advance(900 * S);
    await engine.idle();
    expect(sink.raises.map((r) => [r.source, r.at.getTime()])).toEqual([
      ['wl-hai-van', created + 900 * S],
    ]);
  });

  it('stops watching a device that moved out of scope, clearing its alert', async () => {
    await store.create(
      rule({
        id: 'kv48-silent',
        scope: { unit: 'KV48' },
        condition: { kind: 'missing-data', factor: 3 },
      }),
    );
    const engine = await startEngine();
    level(engine, WL_HAI_VAN, 100);
    const raised = once(engine, 'raised');
    clock.advance(900 * S);
    await raised;
    // Re-provisioned in Bàn Thạch (KV49): its next report comes from outside the scope.
    const cleared = once(engine, 'cleared');
    level(engine, { ...WL_HAI_VAN, unit: '20335' }, 100, S);
    await cleared;
    clock.advance(3600 * S);
    await engine.idle();
    expect(sink.raises).toHaveLength(1);
    expect(sink.open.size).toBe(0);
  });
});

describe('offline and KPI rules from the live bus', () => {
  it('raises when a device in scope goes offline and clears when it is back', async () => {
    await store.create(
      rule({
        id: 'env-offline',
        scope: { sector: 'environment' },
        condition: { kind: 'offline' },
        message: { vi: '{deviceName} mất kết nối', en: '{deviceName} is offline' },
      }),
    );
    await store.create(
      rule({
        id: 'slow-offline',
        scope: { device: AQ_HAI_VAN.id },
        condition: { kind: 'offline', forS: 120 },
      }),
    );
    const engine = await startEngine();
    const bus = new LiveBus();
    engine.attach(new EventEmitter<TelemetryPipelineEvents>(), bus);
    const presence = (device: TestDevice, state: 'online' | 'offline') =>
      bus.publish('device.presence', {
        deviceId: device.id,
        state,
        at: new Date(clock.now()).toISOString(),
        reason: state === 'online' ? 'connect' : 'keepalive-timeout',
      });

    presence(WL_HAI_VAN, 'offline');
    presence(TC_LIEN_CHIEU, 'offline'); // transport: out of scope
    await engine.idle();
    expect(sink.raises.map((r) => [r.ruleId, r.source])).toEqual([['env-offline', 'wl-hai-van']]);
    expect(sink.raises[0]?.message).toEqual({
      vi: 'Trạm Cu Đê mất kết nối',
      en: 'Trạm Cu Đê is offline',
    });
    presence(WL_HAI_VAN, 'online');
    await engine.idle();
    expect(sink.clears.map((c) => c.source)).toEqual(['wl-hai-van']);

    // Offline for 60 s of a 120 s "for": no alert from slow-offline.
    presence(AQ_HAI_VAN, 'offline');
    await engine.idle();
    clock.advance(60 * S);
    presence(AQ_HAI_VAN, 'online');
    await engine.idle();
    clock.advance(120 * S);
    await engine.idle();
    expect(sink.raises.filter((r) => r.ruleId === 'slow-offline')).toEqual([]);
    presence(AQ_HAI_VAN, 'offline');
    await engine.idle();
    clock.advance(120 * S);
    await engine.idle();
    expect(sink.raises.filter((r) => r.ruleId === 'slow-offline').map((r) => r.at)).toEqual([
      new Date(clock.now()),
    ]);
  });

  it('stops following presence once the process is stopping (its own disconnects raise nothing)', async () => {
    await store.create(
      rule({ id: 'any-offline', scope: { type: 'water-level' }, condition: { kind: 'offline' } }),
    );
    const engine = await startEngine();
    const bus = new LiveBus();
    engine.attach(new EventEmitter<TelemetryPipelineEvents>(), bus);
    const offline = (device: TestDevice) =>
      bus.publish('device.presence', {
        deviceId: device.id,
        state: 'offline',
        at: new Date(clock.now()).toISOString(),
        reason: 'broker-stopping',
      });

    // Before the stop signal an offline device raises, so the rule itself is live.
    offline(WL_HAI_VAN);
    await engine.idle();
    expect(sink.raises.map((r) => r.source)).toEqual(['wl-hai-van']);

    bus.publish('process.stopping', { signal: 'SIGTERM' });
    offline(WL_BAN_THACH);
    clock.advance(60 * S);
    await engine.idle();
    expect(sink.raises.map((r) => r.source)).toEqual(['wl-hai-van']);
  });

  it('raises when a KPI falls below target in the scoped units, judging only the newest day', async () => {
    await store.create(
      rule({
        id: 'on-time-low',
        scope: { unit: 'KV48' },
        condition: { kind: 'kpi', kpi: 'on-time-rate', op: 'below', target: 90 },
        message: {
          vi: 'Tỷ lệ đúng hạn tại {area} là {value}%, dưới chỉ tiêu {target}%',
          en: 'On-time rate in {area} is {value}%, below the {target}% target',
        },
      }),
    );
    const engine = await startEngine();
    const bus = new LiveBus();
    engine.attach(new EventEmitter<TelemetryPipelineEvents>(), bus);
    const observation = (unit: string, date: string, value: number): KpiObservation => ({
      kpi: 'on-time-rate',
      unit,
      sector: 'public-services',
      date,
      ts: `${date}T00:00:00.000Z`,
      value,
    });

    // A year of history where most days were below target, the newest day above: no alert.
    const history = Array.from({ length: 365 }, (_, i) => {
      const date = new Date(Date.UTC(2025, 5, 1) + i * 86_400_000).toISOString().slice(0, 10);
      return observation('20194', date, i === 364 ? 95 : 80);
    });
    bus.publish('kpi.observed', { observations: history });
    await engine.idle();
    expect(sink.raises).toEqual([]);

    bus.publish('kpi.observed', {
      observations: [
        observation('20194', '2026-06-01', 87.5),
        observation('20335', '2026-06-01', 50),
      ],
    });
    await engine.idle();
    expect(sink.raises).toHaveLength(1);
    expect(sink.raises[0]).toMatchObject({
      ruleId: 'on-time-low',
      source: 'kpi:on-time-rate:20194',
      deviceId: null,
      unit: '20194',
      sector: 'public-services',
      metric: 'on-time-rate',
      value: 87.5,
      message: {
        vi: 'Tỷ lệ đúng hạn tại Hải Vân là 87,5%, dưới chỉ tiêu 90%',
        en: 'On-time rate in Hai Van is 87.5%, below the 90% target',
      },
    });

    // An older day arriving late does not count; the next day above target clears.
    bus.publish('kpi.observed', { observations: [observation('20194', '2026-05-01', 99)] });
    await engine.idle();
    expect(sink.clears).toEqual([]);
    bus.publish('kpi.observed', { observations: [observation('20194', '2026-06-02', 92)] });
    await engine.idle();
    expect(sink.clears.map((c) => c.source)).toEqual(['kpi:on-time-rate:20194']);
  });
});

describe('scope', () => {
  it('matches by device type, sector, unit subtree and single device, all fields together', async () => {
    const always = (id: string, scope: RuleInput['scope'], metric = 'level_cm') =>
      store.create(
        rule({ id, scope, condition: { kind: 'threshold', metric, op: 'above', value: 0 } }),
      );
    await always('by-type', { type: 'water-level' });
    await always('by-sector-transport', { sector: 'transport' }, 'vehicles');
    await always('by-subtree-kv48', { unit: 'KV48' });
    await always('by-commune-20335', { unit: '20335' });
    await always('by-device', { device: WL_BAN_THACH.id });
    await always('by-type-and-unit', { type: 'water-level', unit: 'KV49' });
    await always('by-province', { unit: '48' }, 'pm25');
    await always('everything', {}, 'vehicles');
    const engine = await startEngine();
    const t = clock.now();
    engine.evaluate([
      pointOf(WL_HAI_VAN, t, { level_cm: 10 }),
      pointOf(WL_BAN_THACH, t, { level_cm: 10 }),
      pointOf(AQ_HAI_VAN, t, { pm25: 10 }),
      pointOf(TC_LIEN_CHIEU, t, { vehicles: 10 }),
    ]);
    await engine.idle();
    const raised = sink.raises.map((r) => `${r.ruleId} ${r.source}`).sort();
    expect(raised).toEqual(
      [
        'by-type wl-hai-van',
        'by-type wl-ban-thach',
        'by-sector-transport tc-lien-chieu',
        'by-subtree-kv48 wl-hai-van',
        'by-commune-20335 wl-ban-thach',
        'by-device wl-ban-thach',
        'by-type-and-unit wl-ban-thach',
        'by-province aq-hai-van',
        'everything tc-lien-chieu',
      ].sort(),
    );
  });
});

describe('storm protection', () => {
  it("holds raises beyond the rule's rate limit back and sends them as the budget refills", async () => {
    await store.create(
      rule({
        id: 'storm',
        scope: { type: 'water-level' },
        condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 300 },
        rateLimit: { raises: 2, perS: 60 },
      }),
    );
    const engine = await startEngine();
    const deferred: string[] = [];
    engine.on('deferred', (d) => deferred.push(d.source));
    const devices = Array.from({ length: 5 }, (_, i) => ({ ...WL_HAI_VAN, id: `wl-${i}` }));
    engine.evaluate(devices.map((d) => pointOf(d, clock.now(), { level_cm: 400 })));
    await engine.idle();
    expect(sink.raises.map((r) => r.source)).toEqual(['wl-0', 'wl-1']);
    expect(deferred).toEqual(['wl-2', 'wl-3', 'wl-4']);
    // Two per minute: one more every 30 s.
    clock.advance(30 * S);
    await engine.idle();
    expect(sink.raises).toHaveLength(3);
    clock.advance(60 * S);
    await engine.idle();
    expect(sink.raises.map((r) => r.source)).toEqual(['wl-0', 'wl-1', 'wl-2', 'wl-3', 'wl-4']);
    // A held-back source whose condition ends before its turn is never raised or cleared.
    engine.evaluate([pointOf(WL_BAN_THACH, clock.now(), { level_cm: 400 })]);
    engine.evaluate([pointOf(WL_BAN_THACH, clock.now() + 1, { level_cm: 100 })]);
    clock.advance(120 * S);
    await engine.idle();
    expect(sink.raises.filter((r) => r.source === WL_BAN_THACH.id)).toEqual([]);
    expect(sink.clears.filter((c) => c.source === WL_BAN_THACH.id)).toEqual([]);
  });

  it('tries a raise the alert store refused again later', async () => {
    await store.create(
      rule({
        id: 'retry',
        condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 300 },
      }),
    );
    const engine = await startEngine();
    sink.failNext = 1;
    level(engine, WL_HAI_VAN, 400);
    await engine.idle();
    expect(sink.raises).toHaveLength(0);
    const raised = once(engine, 'raised');
    clock.advance(5 * S);
    expect((await raised)[0]).toMatchObject({ ruleId: 'retry', source: 'wl-hai-van' });
  });
});

describe('rule changes and restarts', () => {
  it('applies rules created, disabled and deleted while running; disabling clears its alerts', async () => {
    const engine = await startEngine();
    await store.create(
      rule({
        id: 'live',
        condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 300 },
      }),
    );
    level(engine, WL_HAI_VAN, 400);
    await engine.idle();
    expect(sink.raises).toHaveLength(1);
    await store.setEnabled('live', false);
    await engine.idle();
    expect(sink.clears.map((c) => c.ruleId)).toEqual(['live']);
    level(engine, WL_HAI_VAN, 410, S);
    await engine.idle();
    expect(sink.raises).toHaveLength(1);
    await store.setEnabled('live', true);
    level(engine, WL_HAI_VAN, 420, S);
    await engine.idle();
    expect(sink.raises).toHaveLength(2);
    await store.remove('live');
    await engine.idle();
    expect(sink.clears).toHaveLength(2);
    expect(engine.size).toBe(0);
  });

  it('an engine rebuilt from SQL continues a pending "for" and keeps the hysteresis of a firing alert', async () => {
    await store.create(HIGH_WATER);
    await store.create(
      rule({
        id: 'silent',
        scope: { device: WL_BAN_THACH.id },
        condition: { kind: 'missing-data', factor: 3 },
      }),
    );
    const first = await startEngine();
    level(first, WL_HAI_VAN, 305); // pending from T0
    level(first, WL_BAN_THACH, 200); // missing-data deadline T0 + 900 s
    clock.advance(30 * S);
    await first.stop();

    const second = await startEngine();
    clock.advance(29 * S);
    await second.idle();
    expect(sink.raises).toEqual([]);
    const raised = once(second, 'raised');
    clock.advance(1 * S);
    expect((await raised)[0]).toMatchObject({
      ruleId: 'high-water',
      source: 'wl-hai-van',
      value: 305,
      at: new Date(T0 + 60 * S),
    });
    await second.stop();

    // Restarted while firing: 290 is above the clear level (280), so the alert stays open.
    const third = await startEngine();
    level(third, WL_HAI_VAN, 290, S);
    await third.idle();
    expect(sink.clears).toEqual([]);
    level(third, WL_HAI_VAN, 270, S);
    await third.idle();
    expect(sink.clears.map((c) => c.ruleId)).toEqual(['high-water']);
    // The missing-data deadline survived both restarts.
    const silent = once(third, 'raised');
    clock.advance(T0 + 900 * S - clock.now());
    expect((await silent)[0]).toMatchObject({ ruleId: 'silent', at: new Date(T0 + 900 * S) });
  });

  it('a restart raises again what it decided but the alert store never confirmed', async () => {
    await store.create(
      rule({
        id: 'unconfirmed',
        condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 300 },
      }),
    );
    const first = await startEngine();
    sink.failNext = 1;
    level(first, WL_HAI_VAN, 400);
    await first.stop();
    expect(sink.raises).toHaveLength(0);
    const second = await startEngine();
    await second.idle();
    expect(sink.raises.map((r) => r.ruleId)).toEqual(['unconfirmed']);
  });
});

describe('robustness', () => {
  it('ignores what it cannot judge: unknown units and types, boolean values, a stopped engine', async () => {
    await store.create(
      rule({
        id: 'robust',
        condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 300 },
      }),
    );
    await store.create(rule({ id: 'robust-missing', condition: { kind: 'missing-data' } }));
    const engine = await startEngine();
    const stranger = { ...WL_HAI_VAN, id: 'stranger', unit: 'nowhere', type: 'no-such-type' };
    expect(() =>
      engine.evaluate([
        pointOf(stranger, clock.now(), { level_cm: 400 }),
        pointOf(WL_HAI_VAN, clock.now(), { level_cm: true }),
      ]),
    ).not.toThrow();
    await engine.idle();
    // The unknown-unit device still matches an unscoped rule; the boolean value does not.
    expect(sink.raises.map((r) => r.source)).toEqual(['stranger']);
    await engine.stop();
    engine.evaluate([pointOf(WL_BAN_THACH, clock.now(), { level_cm: 400 })]);
    expect(sink.raises).toHaveLength(1);
  });
});
