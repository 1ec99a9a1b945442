import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type InfluxStore, loadConfig, loadUnitTree, openSqlStore, type SqlStore } from '@ioc/core';
import { DeviceRegistry, loadDeviceCatalogue } from '@ioc/devices';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterLog } from './dead-letters.js';
import { TelemetrySpool } from './spool.js';
import { type TelemetryErrorReport, TelemetryPipeline } from './telemetry-pipeline.js';
import { queryTelemetry } from './telemetry-query.js';
import { countPoints, TestInflux, tempDir, testLogger } from './test-support.js';

const HAI_VAN = '20194';
const logger = testLogger();

let influx: TestInflux;
let store: InfluxStore;
let sql: SqlStore;
let registry: DeviceRegistry;
let spool: TelemetrySpool;
let deadLetters: DeadLetterLog;
let pipeline: TelemetryPipeline;
let metrics: Registry;
let dataDir: string;
const reports: { deviceId: string; report: TelemetryErrorReport }[] = [];

beforeAll(async () => {
  dataDir = await tempDir();
  influx = await TestInflux.start();
  store = await influx.connect('ioc_pipeline_test');
  const [units, catalogue] = await Promise.all([
    loadUnitTree('da-nang-2025'),
    loadDeviceCatalogue(),
  ]);
  sql = await openSqlStore(loadConfig({ env: {}, cwd: dataDir, overrides: { dataDir } }), logger);
  registry = new DeviceRegistry({ sql, catalogue, units, logger });
  for (const [id, type] of [
    ['wl-1', 'water-level'],
    ['wl-2', 'water-level'],
    ['pump-1', 'pump-station'],
    ['aq-1', 'air-quality'],
    ['wl-revoked', 'water-level'],
  ] as const) {
    await registry.provision({ id, type, unit: HAI_VAN });
  }
  metrics = new Registry();
  spool = await TelemetrySpool.open({
    dir: join(dataDir, 'spool'),
    influx: store,
    logger,
    metrics,
  });
  deadLetters = new DeadLetterLog({ sql, logger, metrics, flushDelayMs: 10 });
  pipeline = new TelemetryPipeline({
    registry,
    spool,
    deadLetters,
    logger,
    metrics,
    maxPayloadBytes: 1024,
    reportError: (deviceId, report) => reports.push({ deviceId, report }),
  });
});

afterAll(async () => {
  pipeline?.close();
  await spool?.close();
  await deadLetters?.close();
  await sql?.close();
  await store?.close();
  await influx?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
/** A recent whole second, inside the accepted window. */
const recent = (secondsAgo: number) => Math.floor(Date.now() / 1000) * 1000 - secondsAgo * 1000;

async function rows(device: string, field: string) {
  await spool.drained();
  const [series] = await store.query(
    `SELECT "${field}", "type", "unit", "sector" FROM telemetry WHERE "device" = $device`,
    { device },
  );
  return series?.values ?? [];
}

async function deadLetterRows(device: string) {
  await deadLetters.flush();
  return (
    await sql.query<{
      code: string;
      metric: string | null;
      payload: Uint8Array;
      topic: string;
      message: string;
    }>(
      'SELECT code, metric, payload, topic, message FROM dead_letters WHERE device_id = $1 ORDER BY id',
      [device],
    )
  ).rows;
}

describe('TelemetryPipeline', () => {
  it('stores the simple JSON shape with the registry tags and the device timestamp', async () => {
    const ts = recent(60);
    const outcome = await pipeline.handleMqtt(
      'wl-1',
      json({ ts, values: { level_cm: 123.5, battery_v: 12 } }),
      new Date(),
    );
    expect(outcome).toEqual({ accepted: 2, rejections: [], durable: true });
    expect(await rows('wl-1', 'level_cm')).toEqual([
      [ts, 123.5, 'water-level', HAI_VAN, 'environment'],
    ]);
    expect(pipeline.latest('wl-1')).toMatchObject({
      type: 'water-level',
      values: { level_cm: { value: 123.5, ts }, battery_v: { value: 12, ts } },
    });
  });

  it('uses the receive time when the message has none, and accepts ISO 8601', async () => {
    const receivedAt = new Date(recent(30));
    await pipeline.handleMqtt('wl-2', json({ values: { level_cm: 1 } }), receivedAt);
    const iso = new Date(recent(20)).toISOString();
    await pipeline.handleMqtt('wl-2', json({ ts: iso, values: { level_cm: 2 } }), new Date());
    const values = await rows('wl-2', 'level_cm');
    expect(values.map((v) => v.slice(0, 2))).toEqual([
      [receivedAt.getTime(), 1],
      [Date.parse(iso), 2],
    ]);
  });

  it('stores SenML with base name and base time, booleans included', async () => {
    const bt = recent(40) / 1000;
    const outcome = await pipeline.handleMqtt(
      'pump-1',
      json([
        { bn: 'pump-1/', bt, n: 'running', vb: true },
        { n: 'flow_m3s', v: 12.5 },
        { n: 'flow_m3s', v: 13, t: 10 },
      ]),
      new Date(),
    );
    expect(outcome).toMatchObject({ accepted: 3, rejections: [] });
    const flows = await rows('pump-1', 'flow_m3s');
    expect(flows.map((v) => v.slice(0, 2))).toEqual([
      [bt * 1000, 12.5],
      [bt * 1000 + 10_000, 13],
    ]);
    expect(await rows('pump-1', 'running')).toEqual([
      [bt * 1000, true, 'pump-station', HAI_VAN, 'agriculture'],
    ]);
  });

  it.each([
    ['MALFORMED_JSON', Buffer.from('{"values": {'), /^payload is not valid JSON/],
    ['PAYLOAD_TOO_LARGE', Buffer.alloc(2000, 32), /^payload is 2000 bytes; the limit is 1024/],
    ['UNSUPPORTED_SHAPE', json({ value: 1 }), /unknown field\(s\) "value"/],
    ['UNSUPPORTED_SHAPE', json(42), /must be a JSON object/],
    [
      'BAD_TIMESTAMP',
      json({ ts: 'yesterday', values: { level_cm: 1 } }),
      /"ts" must be epoch milliseconds/,
    ],
    [
      'TIMESTAMP_IN_FUTURE',
      json({ ts: Date.now() + 600_000, values: { level_cm: 1 } }),
      /minutes ahead/,
    ],
    [
      'TIMESTAMP_TOO_OLD',
      json({ ts: Date.now() - 8 * 86_400_000, values: { level_cm: 1 } }),
      /older than 7 days/,
    ],
  ])('refuses a whole message with %s', async (code, payload, message) => {
    const device = 'wl-1';
    const before = (await deadLetterRows(device)).length;
    const outcome = await pipeline.handleMqtt(device, payload, new Date());
    expect(outcome.accepted).toBe(0);
    expect(outcome.rejections).toEqual([{ code, message: expect.stringMatching(message) }]);
    const letters = await deadLetterRows(device);
    expect(letters).toHaveLength(before + 1);
    const letter = letters.at(-1);
    expect(letter).toMatchObject({ code, topic: 'ioc/v1/devices/wl-1/telemetry', metric: null });
    expect(Buffer.from(letter?.payload ?? []).equals(payload.subarray(0, 4096))).toBe(true);
    expect(reports.at(-1)).toEqual({
      deviceId: device,
      report: {
        code,
        message: outcome.rejections[0]?.message,
        topic: 'ioc/v1/devices/wl-1/telemetry',
        receivedAt: expect.any(String),
      },
    });
  });

  it('refuses each bad value on its own and still stores the good ones', async () => {
    const ts = recent(10);
    const payload = Buffer.from(
      `{"ts": ${ts}, "values": {"pm25": 12.5, "pm10": 9999, "aqi": 4.5, "no2": "high", "o3": 1e999, "co2": 400}}`,
    );
    const outcome = await pipeline.handleMqtt('aq-1', payload, new Date());
    expect(outcome.accepted).toBe(1);
    const byMetric = Object.fromEntries(outcome.rejections.map((r) => [r.metric, r]));
    expect(byMetric).toEqual({
      no2: {
        code: 'WRONG_TYPE',
        metric: 'no2',
        message: 'no2 must be a number or boolean, got string',
      },
      pm10: {
        code: 'OUT_OF_RANGE',
        metric: 'pm10',
        message: 'pm10 9999 µg/m³ is outside the valid range 0 to 2000 µg/m³',
      },
      aqi: { code: 'WRONG_TYPE', metric: 'aqi', message: 'aqi must be a whole number, got 4.5' },
      o3: { code: 'NOT_FINITE', metric: 'o3', message: 'o3 must be a finite number, got Infinity' },
      co2: {
        code: 'UNKNOWN_METRIC',
        metric: 'co2',
        message: '"co2" is not a metric of type air-quality; known: pm25, pm10, no2, o3, aqi',
      },
    });
    expect(await rows('aq-1', 'pm25')).toEqual([[ts, 12.5, 'air-quality', HAI_VAN, 'environment']]);
    const letters = await deadLetterRows('aq-1');
    expect(letters.map((l) => [l.code, l.metric]).sort()).toEqual([
      ['NOT_FINITE', 'o3'],
      ['OUT_OF_RANGE', 'pm10'],
      ['UNKNOWN_METRIC', 'co2'],
      ['WRONG_TYPE', 'aqi'],
      ['WRONG_TYPE', 'no2'],
    ]);
    expect(Buffer.from(letters[0]?.payload ?? []).toString()).toBe(payload.toString());
    const rejected = await metrics.getSingleMetricAsString('ioc_ingest_rejected_total');
    expect(rejected).toMatch(/ioc_ingest_rejected_total\{code="WRONG_TYPE"\} [2-9]/);
  });

  it('refuses SenML records of another device or without a value, keeping the rest', async () => {
    const outcome = await pipeline.handleMqtt(
      'wl-2',
      json([{ n: 'wl-1/level_cm', v: 5 }, { n: 'battery_v' }, { n: 'wl-2/battery_v', v: 11.5 }]),
      new Date(),
    );
    expect(outcome.accepted).toBe(1);
    expect(outcome.rejections.map((r) => r.code)).toEqual([
      'UNSUPPORTED_SHAPE',
      'UNSUPPORTED_SHAPE',
    ]);
    expect(outcome.rejections[0]?.message).toMatch(/belongs to device "wl-1", not "wl-2"/);
    expect((await rows('wl-2', 'battery_v')).map((v) => v[1])).toEqual([11.5]);
  });

  it('refuses unknown and revoked devices, noticing a revocation at once', async () => {
    const unknown = await pipeline.handleMqtt(
      'nobody',
      json({ values: { level_cm: 1 } }),
      new Date(),
    );
    expect(unknown.rejections.map((r) => r.code)).toEqual(['UNKNOWN_DEVICE']);
    await pipeline.handleMqtt('wl-revoked', json({ values: { level_cm: 1 } }), new Date());
    expect(pipeline.latest('wl-revoked')).toBeDefined();
    await registry.revoke('wl-revoked');
    expect(pipeline.latest('wl-revoked')).toBeUndefined();
    const revoked = await pipeline.handleMqtt(
      'wl-revoked',
      json({ values: { level_cm: 2 } }),
      new Date(),
    );
    expect(revoked.rejections.map((r) => r.code)).toEqual(['DEVICE_REVOKED']);
    await spool.drained();
    expect(await countPoints(store, 'level_cm', 'wl-revoked')).toBe(1);
    expect((await deadLetterRows('nobody')).map((l) => l.code)).toEqual(['UNKNOWN_DEVICE']);
  });

  it('takes readings from other sources through the same checks', async () => {
    const ts = new Date(recent(5));
    const outcome = await pipeline.handleReading({
      deviceId: 'pump-1',
      ts,
      values: { running: 1, inlet_level_cm: 250 },
      source: 'opcua',
      receivedAt: new Date(),
    });
    expect(outcome.accepted).toBe(1);
    expect(outcome.rejections).toEqual([
      { code: 'WRONG_TYPE', metric: 'running', message: 'running must be true or false, got 1' },
    ]);
    expect(pipeline.latestAll().map((l) => l.deviceId)).toContain('pump-1');
    expect(pipeline.latest('pump-1')?.values.inlet_level_cm).toEqual({
      value: 250,
      ts: ts.getTime(),
    });
  });

  it('counts accepted values and answers aggregated telemetry queries', async () => {
    // InfluxDB aligns GROUP BY time(3m) buckets to multiples of 3 min since the epoch.
    const base = Math.floor(recent(3600) / 1_800_000) * 1_800_000;
    for (let i = 0; i < 6; i++) {
      await pipeline.handleMqtt(
        'wl-2',
        json({ ts: base + i * 60_000, values: { battery_v: i } }),
        new Date(),
      );
    }
    await spool.drained();
    const samples = await queryTelemetry(store, {
      device: 'wl-2',
      metric: 'battery_v',
      from: new Date(base),
      to: new Date(base + 6 * 60_000),
      every: '3m',
    });
    expect(samples).toEqual([
      { ts: new Date(base).toISOString(), value: 1 },
      { ts: new Date(base + 180_000).toISOString(), value: 4 },
    ]);
    expect(await metrics.getSingleMetricAsString('ioc_ingest_values_accepted_total')).toMatch(
      / \d+$/m,
    );
  });

  it('refuses bad query input before it reaches InfluxDB', async () => {
    const from = new Date(recent(60));
    const to = new Date(recent(0));
    const query = { device: 'wl-2', metric: 'battery_v', from, to, every: '1m' };
    await expect(
      queryTelemetry(store, { ...query, metric: 'x") FROM y; --' }),
    ).rejects.toMatchObject({
      code: 'INVALID_QUERY',
    });
    await expect(queryTelemetry(store, { ...query, every: '1 minute' })).rejects.toThrow(
      /every "1 minute"/,
    );
    await expect(queryTelemetry(store, { ...query, from: to, to: from })).rejects.toThrow(
      'from must be before to',
    );
    await expect(queryTelemetry(store, { ...query, every: '1ms' })).rejects.toMatchObject({
      code: 'TOO_MANY_BUCKETS',
    });
    // A device name is a bound parameter, so quotes in it are just characters.
    expect(await queryTelemetry(store, { ...query, device: "wl-2' OR '1'='1" })).toEqual([]);
  });
});
