import { EventEmitter } from 'node:events';
import {
  type AdminUnitTree,
  type InfluxStore,
  LiveBus,
  loadConfig,
  loadUnitTree,
  openSqlStore,
  type SqlStore,
} from '@ioc/core';
import { type DeviceCatalogue, loadDeviceCatalogue } from '@ioc/devices';
import { KpiDemoModel } from '@ioc/simulators';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryPipelineEvents } from '../pipeline/telemetry-pipeline.js';
import { RuleEngine } from '../rules/rule-engine.js';
import { RuleStore } from '../rules/rule-store.js';
import { applyRulesFile, DEMO_RULES_FILE } from '../rules/rules-file.js';
import { deviceLookup, RecordingSink } from '../rules/test-support.js';
import { KpiCatalogue } from './catalogue.js';
import { KpiService } from './kpi-service.js';
import { smallProvince, TestInflux, tempDir, testLogger } from './test-support.js';

// KPI rules on ratio KPIs end to end in ingest: parts submitted to the real KPI service on a
// real influxd, the ratios it derives on the bus, the real rule engine (rules in PGlite)
// raising into a recording sink.
const logger = testLogger();
let influx: TestInflux;
let catalogue: KpiCatalogue;
let devices: DeviceCatalogue;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  influx = await TestInflux.start();
  [catalogue, devices] = await Promise.all([KpiCatalogue.load(), loadDeviceCatalogue()]);
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await influx?.stop();
});

/** A KPI service and a started rule engine on one bus, over `units`, with fresh stores. */
async function ingestOf(units: AdminUnitTree, database: string) {
  const dataDir = await tempDir('ioc-kpi-rules-');
  const config = loadConfig({ env: {}, cwd: dataDir, overrides: { dataDir } });
  const sql: SqlStore = await openSqlStore(config, logger);
  closers.push(() => sql.close());
  const store: InfluxStore = await influx.connect(database);
  closers.push(() => store.close());
  const bus = new LiveBus();
  const kpi = new KpiService({
    influx: store,
    catalogue,
    units,
    bus,
    logger,
    metrics: new Registry(),
  });
  const rules = new RuleStore({
    sql,
    catalogue: devices,
    units,
    kpis: { has: (code) => catalogue.get(code) !== undefined },
  });
  const sink = new RecordingSink();
  const engine = new RuleEngine({
    rules,
    sink,
    units,
    catalogue: devices,
    devices: deviceLookup([]),
    logger,
  });
  await engine.start();
  closers.push(() => engine.stop());
  engine.attach(new EventEmitter<TelemetryPipelineEvents>(), bus);
  return { config, kpi, rules, sink, engine };
}

describe('a KPI rule on a ratio KPI', () => {
  it('raises for a commune whose on-time rate is below target and not for one above it', async () => {
    const { kpi, rules, sink, engine } = await ingestOf(smallProvince(), 'ioc_kpi_rules_small');
    await rules.create({
      id: 'on-time-low',
      name: { vi: 'Đúng hạn thấp', en: 'On-time rate low' },
      severity: 'warning',
      scope: {},
      condition: { kind: 'kpi', kpi: 'on_time_rate', op: 'below', target: 90 },
      message: {
        vi: 'Tỷ lệ đúng hạn tại {area} là {value} %',
        en: 'On-time rate in {area} is {value} %',
      },
    });
    const date = '2025-09-10';
    const report = await kpi.submit([
      // C11 is late (7 of 10 on time), C12 is fine (19 of 20), C21 too (48 of 50).
      { kpi: 'dossiers_on_time', unit: 'C11', date, value: 7 },
      { kpi: 'dossiers_late', unit: 'C11', date, value: 3 },
      { kpi: 'dossiers_on_time', unit: 'C12', date, value: 19 },
      { kpi: 'dossiers_late', unit: 'C12', date, value: 1 },
      { kpi: 'dossiers_on_time', unit: 'C21', date, value: 48 },
      { kpi: 'dossiers_late', unit: 'C21', date, value: 2 },
    ]);
    expect(report.rejected).toBe(0);
    await engine.idle();
    // C11 (70 %) and its district D1 (26 of 30); not C12, C21, D2 (96 %) or P1 (74 of 80).
    expect(sink.raises.map((r) => [r.source, r.unit, r.sector, r.value])).toEqual([
      ['kpi:on_time_rate:C11', 'C11', null, 70],
      ['kpi:on_time_rate:D1', 'D1', null, (26 / 30) * 100],
    ]);
    expect(sink.raises[0]?.message.en).toBe('On-time rate in Đơn vị C11 is 70 %');

    // The late commune catches up the next day: its alert clears, the district's too.
    await kpi.submit([
      { kpi: 'dossiers_on_time', unit: 'C11', date: '2025-09-11', value: 10 },
      { kpi: 'dossiers_late', unit: 'C11', date: '2025-09-11', value: 0 },
    ]);
    await engine.idle();
    expect(sink.clears.map((c) => c.source)).toEqual([
      'kpi:on_time_rate:C11',
      'kpi:on_time_rate:D1',
    ]);
  });
});

describe('the demo KPI rules on the demo feed', () => {
  it('raise "on-time rate below 90 %" for exactly the communes below 90 % that day, the chronically late among them', async () => {
    const probe = loadConfig({ env: {} });
    const units = await loadUnitTree(probe.units.dataset);
    const { config, kpi, rules, sink, engine } = await ingestOf(units, 'ioc_kpi_rules_demo');
    await applyRulesFile(DEMO_RULES_FILE, rules);
    const model = new KpiDemoModel({ units, seed: config.simulators.seed });
    const date = '2025-10-15'; // an ordinary Wednesday
    const rows = model.day(date);
    expect((await kpi.submit(rows)).rejected).toBe(0);
    await engine.idle();

    // Each commune's rate by hand from the rows the feed sends: all sectors together.
    const expected: string[] = [];
    for (const unit of model.units) {
      const sum = (code: string) =>
        rows.filter((r) => r.unit === unit && r.kpi === code).reduce((n, r) => n + r.value, 0);
      const resolved = sum('dossiers_on_time') + sum('dossiers_late');
      if (resolved > 0 && (sum('dossiers_on_time') / resolved) * 100 < 90) expected.push(unit);
    }
    const raised = sink.raises
      .filter((r) => r.ruleId === 'kpi-on-time-rate-low')
      .map((r) => r.unit as string);
    const communes = raised.filter((unit) => model.units.includes(unit));
    expect(communes.sort()).toEqual(expected.sort());
    expect(communes.some((unit) => model.profile(unit)?.chronicallyLate)).toBe(true);
    expect(communes.length).toBeLessThan(model.units.length / 2);
    expect(sink.raises.find((r) => r.ruleId === 'kpi-on-time-rate-low')?.message.vi).toMatch(
      /^Tỷ lệ hồ sơ giải quyết đúng hạn tại .+ là [\d,]+ %, dưới mức 90 %$/,
    );
  });
});
