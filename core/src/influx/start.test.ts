import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { StartupError } from '../errors.js';
import { Point } from './index.js';
import { isProcessAlive } from './stale-influxd.js';
import { type RunningInflux, startInflux } from './start.js';
import { InfluxSupervisor } from './supervisor.js';
import {
  freePorts,
  influxdPids,
  supervisorOptions,
  tempDataDir,
  testLogger,
} from './test-support.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(config: ReturnType<typeof loadConfig>): Promise<RunningInflux> {
  const influx = await startInflux(config, testLogger());
  cleanups.push(() => influx.stop());
  return influx;
}

describe('startInflux', () => {
  it('runs a managed influxd when no URL is configured and stops it again', async () => {
    const dataDir = await tempDataDir();
    const [port = 0, rpcPort = 0] = await freePorts(2);
    const config = loadConfig({
      env: {},
      cwd: dataDir,
      overrides: { dataDir, influx: { managed: { port, rpcPort } } },
    });
    const influx = await start(config);
    expect(influx.supervisor).toBeInstanceOf(InfluxSupervisor);
    expect(influx.store.url).toBe(`http://127.0.0.1:${port}`);
    expect(influx.store.database).toBe('ioc');

    const ts = Date.UTC(2026, 0, 1);
    await influx.store.writePoints([
      new Point('kpi')
        .tag('kpi', 'dossiers-on-time')
        .tag('unit', '48')
        .floatField('value', 97.5)
        .timestamp(ts),
    ]);
    const [series] = await influx.store.query('SELECT value FROM kpi');
    expect(series?.values).toEqual([[ts, 97.5]]);

    const pid = influx.supervisor?.pid ?? 0;
    expect(await isProcessAlive(pid)).toBe(true);
    await influx.stop();
    expect(await isProcessAlive(pid)).toBe(false);
    expect(await influx.store.ping()).toMatchObject({ status: 'down' });
  });

  it('connects to an external InfluxDB given by url and spawns nothing', async () => {
    const external = new InfluxSupervisor(await supervisorOptions());
    await external.start();
    cleanups.push(() => external.stop());

    const dataDir = await tempDataDir();
    const config = loadConfig({
      env: { INFLUX_URL: external.url, INFLUX_DB: 'ioc_external' },
      cwd: dataDir,
      overrides: { dataDir },
    });
    const before = await influxdPids();
    const influx = await start(config);
    expect(influx.supervisor).toBeUndefined();
    expect(await influxdPids()).toEqual(before);
    await expect(access(join(dataDir, 'influxdb'))).rejects.toThrow(/ENOENT/);

    const ts = Date.UTC(2026, 0, 2);
    await influx.store.writePoints([
      new Point('telemetry').tag('device', 'd1').floatField('pm25', 12).timestamp(ts),
    ]);
    expect(await influx.store.query('SELECT pm25 FROM telemetry')).toEqual([
      { name: 'telemetry', columns: ['time', 'pm25'], values: [[ts, 12]] },
    ]);

    await influx.stop();
    expect(await isProcessAlive(external.pid ?? 0)).toBe(true);
  });

  it('fails with a one-line StartupError naming INFLUX_URL when the server is unreachable', async () => {
    const [port] = await freePorts(1);
    const dataDir = await tempDataDir();
    const url = `http://127.0.0.1:${port}`;
    const config = loadConfig({ env: { INFLUX_URL: url }, cwd: dataDir, overrides: { dataDir } });
    const error = await startInflux(config, testLogger()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as StartupError).message).toBe(
      `cannot connect to InfluxDB at ${url} (INFLUX_URL): cannot reach InfluxDB at ${url}: ECONNREFUSED; start that server or unset INFLUX_URL to let the IOC run its own influxd`,
    );
  });

  it('passes the supervisor’s StartupError through in managed mode', async () => {
    const dataDir = await tempDataDir();
    const [port = 0, rpcPort = 0] = await freePorts(2);
    const config = loadConfig({
      env: { IOC_INFLUXD_BIN: 'no-such-influxd' },
      cwd: dataDir,
      overrides: { dataDir, influx: { managed: { port, rpcPort } } },
    });
    await expect(startInflux(config, testLogger())).rejects.toThrow(
      'influxd not found (looked for "no-such-influxd" on PATH)',
    );
  });
});
