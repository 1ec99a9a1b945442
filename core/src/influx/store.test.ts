import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Point } from './index.js';
import { InfluxError } from './influx-error.js';
import { InfluxStore } from './store.js';
import { InfluxSupervisor } from './supervisor.js';
import { freePorts, supervisorOptions, testLogger } from './test-support.js';

let supervisor: InfluxSupervisor;
let store: InfluxStore;

beforeAll(async () => {
  supervisor = new InfluxSupervisor(await supervisorOptions());
  await supervisor.start();
  store = await InfluxStore.connect({
    url: supervisor.url,
    database: 'ioc_test',
    logger: testLogger(),
  });
});

afterAll(async () => {
  await store?.close();
  await supervisor?.stop();
});

function telemetry(device: string, timestamp: number, temperature: number): Point {
  return new Point('telemetry')
    .tag('device', device)
    .tag('type', 'weather-station')
    .tag('unit', '48194')
    .tag('sector', 'environment')
    .floatField('temperature', temperature)
    .timestamp(timestamp);
}

describe('InfluxStore on the managed InfluxDB 1.6', () => {
  it('detects the 1.x server, uses /write and creates the database', async () => {
    expect(store.version).toMatch(/^1\.6\./);
    expect(store.usesV1Write).toBe(true);
    // 1.6 has no v2 write API, so every successful write below went through /write.
    const v2 = await fetch(`${supervisor.url}/api/v2/write?org=&bucket=ioc_test&precision=ms`, {
      method: 'POST',
      body: 'telemetry,device=x v=1',
    });
    expect(v2.status).toBe(404);
    const [databases] = await store.query('SHOW DATABASES');
    expect(databases?.values.flat()).toContain('ioc_test');
  });

  it('writes a telemetry point through the client and reads it back with InfluxQL', async () => {
    const ts = Date.UTC(2026, 10, 21, 3, 4, 5, 678);
    await store.writePoints([telemetry('ws-001', ts, 28.5)]);
    const series = await store.query(
      `SELECT temperature, "type", unit, sector FROM telemetry WHERE device = 'ws-001'`,
    );
    expect(series).toEqual([
      {
        name: 'telemetry',
        columns: ['time', 'temperature', 'type', 'unit', 'sector'],
        values: [[ts, 28.5, 'weather-station', '48194', 'environment']],
      },
    ]);
  });

  it('keeps one point when the same series and timestamp are written twice', async () => {
    const ts = Date.UTC(2026, 10, 21, 4, 0, 0, 1);
    await store.writePoints([telemetry('ws-002', ts, 20)]);
    await store.writePoints([telemetry('ws-002', ts, 21)]);
    const [series] = await store.query(`SELECT temperature FROM telemetry WHERE device = 'ws-002'`);
    expect(series?.values).toEqual([[ts, 21]]);
  });

  it('binds $parameters and groups series by tag', async () => {
    const ts = Date.UTC(2026, 10, 21, 5, 0, 0);
    await store.writePoints([telemetry('ws-003', ts, 30), telemetry('ws-004', ts, 31)]);
    const series = await store.query(
      'SELECT last(temperature) FROM telemetry WHERE sector = $sector AND time >= $since GROUP BY device',
      { sector: 'environment', since: new Date(ts).toISOString() },
    );
    const byDevice = Object.fromEntries(series.map((s) => [s.tags?.device, s.values[0]?.[1]]));
    expect(byDevice).toMatchObject({ 'ws-003': 30, 'ws-004': 31 });
  });

  it('writes more points than one request carries', async () => {
    const base = Date.UTC(2026, 10, 20);
    const points = Array.from({ length: 12_000 }, (_, i) => telemetry('ws-bulk', base + i, i));
    await store.writePoints(points);
    const [series] = await store.query(
      `SELECT count(temperature) FROM telemetry WHERE device = 'ws-bulk'`,
    );
    expect(series?.values[0]?.[1]).toBe(12_000);
  });

  it('writes pre-serialised lines at ms precision, more than one request carries', async () => {
    const base = Date.UTC(2026, 10, 19);
    const lines = Array.from(
      { length: 6001 },
      (_, i) => `telemetry,device=ws-lines,sector=environment temperature=${i} ${base + i}`,
    );
    await store.writeLines(lines);
    const [series] = await store.query(
      `SELECT count(temperature), last(temperature) FROM telemetry WHERE device = 'ws-lines'`,
    );
    expect(series?.values[0]?.slice(1)).toEqual([6001, 6000]);
    const [last] = await store.query(
      `SELECT temperature FROM telemetry WHERE device = 'ws-lines' ORDER BY time DESC LIMIT 1`,
    );
    expect(last?.values).toEqual([[base + 6000, 6000]]);
    const error = await store
      .writeLines(['telemetry,device=ws-lines temperature='])
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'INFLUX_WRITE_FAILED', statusCode: 400 });
  });

  it('flushes a batching WriteApi handed out to high-rate writers', async () => {
    const api = store.writeApi({ batchSize: 100, flushInterval: 0 });
    const ts = Date.UTC(2026, 10, 21, 6);
    api.writePoint(telemetry('ws-batch', ts, 1));
    await api.close();
    const [series] = await store.query(`SELECT * FROM telemetry WHERE device = 'ws-batch'`);
    expect(series?.values).toHaveLength(1);
  });

  it('rejects a write InfluxDB refuses with its own message', async () => {
    const ts = Date.UTC(2026, 10, 21, 7);
    const wrongType = new Point('telemetry')
      .tag('device', 'ws-001')
      .stringField('temperature', 'hot')
      .timestamp(ts);
    const error = await store.writePoints([wrongType]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InfluxError);
    expect(error).toMatchObject({ code: 'INFLUX_WRITE_FAILED', statusCode: 400 });
    expect((error as Error).message).toMatch(
      /^InfluxDB write failed \(HTTP 400\): .*field type conflict/,
    );
    const [series] = await store.query(
      `SELECT temperature FROM telemetry WHERE device = 'ws-001' AND time = ${ts}ms`,
    );
    expect(series).toBeUndefined();
  });

  it('turns an InfluxQL syntax error into an error carrying InfluxDB’s message', async () => {
    const error = await store.query('SELECT FROM WHERE').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InfluxError);
    expect(error).toMatchObject({ code: 'INFLUX_QUERY_FAILED', statusCode: 400 });
    expect((error as Error).message).toMatch(/^InfluxDB query failed: error parsing query: /);
  });

  it('reports a statement-level error (unknown database) as a rejection', async () => {
    const other = await InfluxStore.connect({
      url: supervisor.url,
      database: 'ioc_other',
      logger: testLogger(),
    });
    await other.query('DROP DATABASE "ioc_other"');
    await expect(other.query('SELECT * FROM telemetry')).rejects.toThrow(
      'InfluxDB query failed: database not found: ioc_other',
    );
    await other.close();
    await expect(other.query('SHOW DATABASES')).rejects.toThrow('InfluxStore is closed');
  });

  it('answers ping with the server version', async () => {
    expect(await store.ping()).toEqual({ status: 'up', reason: `InfluxDB ${store.version}` });
  });
});

describe('InfluxStore.connect input and failures', () => {
  it('rejects a malformed URL and an empty database before any request', async () => {
    const logger = testLogger();
    await expect(
      InfluxStore.connect({ url: 'localhost:8086', database: 'x', logger }),
    ).rejects.toThrow('InfluxDB URL must start with http:// or https://, got "localhost:8086"');
    await expect(
      InfluxStore.connect({ url: 'http://127.0.0.1:1', database: '', logger }),
    ).rejects.toThrow('InfluxDB database must not be empty');
  });

  it('says the server cannot be reached when nothing listens', async () => {
    const [port] = await freePorts(1);
    const error = await InfluxStore.connect({
      url: `http://127.0.0.1:${port}`,
      database: 'x',
      logger: testLogger(),
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InfluxError);
    expect((error as InfluxError).code).toBe('INFLUX_UNREACHABLE');
    expect((error as Error).message).toBe(
      `cannot reach InfluxDB at http://127.0.0.1:${port}: ECONNREFUSED`,
    );
  });
});
