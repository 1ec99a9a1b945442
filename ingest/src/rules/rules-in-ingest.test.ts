import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AppConfig,
  HealthRegistry,
  type InfluxStore,
  LiveBus,
  type LiveEvents,
  loadConfig,
  loadUnitTree,
  openSqlStore,
  type SqlStore,
} from '@ioc/core';
import { DeviceRegistry, loadDeviceCatalogue } from '@ioc/devices';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertStore } from '../alerts/index.js';
import { type RunningIngest, start } from '../index.js';
import { TestInflux, tempDir, testLogger } from '../pipeline/test-support.js';

// Ingest as `ioc start` composes it: real InfluxDB, real SQL, the real alert store as the
// rule engine's sink, a rules file; telemetry goes in through acceptTelemetry.
const logger = testLogger();
const HAI_VAN = '20194';

let dataDir: string;
let influx: TestInflux;
let influxStore: InfluxStore;
let sql: SqlStore;
let bus: LiveBus;
let config: AppConfig;
let ingest: RunningIngest;

beforeAll(async () => {
  dataDir = await tempDir('ioc-rules-ingest-');
  influx = await TestInflux.start();
  influxStore = await influx.connect('ioc_rules_test');
  const rulesFile = join(dataDir, 'rules.json');
  await writeFile(
    rulesFile,
    JSON.stringify({
      rules: [
        {
          id: 'flood',
          name: { vi: 'Ngập', en: 'Flood' },
          severity: 'critical',
          scope: { type: 'water-level', unit: '48' },
          condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 300, clear: 280 },
          message: {
            vi: 'Mực nước tại {deviceName} là {value} {unit}',
            en: 'Water level at {deviceName} is {value} {unit}',
          },
        },
      ],
    }),
  );
  config = loadConfig({ env: {}, cwd: dataDir, overrides: { dataDir, ingest: { rulesFile } } });
  sql = await openSqlStore(config, logger);
  const [units, catalogue] = await Promise.all([
    loadUnitTree(config.units.dataset),
    loadDeviceCatalogue(),
  ]);
  const devices = new DeviceRegistry({ sql, catalogue, units, logger });
  await devices.provision({
    id: 'wl-cu-de',
    type: 'water-level',
    unit: HAI_VAN,
    name: 'Trạm Cu Đê',
  });
  bus = new LiveBus();
  const alerts = new AlertStore({ sql, bus, units, logger, storm: config.alerts.storm });
  ingest = await start(config, {
    logger,
    health: new HealthRegistry(),
    metrics: new Registry(),
    bus,
    influx: influxStore,
    sql,
    devices,
    units,
    publish: () => {},
    alerts,
  });
});

afterAll(async () => {
  await ingest?.stop();
  await sql?.close();
  await influxStore?.close();
  await influx?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const telemetry = (level: number) =>
  ingest.acceptTelemetry(
    'wl-cu-de',
    Buffer.from(JSON.stringify({ values: { level_cm: level } })),
    new Date(),
  );

function alertChange(change: string): Promise<LiveEvents['alert.changed']> {
  return new Promise((resolve) => {
    const off = bus.subscribe('alert.changed', (event) => {
      if (event.change === change) {
        off();
        resolve(event);
      }
    });
  });
}

describe('rules in ingest', () => {
  it('raises and clears an alert from telemetry against a rule of the rules file', async () => {
    expect(ingest.ruleEngine?.size).toBe(1);
    expect(await ingest.rules.get('flood')).toMatchObject({ origin: 'file', enabled: true });

    const raised = alertChange('raised');
    await telemetry(312.5);
    const { alert } = await raised;
    expect(alert).toMatchObject({
      ruleId: 'flood',
      source: 'wl-cu-de',
      severity: 'critical',
      state: 'active',
      deviceId: 'wl-cu-de',
      unit: HAI_VAN,
      metric: 'level_cm',
      value: 312.5,
      message: {
        vi: 'Mực nước tại Trạm Cu Đê là 312,5 cm',
        en: 'Water level at Trạm Cu Đê is 312.5 cm',
      },
    });

    // Between the clear level and the threshold: still open. Below it: cleared.
    await telemetry(290);
    await ingest.ruleEngine?.idle();
    expect((await ingest.alerts.get(alert.id))?.alert.state).toBe('active');
    const cleared = alertChange('cleared');
    await telemetry(250);
    expect((await cleared).alert).toMatchObject({ id: alert.id, state: 'cleared' });
  });

  it('applies a rule created over the API at once, and keeps file rules read-only', async () => {
    const created = await ingest.rules.create(
      {
        id: 'low-battery',
        name: { vi: 'Pin yếu', en: 'Low battery' },
        severity: 'warning',
        scope: { device: 'wl-cu-de' },
        condition: { kind: 'threshold', metric: 'battery_v', op: 'below', value: 3.3, clear: 3.5 },
        message: { vi: 'Pin {value} V', en: 'Battery {value} V' },
      },
      'user:admin',
    );
    expect(created.createdBy).toBe('user:admin');
    expect(ingest.ruleEngine?.size).toBe(2);
    const raised = alertChange('raised');
    await ingest.acceptTelemetry(
      'wl-cu-de',
      Buffer.from(JSON.stringify({ values: { battery_v: 3.1 } })),
      new Date(),
    );
    expect((await raised).alert).toMatchObject({ ruleId: 'low-battery', value: 3.1 });

    await expect(ingest.rules.setEnabled('flood', false, 'user:admin')).rejects.toMatchObject({
      statusCode: 409,
      code: 'RULE_MANAGED_BY_FILE',
    });
    // Disabling a rule clears its open alert.
    const cleared = alertChange('cleared');
    await ingest.rules.setEnabled('low-battery', false, 'user:admin');
    expect((await cleared).alert).toMatchObject({ ruleId: 'low-battery', state: 'cleared' });
    expect(ingest.ruleEngine?.size).toBe(1);
  });

  it('evaluates offline rules on device presence from the bus', async () => {
    await ingest.rules.create({
      id: 'station-offline',
      name: { vi: 'Mất kết nối', en: 'Offline' },
      severity: 'major',
      scope: { sector: 'environment' },
      condition: { kind: 'offline' },
      message: { vi: '{deviceName} mất kết nối', en: '{deviceName} is offline' },
    });
    const raised = alertChange('raised');
    bus.publish('device.presence', {
      deviceId: 'wl-cu-de',
      state: 'offline',
      at: new Date().toISOString(),
      reason: 'keepalive-timeout',
    });
    expect((await raised).alert.message.en).toBe('Trạm Cu Đê is offline');
    const cleared = alertChange('cleared');
    bus.publish('device.presence', {
      deviceId: 'wl-cu-de',
      state: 'online',
      at: new Date().toISOString(),
      reason: 'connect',
    });
    expect((await cleared).alert).toMatchObject({ ruleId: 'station-offline', state: 'cleared' });
  });
});
