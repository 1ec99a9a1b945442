import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IocServer, type iocEnvironment, runIoc, startIocServer } from './ioc-server.js';

type Environment = Awaited<ReturnType<typeof iocEnvironment>>;

const PLC_PASSWORD = 'plc-e2e-password';
const PLC_NS = 'nsu=urn:ioc:simulators:da-nang-plc;s=DaNang';

// Issue 3, OPC-UA mappings through the API: a real `ioc start` with the demo PLC (a real
// node-opcua server), real SQL and InfluxDB. A server and a node mapping made over REST
// bring PLC values through the pipeline without a restart; deleting the mapping stops them;
// the configuration outlives a restart; bad requests get their own errors; only admins may.
describe('OPC-UA servers and mappings over the API', () => {
  let ioc: IocServer;
  let environment: Environment;
  let admin: string;
  let viewer: string;
  let mappingId: string;

  beforeAll(async () => {
    ioc = await startIocServer({
      args: ['--demo', '--only', 'broker,ingest,web,simulators'],
      env: {
        IOC_SIM_DEVICES: '0',
        IOC_OPCUA_SIM_PASSWORD: PLC_PASSWORD,
        // Pump stations report every 60 s by the catalogue: offline after 3 s of silence here.
        IOC_OFFLINE_AFTER_MISSED_REPORTS: '0.05',
      },
    });
    environment = { env: ioc.env, ports: ioc.ports, dataDir: ioc.dataDir };
    admin = await token('admin');
    viewer = await token('viewer');
  });

  afterAll(async () => {
    await ioc?.stop('SIGINT');
    ioc?.cleanup();
  });

  async function token(role: string): Promise<string> {
    const created = await runIoc(['token', 'create', '--role', role, '--json'], ioc.env);
    expect(created.code, created.stderr).toBe(0);
    return (JSON.parse(created.stdout) as { token: string }).token;
  }

  async function api(
    method: string,
    path: string,
    body?: unknown,
    as = admin,
  ): Promise<{ status: number; text: string; json: Record<string, unknown> }> {
    const response = await fetch(`${ioc.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${as}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, json: text ? JSON.parse(text) : {} };
  }

  /** The latest value of a metric of a device, as the wall reads it (server memory). */
  async function latest(device: string, metric: string): Promise<{ value: number; ts: number }> {
    const answer = await api('GET', `/api/v1/telemetry/latest?device=${device}`);
    const values = (answer.json.values ?? {}) as Record<string, { value: number; ts: number }>;
    return values[metric] ?? { value: Number.NaN, ts: 0 };
  }

  /** Polls (the API has no push for this) until `check` holds. */
  async function until<T>(what: string, read: () => Promise<T>, check: (v: T) => boolean) {
    const deadline = Date.now() + 30_000;
    let value = await read();
    while (!check(value)) {
      if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      value = await read();
    }
    return value;
  }

  const endpoint = () => `opc.tcp://127.0.0.1:${ioc.ports.opcua}`;
  const inlet = (station: string) => `${PLC_NS}.PumpStations.${station}.InletLevel`;

  it('lists the demo PLC the IOC wrote on start, with no password', async () => {
    const answer = await api('GET', '/api/v1/opcua/servers');
    expect(answer.status).toBe(200);
    expect(answer.json.servers).toEqual([
      expect.objectContaining({
        id: 'danang-plc',
        source: 'demo',
        hasPassword: true,
        nodeCount: 18,
        status: expect.objectContaining({ state: 'connected' }),
      }),
    ]);
    expect(answer.text).not.toContain(PLC_PASSWORD);
    expect(answer.text).not.toContain('"password"');
  });

  it('refuses everyone but administrators', async () => {
    const server = { id: 'e2e-plc', endpointUrl: endpoint() };
    expect((await api('POST', '/api/v1/opcua/servers', server, viewer)).json.code).toBe(
      'FORBIDDEN',
    );
    expect((await api('GET', '/api/v1/opcua/servers', undefined, viewer)).status).toBe(403);
  });

  it('maps a PLC node to a new device over the API: its values arrive without a restart', async () => {
    const device = await api('POST', '/api/v1/devices', {
      id: 'ps-e2e',
      type: 'pump-station',
      unit: '20194',
    });
    expect(device.status).toBe(201);
    const created = await api('POST', '/api/v1/opcua/servers', {
      id: 'e2e-plc',
      endpointUrl: endpoint(),
      username: 'ioc',
      password: PLC_PASSWORD,
      publishingIntervalMs: 200,
    });
    expect(created.status).toBe(201);
    expect(created.text).not.toContain(PLC_PASSWORD);
    const mapped = await api('POST', '/api/v1/opcua/servers/e2e-plc/nodes', {
      nodeId: inlet('HoaXuan'),
      deviceId: 'ps-e2e',
      metric: 'inlet_level_cm',
      samplingIntervalMs: 200,
    });
    expect(mapped.status, mapped.text).toBe(201);
    mappingId = (mapped.json.node as { id: string }).id;
    // A second mapping that stays, for the restart below.
    const kept = await api('POST', '/api/v1/opcua/servers/e2e-plc/nodes', {
      nodeId: `${PLC_NS}.PumpStations.HoaXuan.MotorCurrent`,
      deviceId: 'ps-e2e',
      metric: 'motor_current_a',
    });
    expect(kept.status, kept.text).toBe(201);

    const first = await until(
      'a value of ps-e2e',
      () => latest('ps-e2e', 'inlet_level_cm'),
      (v) => Number.isFinite(v.value),
    );
    await until(
      'a newer value of ps-e2e',
      () => latest('ps-e2e', 'inlet_level_cm'),
      (v) => v.ts > first.ts,
    );
    // Its reports made it online on the bus, which records last-seen.
    await until(
      'last-seen of ps-e2e',
      async () =>
        ((await api('GET', '/api/v1/devices/ps-e2e')).json.device as { lastSeenAt: string | null })
          .lastSeenAt,
      (seen) => seen !== null,
    );
    const server = await api('GET', '/api/v1/opcua/servers/e2e-plc');
    expect(server.json.server).toMatchObject({
      nodeCount: 2,
      status: { state: 'connected', refusedNodes: [] },
    });
  });

  it('gives each bad request its own error, and changes nothing', async () => {
    const nodes = '/api/v1/opcua/servers/e2e-plc/nodes';
    const good = { nodeId: inlet('AnHai'), deviceId: 'ps-e2e', metric: 'flow_m3s' };
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', nodes, { ...good, deviceId: 'ps-nowhere' }, 404, 'DEVICE_NOT_FOUND'],
      ['POST', nodes, { ...good, metric: 'rain_mm_h' }, 400, 'UNKNOWN_METRIC'],
      ['POST', nodes, { ...good, nodeId: 'PumpStations.AnHai.FlowRate' }, 400, 'INVALID_NODE_ID'],
      ['POST', nodes, { ...good, metric: 'inlet_level_cm' }, 409, 'MAPPING_CONFLICT'],
      ['POST', nodes, { ...good, samplingIntervalMs: 'fast' }, 400, 'INVALID_REQUEST'],
      ['POST', '/api/v1/opcua/servers/nowhere/nodes', good, 404, 'OPCUA_SERVER_NOT_FOUND'],
      [
        'POST',
        '/api/v1/opcua/servers',
        { id: 'e2e-plc', endpointUrl: endpoint() },
        409,
        'OPCUA_SERVER_EXISTS',
      ],
      [
        'POST',
        '/api/v1/opcua/servers',
        { id: 'x', endpointUrl: 'http://plc' },
        400,
        'INVALID_ENDPOINT_URL',
      ],
      [
        'PATCH',
        '/api/v1/opcua/servers/e2e-plc',
        { securityPolicy: 'Basic256Sha256' },
        400,
        'INVALID_SECURITY',
      ],
    ];
    for (const [method, path, body, status, code] of cases) {
      const answer = await api(method, path, body);
      expect({
        request: `${method} ${path} ${JSON.stringify(body)}`,
        status: answer.status,
        code: answer.json.code,
      }).toEqual({
        request: `${method} ${path} ${JSON.stringify(body)}`,
        status,
        code,
      });
      expect(String(answer.json.message)).not.toBe('');
    }
    expect((await api('GET', nodes)).json.nodes).toHaveLength(2);
    expect((await api('GET', '/api/v1/opcua/servers')).json.servers).toHaveLength(2);
  });

  it('stops the values of a deleted mapping at once, and audits every change', async () => {
    const deleted = await api('DELETE', `/api/v1/opcua/servers/e2e-plc/nodes/${mappingId}`);
    expect(deleted.status).toBe(204);
    // What was in the pipeline when the answer came has landed once the demo PLC's own
    // device shows a newer value; from then on ps-e2e's level stands still.
    const control = await latest('ps-hoa-xuan', 'inlet_level_cm');
    await until(
      'a newer demo value',
      () => latest('ps-hoa-xuan', 'inlet_level_cm'),
      (v) => v.ts > control.ts,
    );
    const last = await latest('ps-e2e', 'inlet_level_cm');
    const later = await latest('ps-hoa-xuan', 'inlet_level_cm');
    await until(
      'three more seconds of demo values',
      () => latest('ps-hoa-xuan', 'inlet_level_cm'),
      (v) => v.ts > later.ts + 3000,
    );
    expect(await latest('ps-e2e', 'inlet_level_cm')).toEqual(last);

    const audit = await api('GET', '/api/v1/audit?limit=50');
    const actions = (
      (audit.json.entries ?? []) as Array<{
        action: string;
        target: string;
      }>
    )
      .filter((e) => e.action.startsWith('opcua.'))
      .map((e) => `${e.action} ${e.target}`)
      .reverse();
    expect(actions).toEqual([
      'opcua.server.create opcua-server:e2e-plc',
      `opcua.node.create opcua-node:${mappingId}`,
      expect.stringMatching(/^opcua\.node\.create opcua-node:/),
      `opcua.node.delete opcua-node:${mappingId}`,
    ]);
    expect(audit.text).not.toContain(PLC_PASSWORD);
  });

  it('keeps the servers and mappings made over the API across a restart', async () => {
    expect(await ioc.stop('SIGINT')).toBe(0);
    ioc = await startIocServer({
      args: ['--demo', '--only', 'broker,ingest,web,simulators'],
      environment,
    });
    const nodes = await api('GET', '/api/v1/opcua/servers/e2e-plc/nodes');
    expect((nodes.json.nodes as Array<{ metric: string }>).map((n) => n.metric)).toEqual([
      'motor_current_a',
    ]);
    const before = await latest('ps-e2e', 'motor_current_a');
    await until(
      'a value of the kept mapping after the restart',
      () => latest('ps-e2e', 'motor_current_a'),
      (v) => Number.isFinite(v.value) && v.ts > before.ts,
    );
  }, 120_000);
});
