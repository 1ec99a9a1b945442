import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PLC_NAMESPACE_URI, PlcSimulator } from '@ioc/simulators';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reading } from '../reading.js';
import { demoPlcMapping } from './demo-mapping.js';
import type { OpcuaMapping, OpcuaServerMapping } from './mapping.js';
import { OpcuaBridge, OpcuaBridgeError } from './opcua-bridge.js';

const USER = { username: 'ioc', password: 'mật-khẩu-thử' };
const logger = pino({ level: 'silent' });
const node = (path: string) => `nsu=${PLC_NAMESPACE_URI};s=DaNang.${path}`;

let dir: string;
let plc: PlcSimulator;
const bridges: OpcuaBridge[] = [];

function newPlc(port = 0, pkiDir = join(dir, 'plc-pki')): PlcSimulator {
  return new PlcSimulator({ logger, pkiDir, port, users: [USER], tickMs: 100, timeScale: 60 });
}

async function startBridge(
  mapping: OpcuaMapping,
  options: { metrics?: Registry; onReading?: (r: Reading) => void } = {},
): Promise<OpcuaBridge> {
  const bridge = new OpcuaBridge({
    mapping,
    logger,
    pkiDir: join(dir, 'bridge-pki'),
    onReading: options.onReading ?? (() => {}),
    metrics: options.metrics,
    reconnectDelayMs: { initial: 100, max: 500 },
    sessionRetryMs: 60_000,
  });
  bridges.push(bridge);
  await bridge.start();
  return bridge;
}

/** Resolves once the bridge has emitted readings that satisfy `done`. */
function readingsUntil(
  bridge: OpcuaBridge,
  done: (readings: Reading[]) => boolean,
  timeoutMs = 10_000,
): Promise<Reading[]> {
  const readings: Reading[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      bridge.off('reading', onReading);
      reject(new Error(`readings not complete after ${timeoutMs} ms: got ${readings.length}`));
    }, timeoutMs);
    const onReading = (reading: Reading) => {
      readings.push(reading);
      if (!done(readings)) return;
      clearTimeout(timer);
      bridge.off('reading', onReading);
      resolve(readings);
    };
    bridge.on('reading', onReading);
  });
}

function stateReached(bridge: OpcuaBridge, serverId: string, state: string, timeoutMs = 10_000) {
  return new Promise<string>((resolve, reject) => {
    if (bridge.state(serverId) === state) return resolve('already');
    const timer = setTimeout(
      () => reject(new Error(`${serverId} did not become ${state}: ${bridge.health().reason}`)),
      timeoutMs,
    );
    const onState = (id: string, s: string, reason: string) => {
      if (id !== serverId || s !== state) return;
      clearTimeout(timer);
      bridge.off('state', onState);
      resolve(reason);
    };
    bridge.on('state', onState);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-opcua-bridge-'));
  plc = newPlc();
  await plc.start();
});

afterAll(async () => {
  await Promise.all(bridges.map((b) => b.stop()));
  await plc?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('OpcuaBridge', () => {
  it('turns data changes of every mapped node into typed readings', async () => {
    const metrics = new Registry();
    const { mapping } = demoPlcMapping({ endpointUrl: plc.endpointUrl, ...USER });
    const expected = new Set(mapping.servers[0]?.nodes.map((n) => `${n.deviceId}/${n.metric}`));
    const viaCallback: Reading[] = [];
    const bridge = await startBridge(mapping, { metrics, onReading: (r) => viaCallback.push(r) });
    const readings = await readingsUntil(bridge, (all) => {
      const seen = new Set(
        all.flatMap((r) => Object.keys(r.values).map((m) => `${r.deviceId}/${m}`)),
      );
      return seen.size === expected.size;
    });

    for (const reading of readings) {
      expect(reading.source).toBe('opcua');
      expect(reading.ts).toBeInstanceOf(Date);
      expect(reading.receivedAt).toBeInstanceOf(Date);
      const [[metric, value]] = Object.entries(reading.values) as [[string, unknown]];
      expect(expected.has(`${reading.deviceId}/${metric}`)).toBe(true);
      expect(typeof value).toBe(metric === 'running' ? 'boolean' : 'number');
    }
    expect(viaCallback.length).toBeGreaterThanOrEqual(readings.length);
    expect(bridge.health()).toMatchObject({ status: 'up' });
    expect(await metrics.getSingleMetricAsString('ioc_opcua_connected')).toMatch(
      /ioc_opcua_connected\{server="danang-plc"\} 1/,
    );
    const counted = /ioc_opcua_values_total\{server="danang-plc"\} (\d+)/.exec(
      await metrics.getSingleMetricAsString('ioc_opcua_values_total'),
    );
    expect(Number(counted?.[1])).toBeGreaterThanOrEqual(expected.size);
  });

  it('applies a deadband: only the first value of a node with a huge deadband arrives', async () => {
    const level = node('PumpStations.HoaXuan.OutletLevel');
    const bridge = await startBridge({
      servers: [
        {
          id: 'deadband',
          endpointUrl: plc.endpointUrl,
          ...USER,
          publishingIntervalMs: 100,
          nodes: [
            { nodeId: level, deviceId: 'every', metric: 'level', samplingIntervalMs: 100 },
            {
              nodeId: level,
              deviceId: 'damped',
              metric: 'level',
              samplingIntervalMs: 100,
              deadband: { type: 'absolute', value: 1e6 },
            },
          ],
        },
      ],
    });
    const readings = await readingsUntil(
      bridge,
      (all) => all.filter((r) => r.deviceId === 'every').length >= 6,
    );
    // The first value is always reported; later changes are far below the deadband.
    expect(readings.filter((r) => r.deviceId === 'damped')).toHaveLength(1);
  });

  it('names the nodes the server refused in its health, and still reads the others', async () => {
    const bridge = await startBridge({
      servers: [
        {
          id: 'refused',
          endpointUrl: plc.endpointUrl,
          ...USER,
          nodes: [
            { nodeId: node('PumpStations.Nowhere.InletLevel'), deviceId: 'ghost', metric: 'level' },
            { nodeId: 'nsu=urn:not-there;s=X', deviceId: 'ghost', metric: 'other' },
            { nodeId: node('PumpStations.AnHai.InletLevel'), deviceId: 'ps', metric: 'level' },
          ],
        },
      ],
    });
    const readings = await readingsUntil(bridge, (all) => all.length >= 1);
    expect(readings[0]?.deviceId).toBe('ps');
    await stateReached(bridge, 'refused', 'connected');
    const { reason } = bridge.serverHealth().refused ?? {};
    expect(reason).toMatch(/Nowhere\.InletLevel \(BadNodeIdUnknown\)/);
    expect(reason).toMatch(/urn:not-there;s=X \(the server has no namespace urn:not-there\)/);
  });

  it('browses the PLC: objects, pump stations and their variables', async () => {
    const { mapping } = demoPlcMapping({
      endpointUrl: plc.endpointUrl,
      ...USER,
      serverId: 'browse',
    });
    const bridge = await startBridge(mapping);
    await stateReached(bridge, 'browse', 'connected');

    const objects = await bridge.browse('browse');
    expect(objects.map((n) => n.browseName)).toContain('DaNang');

    const stations = await bridge.browse('browse', node('PumpStations'));
    expect(stations.map((n) => n.browseName).sort()).toEqual(['AnHai', 'HoaQuy', 'HoaXuan']);
    const hoaXuan = stations.find((n) => n.browseName === 'HoaXuan');
    expect(hoaXuan).toMatchObject({
      nodeId: node('PumpStations.HoaXuan'),
      displayName: 'Trạm bơm tiêu Hòa Xuân',
      nodeClass: 'Object',
    });

    const variables = await bridge.browse('browse', hoaXuan?.nodeId);
    const inlet = variables.find((n) => n.browseName === 'InletLevel');
    expect(inlet).toMatchObject({ nodeClass: 'Variable', dataType: 'Double' });
    expect(typeof inlet?.value).toBe('number');

    await expect(bridge.browse('nope')).rejects.toMatchObject({ code: 'UNKNOWN_SERVER' });
    await expect(bridge.browse('browse', 'ns=1;x=what')).rejects.toBeInstanceOf(OpcuaBridgeError);
    await expect(bridge.browse('browse', 'ns=1;x=what')).rejects.toMatchObject({
      code: 'INVALID_NODE_ID',
    });
  });

  it('reports a wrong password as down with the reason, without crashing', async () => {
    const { mapping } = demoPlcMapping({
      endpointUrl: plc.endpointUrl,
      username: USER.username,
      password: 'sai-mật-khẩu',
      serverId: 'wrong-password',
    });
    const bridge = await startBridge(mapping);
    const reason = await stateReached(bridge, 'wrong-password', 'failed');
    expect(reason).toMatch(/check username and password/);
    expect(bridge.health()).toEqual({
      status: 'down',
      reason: expect.stringMatching(/^wrong-password \(opc\.tcp:.*\) failed: .*check username/),
    });
    await expect(bridge.browse('wrong-password')).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
  });

  it('reconnects after the server restarts and readings flow again', async () => {
    const port = await freePort();
    const pkiDir = join(dir, 'restart-pki');
    let server = newPlc(port, pkiDir);
    await server.start();
    try {
      const { mapping } = demoPlcMapping({
        endpointUrl: server.endpointUrl,
        ...USER,
        serverId: 'restart',
        publishingIntervalMs: 100,
        samplingIntervalMs: 100,
      });
      const bridge = await startBridge(mapping);
      await readingsUntil(bridge, (all) => all.length >= 5);

      const lost = stateReached(bridge, 'restart', 'reconnecting');
      await server.stop();
      await lost;
      expect(bridge.health().status).toBe('down');

      server = newPlc(port, pkiDir);
      await server.start();
      const restartedAt = Date.now();
      const after = await readingsUntil(
        bridge,
        (all) => all.filter((r) => r.receivedAt.getTime() >= restartedAt).length >= 10,
        20_000,
      );
      expect(after.some((r) => r.deviceId === 'ps-hoa-xuan')).toBe(true);
      expect(bridge.state('restart')).toBe('connected');
    } finally {
      await server.stop();
    }
  }, 30_000);

  it('applies node changes to the live session: new nodes report, removed ones stop at once', async () => {
    const bridge = await startBridge({ servers: [] });
    const mapped = (id: string, station: string) => ({
      nodeId: node(`PumpStations.${station}.InletLevel`),
      deviceId: id,
      metric: 'level',
      samplingIntervalMs: 100,
    });
    const server: OpcuaServerMapping = {
      id: 'live',
      endpointUrl: plc.endpointUrl,
      ...USER,
      publishingIntervalMs: 100,
      nodes: [mapped('a', 'HoaXuan')],
    };
    expect(await bridge.upsertServer(server)).toBe('added');
    await readingsUntil(bridge, (all) => all.some((r) => r.deviceId === 'a'));
    await stateReached(bridge, 'live', 'connected');
    const states: string[] = [];
    bridge.on('state', (id, state) => {
      if (id === 'live') states.push(state);
    });

    const withB = { ...server, nodes: [mapped('a', 'HoaXuan'), mapped('b', 'AnHai')] };
    expect(await bridge.upsertServer(withB)).toBe('nodes-updated');
    await readingsUntil(bridge, (all) => all.some((r) => r.deviceId === 'b'));

    await bridge.upsertServer({ ...server, nodes: [mapped('b', 'AnHai')] });
    const afterRemoval = await readingsUntil(
      bridge,
      (all) => all.filter((r) => r.deviceId === 'b').length >= 5,
    );
    expect(afterRemoval.filter((r) => r.deviceId === 'a')).toEqual([]);

    // A new default publishing interval moves the nodes to another subscription, live.
    await bridge.upsertServer({
      ...server,
      publishingIntervalMs: 200,
      nodes: [mapped('b', 'AnHai')],
    });
    await readingsUntil(bridge, (all) => all.filter((r) => r.deviceId === 'b').length >= 2);
    expect(states).toEqual([]); // never reconnected
    expect(bridge.serverHealth().live?.reason).toMatch(/connected, 1 node\(s\)$/);
  });

  it('reconnects only the server whose login changed, and forgets a removed one', async () => {
    const metrics = new Registry();
    const { mapping } = demoPlcMapping({ endpointUrl: plc.endpointUrl, ...USER, serverId: 'one' });
    const [one] = mapping.servers as [OpcuaServerMapping];
    const two = { ...one, id: 'two' };
    const bridge = await startBridge({ servers: [one, two] }, { metrics });
    await stateReached(bridge, 'one', 'connected');
    await stateReached(bridge, 'two', 'connected');
    const states: string[] = [];
    bridge.on('state', (id, state) => states.push(`${id}:${state}`));

    expect(await bridge.upsertServer({ ...two, password: 'sai-mật-khẩu' })).toBe('reconnected');
    expect(await stateReached(bridge, 'two', 'failed')).toMatch(/check username and password/);
    expect(states.filter((s) => s.startsWith('one:'))).toEqual([]);
    expect(bridge.state('one')).toBe('connected');

    expect(await bridge.removeServer('two')).toBe(true);
    expect(await bridge.removeServer('two')).toBe(false);
    expect(bridge.serverIds()).toEqual(['one']);
    expect(await metrics.getSingleMetricAsString('ioc_opcua_connected')).not.toMatch(/two/);
    expect(await bridge.upsertServer({ ...one, enabled: false })).toBe('removed');
    expect(bridge.health()).toEqual({ status: 'up', reason: 'no OPC-UA servers configured' });
  });

  it('leaves nothing running after stop(): the process exits on its own', async () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const script = join(dir, 'stop-exits.mts');
    await writeFile(
      script,
      `
import { pino } from ${JSON.stringify(createRequire(import.meta.url).resolve('pino'))};
import { PlcSimulator } from ${JSON.stringify(resolvePath(here, '../../../simulators/src/index.ts'))};
import { OpcuaBridge, demoPlcMapping } from ${JSON.stringify(resolvePath(here, 'index.ts'))};
const logger = pino({ level: 'silent' });
const user = ${JSON.stringify(USER)};
const plc = new PlcSimulator({ logger, pkiDir: ${JSON.stringify(join(dir, 'exit-pki'))}, port: 0, users: [user], tickMs: 100 });
await plc.start();
const { mapping } = demoPlcMapping({ endpointUrl: plc.endpointUrl, ...user });
let readings = 0;
const bridge = new OpcuaBridge({ mapping, logger, pkiDir: ${JSON.stringify(join(dir, 'exit-pki'))}, onReading: () => readings++ });
await bridge.start();
await new Promise((resolve) => bridge.once('reading', resolve));
await bridge.stop();
await plc.stop();
console.log('stopped after', readings, 'reading(s)');
`,
    );
    const started = Date.now();
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--conditions=ioc:source', '--import', 'tsx', script],
        { cwd: resolvePath(here, '../../..'), timeout: 20_000 },
        (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    expect(output).toMatch(/stopped after [1-9]\d* reading/);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 25_000);
});
