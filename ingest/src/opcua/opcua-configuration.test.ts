import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiError,
  type InfluxStore,
  loadConfig,
  loadUnitTree,
  openSqlStore,
  type SqlStore,
} from '@ioc/core';
import { DeviceRegistry, loadDeviceCatalogue } from '@ioc/devices';
import { PLC_NAMESPACE_URI, PlcSimulator } from '@ioc/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterLog } from '../pipeline/dead-letters.js';
import { TelemetrySpool } from '../pipeline/spool.js';
import { TelemetryPipeline } from '../pipeline/telemetry-pipeline.js';
import type { TelemetryPoint } from '../pipeline/telemetry-point.js';
import { countPoints, TestInflux, tempDir, testLogger } from '../pipeline/test-support.js';
import { OpcuaMappingStore } from './mapping-store.js';
import { OpcuaBridge } from './opcua-bridge.js';
import { OpcuaConfiguration, type OpcuaNodeInput } from './opcua-configuration.js';

// The OPC-UA configuration against a real PLC (node-opcua server), real SQL (PGlite), the
// real device registry and the real pipeline into a real InfluxDB: what the admin API does.
const HAI_VAN = '20194';
const USER = { username: 'ioc', password: 'mật-khẩu-thử' };
const logger = testLogger();
const node = (path: string) => `nsu=${PLC_NAMESPACE_URI};s=DaNang.${path}`;

let dataDir: string;
let influx: TestInflux;
let store: InfluxStore;
let sql: SqlStore;
let registry: DeviceRegistry;
let spool: TelemetrySpool;
let deadLetters: DeadLetterLog;
let pipeline: TelemetryPipeline;
let plc: PlcSimulator;
let bridge: OpcuaBridge;
let config: OpcuaConfiguration;
const reports: string[] = [];

beforeAll(async () => {
  dataDir = await tempDir('ioc-opcua-config-');
  influx = await TestInflux.start();
  store = await influx.connect('ioc_opcua_config_test');
  const [units, catalogue] = await Promise.all([
    loadUnitTree('da-nang-2025'),
    loadDeviceCatalogue(),
  ]);
  sql = await openSqlStore(loadConfig({ env: {}, cwd: dataDir, overrides: { dataDir } }), logger);
  registry = new DeviceRegistry({ sql, catalogue, units, logger });
  for (const [id, type] of [
    ['ps-api', 'pump-station'],
    ['ps-control', 'pump-station'],
    ['ps-secure', 'pump-station'],
    ['wl-1', 'water-level'],
    ['ps-revoked', 'pump-station'],
  ] as const) {
    await registry.provision({ id, type, unit: HAI_VAN });
  }
  await registry.revoke('ps-revoked');
  spool = await TelemetrySpool.open({ dir: join(dataDir, 'spool'), influx: store, logger });
  deadLetters = new DeadLetterLog({ sql, logger, flushDelayMs: 10 });
  pipeline = new TelemetryPipeline({ registry, spool, deadLetters, logger });
  plc = new PlcSimulator({
    logger,
    pkiDir: join(dataDir, 'plc-pki'),
    port: 0,
    users: [USER],
    tickMs: 100,
    timeScale: 60,
  });
  await plc.start();
  // Wired as ingest's start() does.
  bridge = new OpcuaBridge({
    logger,
    pkiDir: join(dataDir, 'bridge-pki'),
    onReading: (reading) => {
      reports.push(reading.deviceId);
      void pipeline.handleReading(reading);
    },
    reconnectDelayMs: { initial: 100, max: 500 },
    sessionRetryMs: 500,
  });
  config = new OpcuaConfiguration({ store: new OpcuaMappingStore(sql), bridge, registry, logger });
  await config.start();
}, 120_000);

afterAll(async () => {
  await bridge?.stop();
  await plc?.stop();
  pipeline?.close();
  await spool?.close();
  await deadLetters?.close();
  await sql?.close();
  await store?.close();
  await influx?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Resolves with the points the pipeline accepted until `done` says enough. */
function acceptedUntil(
  done: (points: TelemetryPoint[]) => boolean,
  timeoutMs = 15_000,
): Promise<TelemetryPoint[]> {
  const points: TelemetryPoint[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pipeline.off('accepted', onAccepted);
      const devices = [...new Set(points.map((p) => p.device))].join(', ') || 'none';
      reject(new Error(`not enough points after ${timeoutMs} ms (devices: ${devices})`));
    }, timeoutMs);
    const onAccepted = (batch: TelemetryPoint[]) => {
      points.push(...batch);
      if (!done(points)) return;
      clearTimeout(timer);
      pipeline.off('accepted', onAccepted);
      resolve(points);
    };
    pipeline.on('accepted', onAccepted);
  });
}

const of = (points: TelemetryPoint[], device: string) => points.filter((p) => p.device === device);

async function refusal(action: Promise<unknown>): Promise<ApiError> {
  const err = await action.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

const inlet = (deviceId = 'ps-api'): OpcuaNodeInput => ({
  nodeId: node('PumpStations.HoaXuan.InletLevel'),
  deviceId,
  metric: 'inlet_level_cm',
  samplingIntervalMs: 100,
});

describe('OpcuaConfiguration', () => {
  it('maps a node without a restart: its values go through the pipeline into InfluxDB, and stop when the mapping goes', async () => {
    const server = await config.createServer({
      id: 'plc',
      endpointUrl: plc.endpointUrl,
      ...USER,
      publishingIntervalMs: 100,
    });
    expect(server).toMatchObject({ id: 'plc', hasPassword: true, username: 'ioc', source: 'api' });
    expect(server).not.toHaveProperty('password');

    const mapping = await config.createNode('plc', inlet());
    // Levels carry instrument noise: they change at every step of the PLC.
    await config.createNode('plc', {
      nodeId: node('PumpStations.AnHai.InletLevel'),
      deviceId: 'ps-control',
      metric: 'inlet_level_cm',
      samplingIntervalMs: 100,
    });
    const points = await acceptedUntil((all) => of(all, 'ps-api').length >= 3);
    expect(of(points, 'ps-api')[0]).toMatchObject({
      type: 'pump-station',
      unit: HAI_VAN,
      fields: { inlet_level_cm: expect.any(Number) },
    });
    expect(pipeline.latest('ps-api')?.values.inlet_level_cm?.value).toEqual(expect.any(Number));
    await spool.drained();
    expect(await countPoints(store, 'inlet_level_cm', 'ps-api')).toBeGreaterThanOrEqual(3);
    expect((await config.getServer('plc')).status).toMatchObject({
      state: 'connected',
      refusedNodes: [],
    });

    await config.deleteNode('plc', mapping.id);
    const reportsBefore = reports.filter((d) => d === 'ps-api').length;
    // The control device keeps reporting; the unmapped one is silent from the answer on.
    const after = await acceptedUntil((all) => of(all, 'ps-control').length >= 5);
    expect(of(after, 'ps-api')).toEqual([]);
    expect(reports.filter((d) => d === 'ps-api').length).toBe(reportsBefore);
    expect((await config.listNodes('plc')).map((n) => n.deviceId)).toEqual(['ps-control']);
  });

  it('refuses bad node mappings, each with its own code, and stores none of them', async () => {
    const before = await config.listNodes('plc');
    const cases: Array<[Promise<unknown>, number, string, RegExp]> = [
      [
        config.createNode('nope', inlet()),
        404,
        'OPCUA_SERVER_NOT_FOUND',
        /no OPC-UA server "nope"/,
      ],
      [
        config.createNode('plc', { ...inlet(), nodeId: 'DaNang.InletLevel' }),
        400,
        'INVALID_NODE_ID',
        /not an OPC-UA node id; use e\.g\./,
      ],
      [
        config.createNode('plc', inlet('ps-ghost')),
        404,
        'DEVICE_NOT_FOUND',
        /no device with id "ps-ghost"; provision it first/,
      ],
      [
        config.createNode('plc', { ...inlet(), metric: 'level_cm' }),
        400,
        'UNKNOWN_METRIC',
        /"ps-api" is a pump-station, which has no metric "level_cm"; its metrics are running, flow_m3s, inlet_level_cm, motor_current_a/,
      ],
      [config.createNode('plc', inlet('ps-revoked')), 409, 'DEVICE_REVOKED', /is revoked/],
      [
        config.createNode('plc', {
          ...inlet(),
          nodeId: node('PumpStations.HoaXuan.Running'),
          metric: 'running',
          deadband: { type: 'absolute', value: 1 },
        }),
        400,
        'INVALID_DEADBAND',
        /"running" is a boolean/,
      ],
      [
        config.createNode('plc', { ...inlet(), deadband: { type: 'percent', value: 150 } }),
        400,
        'INVALID_DEADBAND',
        /0-100, got 150/,
      ],
      [
        config.createNode('plc', {
          ...inlet('ps-control'),
          nodeId: node('PumpStations.HoaQuy.InletLevel'),
        }),
        409,
        'MAPPING_CONFLICT',
        /ps-control inlet_level_cm is already mapped by node .*AnHai\.InletLevel of server plc/,
      ],
      [
        config.updateNode('plc', '00000000-0000-0000-0000-000000000000', { metric: 'running' }),
        404,
        'OPCUA_MAPPING_NOT_FOUND',
        /has no node mapping/,
      ],
      [config.deleteNode('plc', 'not-a-uuid'), 404, 'OPCUA_MAPPING_NOT_FOUND', /has no node/],
    ];
    for (const [action, status, code, message] of cases) {
      const err = await refusal(action);
      expect({ status: err.statusCode, code: err.code }).toEqual({ status, code });
      expect(err.message).toMatch(message);
    }
    expect(await config.listNodes('plc')).toEqual(before);
  });

  it('refuses bad servers, each with its own code', async () => {
    const good = { id: 'other', endpointUrl: plc.endpointUrl };
    const cases: Array<[Promise<unknown>, number, string]> = [
      [config.createServer({ ...good, id: 'bad id' }), 400, 'INVALID_SERVER_ID'],
      [config.createServer({ ...good, id: 'servers' }), 400, 'INVALID_SERVER_ID'],
      [
        config.createServer({ ...good, endpointUrl: 'http://plc:4840' }),
        400,
        'INVALID_ENDPOINT_URL',
      ],
      [
        config.createServer({ ...good, securityMode: 'None', securityPolicy: 'Basic256Sha256' }),
        400,
        'INVALID_SECURITY',
      ],
      [
        config.createServer({ ...good, securityMode: 'Sign', securityPolicy: 'None' }),
        400,
        'INVALID_SECURITY',
      ],
      [config.createServer({ ...good, username: 'ioc' }), 400, 'INCOMPLETE_CREDENTIALS'],
      [config.createServer({ ...good, id: 'plc' }), 409, 'OPCUA_SERVER_EXISTS'],
      [config.updateServer('plc', { username: 'someone-else' }), 400, 'INCOMPLETE_CREDENTIALS'],
      [config.updateServer('nope', { enabled: false }), 404, 'OPCUA_SERVER_NOT_FOUND'],
      [config.deleteServer('nope'), 404, 'OPCUA_SERVER_NOT_FOUND'],
    ];
    for (const [action, status, code] of cases) {
      const err = await refusal(action);
      expect({ status: err.statusCode, code: err.code, message: err.message }).toMatchObject({
        status,
        code,
      });
    }
    expect((await config.listServers()).map((s) => s.id)).toEqual(['plc']);
  });

  it('reconnects a server whose login or security changed, and never shows its password', async () => {
    await config.createServer({
      id: 'secure',
      endpointUrl: plc.endpointUrl,
      username: USER.username,
      password: 'sai-mật-khẩu',
      publishingIntervalMs: 100,
    });
    await config.createNode('secure', {
      nodeId: node('SluiceGates.KhueTrung.UpstreamLevel'),
      deviceId: 'ps-secure',
      metric: 'inlet_level_cm',
      samplingIntervalMs: 100,
    });
    await waitForState('secure', 'failed');
    expect((await config.getServer('secure')).status.reason).toMatch(/check username and password/);

    // The right password, over an encrypted channel (policy defaults to Basic256Sha256).
    const changed = await config.updateServer('secure', {
      password: USER.password,
      securityMode: 'SignAndEncrypt',
    });
    expect(changed).toMatchObject({
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
    });
    await acceptedUntil((all) => of(all, 'ps-secure').length >= 2, 30_000);
    expect((await config.getServer('secure')).status.state).toBe('connected');

    const listed = JSON.stringify([await config.listServers(), await config.getServer('secure')]);
    expect(listed).not.toContain(USER.password);
    expect(listed).not.toContain('sai-mật-khẩu');
    expect(listed).not.toContain('"password"');

    // Anonymous: the PLC refuses sessions without a login.
    const anonymous = await config.updateServer('secure', { username: null });
    expect(anonymous).toMatchObject({ username: null, hasPassword: false });
    await waitForState('secure', 'failed');
  }, 60_000);

  it('disables and deletes servers: disconnected at once, mappings gone with them', async () => {
    const disabled = await config.updateServer('secure', { enabled: false });
    expect(disabled.status).toEqual({ state: 'disabled', reason: 'disabled', refusedNodes: [] });
    expect(bridge.serverIds()).not.toContain('secure');
    await config.deleteServer('secure');
    await expect(config.listNodes('secure')).rejects.toMatchObject({
      code: 'OPCUA_SERVER_NOT_FOUND',
    });
    // Its device metric is free again.
    await config.createNode('plc', {
      nodeId: node('PumpStations.HoaQuy.InletLevel'),
      deviceId: 'ps-secure',
      metric: 'inlet_level_cm',
    });
  });

  it('browses a connected server and says why it cannot browse another', async () => {
    const stations = await config.browse('plc', node('PumpStations'));
    expect(stations.map((n) => n.browseName).sort()).toEqual(['AnHai', 'HoaQuy', 'HoaXuan']);
    const unknown = await refusal(config.browse('nope'));
    expect({ status: unknown.statusCode, code: unknown.code }).toEqual({
      status: 404,
      code: 'UNKNOWN_SERVER',
    });
    const bad = await refusal(config.browse('plc', 'ns=1;x=what'));
    expect({ status: bad.statusCode, code: bad.code }).toEqual({
      status: 400,
      code: 'INVALID_NODE_ID',
    });
  });

  it('writes a mapping file over its servers and applies it to the running bridge', async () => {
    await config.seed(
      {
        servers: [
          {
            id: 'from-file',
            endpointUrl: plc.endpointUrl,
            ...USER,
            publishingIntervalMs: 100,
            nodes: [
              {
                nodeId: node('SluiceGates.CoCo.UpstreamLevel'),
                deviceId: 'ps-api',
                metric: 'inlet_level_cm',
                samplingIntervalMs: 100,
              },
            ],
          },
        ],
      },
      'file',
    );
    expect((await config.getServer('from-file')).source).toBe('file');
    await acceptedUntil((all) => of(all, 'ps-api').length >= 2);
    // Not in the next file: removed, and its values stop.
    await config.seed({ servers: [] }, 'file');
    expect(bridge.serverIds()).not.toContain('from-file');
    const after = await acceptedUntil((all) => of(all, 'ps-control').length >= 3);
    expect(of(after, 'ps-api')).toEqual([]);
  });
});

async function waitForState(serverId: string, state: string): Promise<void> {
  if (bridge.state(serverId) === state) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${serverId} did not become ${state}: ${bridge.health().reason}`)),
      15_000,
    );
    const onState = (id: string, s: string) => {
      if (id !== serverId || s !== state) return;
      clearTimeout(timer);
      bridge.off('state', onState);
      resolve();
    };
    bridge.on('state', onState);
  });
}
