import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MqttAuthenticator, MqttBroker } from '@ioc/broker';
import {
  type AdminUnitTree,
  createLogger,
  HealthRegistry,
  LiveBus,
  loadConfig,
  loadUnitTree,
  openSqlStore,
  type SqlStore,
} from '@ioc/core';
import {
  allDevicesTopic,
  type DeviceCatalogue,
  DeviceRegistry,
  loadDeviceCatalogue,
  parseDeviceTopic,
} from '@ioc/devices';
import { connectAsync, type MqttClient } from 'mqtt';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from '../index.js';
import { DemoFleet, type ProvisionReport } from './fleet.js';
import { DemoFleetRunner } from './fleet-runner.js';
import { MqttFleetSimulator } from './mqtt-fleet.js';
import { StormTimeline } from './rainfall-feed.js';
import { DEMO_SECRETS_FILE } from './secrets-file.js';

// A real broker on a free port whose logins are checked against a real device registry
// (PGlite in a temp dir), and a service subscriber watching what the fleet publishes.
const silent = createLogger('silent');
const SERVICE = { username: 'svc:test', password: 'service-secret-0123456789' };

let dir: string;
let sql: SqlStore;
let units: AdminUnitTree;
let catalogue: DeviceCatalogue;
let registry: DeviceRegistry;
let broker: MqttBroker;
let url: string;
const clients: MqttClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-sim-mqtt-'));
  sql = await openSqlStore(loadConfig({ env: {}, cwd: dir, overrides: { dataDir: dir } }), silent);
  units = await loadUnitTree('da-nang-2025');
  catalogue = await loadDeviceCatalogue();
  registry = new DeviceRegistry({ sql, catalogue, units });
  const authenticate: MqttAuthenticator = async (username, password) => {
    if (username === SERVICE.username) {
      return password === SERVICE.password ? { kind: 'service', name: username } : undefined;
    }
    const login = await registry.checkLogin(username, password);
    if (login.status === 'ok') return { kind: 'device', deviceId: login.device.id };
    if (login.status === 'refused') return { kind: 'refused', reason: login.reason };
    return undefined;
  };
  broker = new MqttBroker({ host: '127.0.0.1', port: 0, logger: silent, authenticate });
  await broker.start();
  url = `mqtt://127.0.0.1:${broker.port}`;
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker?.stop();
  await sql?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function subscriber(...filters: string[]): Promise<MqttClient> {
  const client = await connectAsync(url, { ...SERVICE, reconnectPeriod: 0 });
  clients.push(client);
  await client.subscribeAsync(filters, { qos: 1 });
  return client;
}

/** Resolves with the first message on each wanted topic that `accept` takes. */
function firstMessages(
  client: MqttClient,
  topics: string[],
  accept: (payload: string) => boolean = () => true,
): Promise<Map<string, string>> {
  const wanted = new Set(topics);
  const got = new Map<string, string>();
  return new Promise((resolve) => {
    const onMessage = (topic: string, payload: Buffer) => {
      const text = payload.toString();
      if (!wanted.has(topic) || got.has(topic) || !accept(text)) return;
      got.set(topic, text);
      if (got.size === wanted.size) {
        client.off('message', onMessage);
        resolve(got);
      }
    };
    client.on('message', onMessage);
  });
}

describe('the demo fleet on a real broker', () => {
  const fleet = () => new DemoFleet({ units, seed: 7, size: 10 });
  let first: ProvisionReport;

  it('provisions each device once, with its own secret kept in a 0600 file', async () => {
    first = await fleet().ensureProvisioned(registry, { dataDir: dir });
    expect(first).toMatchObject({ created: 10, rotated: 0, reused: 0, skipped: [] });
    expect(new Set(first.credentials.map((c) => c.secret)).size).toBe(10);
    const file = join(dir, DEMO_SECRETS_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { devices: Record<string, string> };
    for (const { device, secret } of first.credentials) {
      expect(saved.devices[device.id]).toBe(secret);
      expect((await registry.checkLogin(device.id, secret)).status).toBe('ok');
    }
  });

  it('reuses the stored secrets on a second start: no new rows, no rotation', async () => {
    const again = await fleet().ensureProvisioned(registry, { dataDir: dir });
    expect(again).toMatchObject({ created: 0, rotated: 0, reused: 10 });
    expect(again.credentials).toEqual(first.credentials);
    const page = await registry.list({ includeRevoked: true });
    expect(page.total).toBe(10);
    expect(page.devices.every((d) => d.secretRotatedAt === null)).toBe(true);
  });

  it('re-keys a device whose secret was lost, and skips a revoked one', async () => {
    const file = join(dir, DEMO_SECRETS_FILE);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { devices: Record<string, string> };
    const [lostOne, revokedOne] = first.credentials;
    if (!lostOne || !revokedOne) throw new Error('fleet too small');
    delete saved.devices[lostOne.device.id];
    await writeFile(file, JSON.stringify(saved));
    await registry.revoke(revokedOne.device.id);

    const report = await fleet().ensureProvisioned(registry, { dataDir: dir });
    expect(report).toMatchObject({
      created: 0,
      rotated: 1,
      reused: 8,
      skipped: [revokedOne.device.id],
    });
    const renewed = report.credentials.find((c) => c.device.id === lostOne.device.id);
    expect(renewed?.secret).not.toBe(lostOne.secret);
    expect((await registry.checkLogin(lostOne.device.id, lostOne.secret)).status).toBe('invalid');
    expect((await registry.checkLogin(lostOne.device.id, renewed?.secret ?? '')).status).toBe('ok');
    first = report;
  });

  it('connects every device with its own credentials and publishes valid telemetry, then stops cleanly', async () => {
    const devices = first.credentials;
    const watcher = await subscriber(allDevicesTopic('telemetry'), allDevicesTopic('status'));
    const telemetryTopics = devices.map((c) => `ioc/v1/devices/${c.device.id}/telemetry`);
    const statusTopics = devices.map((c) => `ioc/v1/devices/${c.device.id}/status`);
    const telemetry = firstMessages(watcher, telemetryTopics);
    const online = firstMessages(watcher, statusTopics, (p) => p === 'online');

    const metrics = new Registry();
    const simulator = new MqttFleetSimulator({
      url,
      devices,
      catalogue,
      rainfall: new StormTimeline({ seed: 7 }),
      logger: silent,
      metrics,
      seed: 7,
      speed: 1000,
      minIntervalMs: 100,
      maxIntervalMs: 300,
      connectSpacingMs: 5,
      faults: { dropout: 0, stuck: 0, spike: 0 },
    });
    const started = Date.now();
    simulator.start();
    await simulator.whenConnected();
    expect(simulator.connectedCount).toBe(devices.length);
    expect((await online).size).toBe(devices.length);

    for (const [topic, payload] of await telemetry) {
      const deviceId = parseDeviceTopic(topic)?.deviceId;
      const type = catalogue.get(devices.find((c) => c.device.id === deviceId)?.device.type ?? '');
      if (!type) throw new Error(`telemetry from unknown device on ${topic}`);
      const message = JSON.parse(payload) as { ts: number; values: Record<string, number> };
      expect(message.ts).toBeGreaterThanOrEqual(started);
      expect(message.ts).toBeLessThanOrEqual(Date.now());
      expect(Object.keys(message.values).sort()).toEqual(type.metrics.map((m) => m.key).sort());
      for (const metric of type.metrics) {
        expect(message.values[metric.key]).toBeGreaterThanOrEqual(metric.min as number);
        expect(message.values[metric.key]).toBeLessThanOrEqual(metric.max as number);
      }
    }
    expect(simulator.published).toBeGreaterThanOrEqual(devices.length);
    expect(await metrics.getSingleMetricAsString('ioc_simulator_devices_connected')).toContain(
      `ioc_simulator_devices_connected ${devices.length}`,
    );

    await simulator.stop();
    expect(simulator.connectedCount).toBe(0);
    // A newcomer reads every device's retained status: offline after a clean stop.
    const late = await connectAsync(url, { ...SERVICE, reconnectPeriod: 0 });
    clients.push(late);
    const offline = firstMessages(late, statusTopics);
    await late.subscribeAsync(allDevicesTopic('status'), { qos: 1 });
    for (const payload of (await offline).values()) expect(payload).toBe('offline');
    expect(broker.connectedClients).toBe(2); // only the two service subscribers
    expect(metrics.getSingleMetric('ioc_simulator_devices_connected')).toBeUndefined();
  }, 60_000);

  it('gives up on a device the broker refuses instead of retrying into the login throttle', async () => {
    const [one] = first.credentials;
    if (!one) throw new Error('fleet too small');
    const simulator = new MqttFleetSimulator({
      url,
      devices: [{ device: one.device, secret: 'not-the-secret' }],
      catalogue,
      rainfall: new StormTimeline({ seed: 7 }),
      logger: silent,
    });
    const refused = new Promise<string>((resolve) => simulator.once('refused', resolve));
    simulator.start();
    expect(await refused).toBe(one.device.id);
    expect(simulator.connectedCount).toBe(0);
    await simulator.stop();
  });

  it('refuses a speed that is not a positive number', () => {
    expect(
      () =>
        new MqttFleetSimulator({
          url,
          devices: [],
          catalogue,
          rainfall: new StormTimeline(),
          logger: silent,
          speed: 0,
        }),
    ).toThrow(/speed must be a positive number/);
  });

  it('start() in demo mode provisions the fleet and runs it beside the PLC', async () => {
    const dataDir = join(dir, 'process');
    const config = loadConfig({
      env: { IOC_SIM_DEVICES: '6', IOC_SIM_SPEED: '500' },
      cwd: dir,
      overrides: { demo: true, dataDir },
    });
    const health = new HealthRegistry();
    const running = await start(config, {
      logger: silent,
      health,
      metrics: new Registry(),
      bus: new LiveBus(),
      opcua: { port: 0 },
      devices: registry,
      catalogue,
      units,
      mqttUrl: url,
      fleet: { connectSpacingMs: 5, minIntervalMs: 100 },
    });
    try {
      const runner = running.fleet;
      if (!runner) throw new Error('start() did not run the MQTT fleet');
      // start() returned before provisioning finished: first starts hash a secret per device.
      expect((await health.report()).components.simulators?.reason).toMatch(
        /provisioning 6 demo MQTT devices|MQTT devices connected/,
      );
      const fleet = await runner.ready;
      if (!fleet) throw new Error(`the fleet did not start: ${runner.describe()}`);
      // The data-centre sensors exist already (same ids for any seed): this data directory does
      // not know their secrets, so three are re-keyed; the one revoked above stays out.
      expect(fleet.size).toBe(5);
      await fleet.whenConnected();
      const report = await health.report();
      expect(report.components.simulators?.reason).toContain('5/5 MQTT devices connected');
      // The secrets went to this process's data directory.
      const saved = JSON.parse(await readFile(join(dataDir, DEMO_SECRETS_FILE), 'utf8'));
      expect(Object.keys(saved.devices)).toHaveLength(5);
    } finally {
      await running.stop();
    }
    expect(running.fleet?.simulator?.connectedCount).toBe(0);
    expect(running.fleet?.state).toBe('stopped');
  }, 60_000);

  it('stops provisioning after the current batch, keeping what it created', async () => {
    const dataDir = join(dir, 'stopped');
    const all = async () => (await registry.list({ includeRevoked: true, limit: 1000 })).total;
    const before = await all();
    const runner = new DemoFleetRunner({
      fleet: new DemoFleet({ units, seed: 99, size: 200 }),
      registry,
      dataDir,
      logger: silent,
      simulator: { url, catalogue, rainfall: new StormTimeline() },
    });
    expect(runner.describe()).toBe('provisioning 200 demo MQTT devices');
    let stopping: Promise<void> | undefined;
    registry.once('provisioned', () => {
      stopping = runner.stop();
    });
    expect(await runner.ready).toBeUndefined();
    await stopping;
    expect(runner.state).toBe('stopped');
    const created = (await all()) - before;
    expect(created).toBe(50); // one batch
    const saved = JSON.parse(await readFile(join(dataDir, DEMO_SECRETS_FILE), 'utf8'));
    expect(Object.keys(saved.devices)).toHaveLength(50);
  }, 60_000);
});
