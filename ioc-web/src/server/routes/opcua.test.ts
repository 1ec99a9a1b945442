import {
  ApiError,
  ApiTokens,
  AuditLog,
  createLogger,
  HealthRegistry,
  loadUnitTree,
  type Role,
  SessionStore,
  type SqlStore,
  sqlTestBackends,
  UserAccounts,
} from '@ioc/core';
import { DeviceRegistry, loadDeviceCatalogue } from '@ioc/devices';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WebContext } from '../context.js';
import { buildWebApp } from '../web-app.js';
import type {
  OpcuaAdmin,
  OpcuaNodeBody,
  OpcuaNodeResponse,
  OpcuaServerBody,
  OpcuaServerResponse,
} from './opcua.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

const SECRET = 'mật-khẩu-PLC-0123';
const NODE_ID = 'nsu=urn:ioc:simulators:da-nang-plc;s=DaNang.PumpStations.HoaXuan.InletLevel';
const MAPPING_ID = '3f8a1c52-6a0e-4c1b-9d7e-2b5e4f1a9c00';

/**
 * Stands in for ingest's OpcuaConfiguration behind the OpcuaAdmin interface (the web package
 * does not depend on ingest; its checks, SQL and live bridge are tested in ingest/src/opcua
 * and end to end in test/src/opcua-api.e2e.test.ts). It remembers what it was asked and
 * answers like the real one, so these tests are about the HTTP side: roles, body schemas,
 * status codes, the audit log and secrets that never leave the server.
 */
class RecordingOpcuaAdmin implements OpcuaAdmin {
  readonly calls: string[] = [];

  async listServers() {
    this.calls.push('listServers');
    return [this.#server('plc')];
  }
  async getServer(id: string) {
    this.calls.push(`getServer ${id}`);
    if (id !== 'plc') throw new ApiError(404, 'OPCUA_SERVER_NOT_FOUND', `no OPC-UA server "${id}"`);
    return this.#server(id);
  }
  async createServer(input: OpcuaServerBody) {
    this.calls.push(`createServer ${JSON.stringify(input)}`);
    return this.#server(input.id);
  }
  async updateServer(id: string, patch: object) {
    this.calls.push(`updateServer ${id} ${JSON.stringify(patch)}`);
    return this.#server(id);
  }
  async deleteServer(id: string) {
    this.calls.push(`deleteServer ${id}`);
  }
  async listNodes(serverId: string) {
    this.calls.push(`listNodes ${serverId}`);
    return [this.#node(serverId)];
  }
  async getNode(serverId: string, id: string) {
    this.calls.push(`getNode ${serverId} ${id}`);
    return this.#node(serverId);
  }
  async createNode(serverId: string, input: OpcuaNodeBody) {
    this.calls.push(`createNode ${serverId} ${JSON.stringify(input)}`);
    return { ...this.#node(serverId), ...input };
  }
  async updateNode(serverId: string, id: string, patch: object) {
    this.calls.push(`updateNode ${serverId} ${id} ${JSON.stringify(patch)}`);
    return this.#node(serverId);
  }
  async deleteNode(serverId: string, id: string) {
    this.calls.push(`deleteNode ${serverId} ${id}`);
  }
  async browse(serverId: string, nodeId?: string) {
    this.calls.push(`browse ${serverId} ${nodeId ?? ''}`);
    return [
      {
        nodeId: NODE_ID,
        browseName: 'InletLevel',
        displayName: 'Mực nước bể hút',
        nodeClass: 'Variable',
        dataType: 'Double',
        value: 12.5,
      },
    ];
  }

  /** With its password, as a careless implementation might hand it over. */
  #server(id: string): OpcuaServerResponse {
    return {
      id,
      endpointUrl: 'opc.tcp://127.0.0.1:4840',
      securityMode: 'None',
      securityPolicy: 'None',
      username: 'ioc',
      hasPassword: true,
      password: SECRET,
      publishingIntervalMs: 1000,
      enabled: true,
      source: 'api',
      nodeCount: 1,
      createdAt: '2026-11-02T03:04:05.000Z',
      updatedAt: '2026-11-02T03:04:05.000Z',
      status: { state: 'connected', reason: 'connected, 1 node(s)', refusedNodes: [] },
    } as OpcuaServerResponse;
  }

  #node(serverId: string): OpcuaNodeResponse {
    return {
      id: MAPPING_ID,
      serverId,
      nodeId: NODE_ID,
      deviceId: 'ps-hoa-xuan',
      metric: 'inlet_level_cm',
      samplingIntervalMs: 1000,
      publishingIntervalMs: null,
      deadband: null,
      createdAt: '2026-11-02T03:04:05.000Z',
      updatedAt: '2026-11-02T03:04:05.000Z',
    };
  }
}

const { backends, cleanup } = sqlTestBackends('web-opcua', inject('postgresUrl'));
const pglite = backends.find((b) => b.kind === 'pglite');
afterAll(cleanup);

let sql: SqlStore;
let audit: AuditLog;
let opcua: RecordingOpcuaAdmin;
let app: FastifyInstance;
let withoutIngest: FastifyInstance;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  if (!pglite) throw new Error('no PGlite backend');
  sql = await pglite.open();
  const [units, catalogue] = await Promise.all([
    loadUnitTree('da-nang-2025'),
    loadDeviceCatalogue(),
  ]);
  const apiTokens = new ApiTokens(sql);
  for (const role of ['admin', 'ioc-operator', 'room-operator', 'viewer', 'service'] as Role[]) {
    tokens[role] = (await apiTokens.create({ name: role, role, createdBy: 'test' })).token;
  }
  audit = new AuditLog(sql);
  opcua = new RecordingOpcuaAdmin();
  const ctx: WebContext = {
    health: new HealthRegistry(),
    metrics: new Registry(),
    units,
    unitDataset: 'da-nang-2025',
    accounts: new UserAccounts(sql),
    sessions: new SessionStore(sql, 1),
    tokens: apiTokens,
    audit,
    devices: new DeviceRegistry({ sql, catalogue, units }),
    catalogue,
    opcua,
    sessionTtlHours: 1,
  };
  const logger = createLogger('silent');
  app = await buildWebApp(ctx, { logger, version: 'test' });
  withoutIngest = await buildWebApp({ ...ctx, opcua: undefined }, { logger, version: 'test' });
});
afterAll(async () => {
  await app?.close();
  await withoutIngest?.close();
  await sql?.close();
});

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

async function call(role: Role | null, method: Method, url: string, body?: unknown, target = app) {
  const response = await target.inject({
    method,
    url,
    headers: role ? { authorization: `Bearer ${tokens[role]}` } : {},
    ...(body === undefined ? {} : { payload: body as object }),
  });
  return {
    status: response.statusCode,
    text: response.body,
    body: response.body ? (response.json() as Record<string, unknown>) : undefined,
  };
}

const SERVER = {
  id: 'plc-2',
  endpointUrl: 'opc.tcp://10.0.0.5:4840',
  username: 'ioc',
  password: SECRET,
};
const NODE = { nodeId: NODE_ID, deviceId: 'ps-hoa-xuan', metric: 'inlet_level_cm' };
const SERVERS = '/api/v1/opcua/servers';
const NODES = `${SERVERS}/plc/nodes`;
const EVERY_ROUTE: Array<[Method, string, unknown?]> = [
  ['GET', SERVERS],
  ['POST', SERVERS, SERVER],
  ['GET', `${SERVERS}/plc`],
  ['PATCH', `${SERVERS}/plc`, { enabled: false }],
  ['DELETE', `${SERVERS}/plc`],
  ['GET', NODES],
  ['POST', NODES, NODE],
  ['GET', `${NODES}/${MAPPING_ID}`],
  ['PATCH', `${NODES}/${MAPPING_ID}`, { samplingIntervalMs: 250 }],
  ['DELETE', `${NODES}/${MAPPING_ID}`],
  ['GET', '/api/v1/opcua/plc/browse'],
];

describe('OPC-UA routes', () => {
  it('are for administrators only: 401 without credentials, 403 for every other role', async () => {
    for (const [method, url, body] of EVERY_ROUTE) {
      expect((await call(null, method, url, body)).status, `${method} ${url}`).toBe(401);
      for (const role of ['ioc-operator', 'room-operator', 'viewer', 'service'] as Role[]) {
        const refused = await call(role, method, url, body);
        expect({
          route: `${method} ${url}`,
          status: refused.status,
          code: refused.body?.code,
        }).toEqual({
          route: `${method} ${url}`,
          status: 403,
          code: 'FORBIDDEN',
        });
      }
    }
    expect(opcua.calls).toEqual([]);
  });

  it('hand valid requests to the configuration and answer with its results', async () => {
    expect(await call('admin', 'POST', SERVERS, SERVER)).toMatchObject({
      status: 201,
      body: { server: { id: 'plc-2', hasPassword: true } },
    });
    expect(await call('admin', 'GET', SERVERS)).toMatchObject({
      status: 200,
      body: { servers: [{ id: 'plc', status: { state: 'connected' } }] },
    });
    expect(await call('admin', 'POST', NODES, { ...NODE, deadband: null })).toMatchObject({
      status: 201,
      body: { node: { id: MAPPING_ID, deviceId: 'ps-hoa-xuan', deadband: null } },
    });
    expect((await call('admin', 'DELETE', `${NODES}/${MAPPING_ID}`)).status).toBe(204);
    expect((await call('admin', 'DELETE', `${SERVERS}/plc-2`)).status).toBe(204);
    expect(
      await call('admin', 'GET', `/api/v1/opcua/plc/browse?nodeId=${encodeURIComponent(NODE_ID)}`),
    ).toMatchObject({ status: 200, body: { nodes: [{ browseName: 'InletLevel', value: 12.5 }] } });
    expect(opcua.calls).toContain(`browse plc ${NODE_ID}`);
    expect(opcua.calls).toContain(`deleteNode plc ${MAPPING_ID}`);
  });

  it('never send a server password, even when the configuration hands one over', async () => {
    const answers = [
      await call('admin', 'GET', SERVERS),
      await call('admin', 'GET', `${SERVERS}/plc`),
      await call('admin', 'PATCH', `${SERVERS}/plc`, { password: 'another-secret' }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.text).not.toContain(SECRET);
      expect(answer.text).not.toContain('another-secret');
      expect(answer.text).not.toContain('"password"');
    }
  });

  it('audit every change, without the password', async () => {
    await call('admin', 'POST', SERVERS, { ...SERVER, id: 'audited' });
    await call('admin', 'PATCH', `${SERVERS}/audited`, { password: 'new-secret', enabled: false });
    await call('admin', 'POST', `${SERVERS}/audited/nodes`, NODE);
    await call('admin', 'PATCH', `${SERVERS}/audited/nodes/${MAPPING_ID}`, { metric: 'running' });
    await call('admin', 'DELETE', `${SERVERS}/audited/nodes/${MAPPING_ID}`);
    await call('admin', 'DELETE', `${SERVERS}/audited`);
    const entries = (await audit.recent(100)).filter(
      (e) => e.target === 'opcua-server:audited' || e.details?.server === 'audited',
    );
    expect(entries.map((e) => `${e.actor} ${e.action} ${e.target}`).reverse()).toEqual([
      'token:admin opcua.server.create opcua-server:audited',
      'token:admin opcua.server.update opcua-server:audited',
      `token:admin opcua.node.create opcua-node:${MAPPING_ID}`,
      `token:admin opcua.node.update opcua-node:${MAPPING_ID}`,
      `token:admin opcua.node.delete opcua-node:${MAPPING_ID}`,
      'token:admin opcua.server.delete opcua-server:audited',
    ]);
    const text = JSON.stringify(entries);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('new-secret');
    expect(entries.find((e) => e.action === 'opcua.server.update')?.details).toEqual({
      changes: { password: '(set)', enabled: false },
    });
  });

  it('refuse malformed bodies with 400 INVALID_REQUEST naming the field, before any change', async () => {
    const before = opcua.calls.length;
    const bad: Array<[Method, string, unknown, RegExp]> = [
      ['POST', SERVERS, { endpointUrl: 'opc.tcp://x:1' }, /must have required property 'id'/],
      ['POST', SERVERS, { ...SERVER, pasword: 'x' }, /body\/pasword is not a known field/],
      ['POST', SERVERS, { ...SERVER, securityMode: 'Encrypt' }, /securityMode/],
      ['POST', SERVERS, { ...SERVER, securityPolicy: 'Basic512' }, /securityPolicy/],
      [
        'POST',
        SERVERS,
        { ...SERVER, publishingIntervalMs: 5 },
        /publishingIntervalMs must be >= 10/,
      ],
      ['POST', SERVERS, { ...SERVER, enabled: 'yes' }, /enabled must be boolean/],
      ['PATCH', `${SERVERS}/plc`, {}, /must NOT have fewer than 1 properties/],
      [
        'POST',
        NODES,
        { deviceId: 'ps-1', metric: 'flow_m3s' },
        /must have required property 'nodeId'/,
      ],
      ['POST', NODES, { ...NODE, samplingIntervalMs: -1 }, /samplingIntervalMs must be >= 0/],
      ['POST', NODES, { ...NODE, deadband: { type: 'relative', value: 1 } }, /deadband/],
      ['POST', NODES, { ...NODE, deadband: { type: 'absolute', value: -1 } }, /deadband/],
      ['PATCH', `${NODES}/${MAPPING_ID}`, { site: 'x' }, /body\/site is not a known field/],
      [
        'POST',
        NODES,
        { ...NODE, deadband: { type: 'absolute', value: 1, unit: 'cm' } },
        /body\/deadband\/unit is not a known field/,
      ],
    ];
    for (const [method, url, body, message] of bad) {
      const answer = await call('admin', method, url, body);
      expect({ status: answer.status, code: answer.body?.code }, JSON.stringify(body)).toEqual({
        status: 400,
        code: 'INVALID_REQUEST',
      });
      expect(answer.body?.message).toMatch(message);
    }
    expect(opcua.calls.length).toBe(before);
  });

  it('pass the configuration’s refusals through with their status and code', async () => {
    expect(await call('admin', 'GET', `${SERVERS}/nope`)).toMatchObject({
      status: 404,
      body: { code: 'OPCUA_SERVER_NOT_FOUND', message: 'no OPC-UA server "nope"' },
    });
  });

  it('answer 503 when ingest does not run in this process', async () => {
    for (const [method, url, body] of EVERY_ROUTE) {
      const answer = await call('admin', method, url, body, withoutIngest);
      expect({ route: `${method} ${url}`, status: answer.status, code: answer.body?.code }).toEqual(
        {
          route: `${method} ${url}`,
          status: 503,
          code: 'INGEST_UNAVAILABLE',
        },
      );
    }
  });

  it('are documented in the OpenAPI description, with no password in any answer', async () => {
    const docs = (await app.inject({ method: 'GET', url: '/api/docs/json' })).json() as {
      paths: Record<string, Record<string, { tags?: string[]; responses?: unknown }>>;
    };
    const paths = Object.keys(docs.paths).filter((p) => p.startsWith('/api/v1/opcua'));
    expect(paths.sort()).toEqual([
      '/api/v1/opcua/servers',
      '/api/v1/opcua/servers/{server}',
      '/api/v1/opcua/servers/{server}/nodes',
      '/api/v1/opcua/servers/{server}/nodes/{id}',
      '/api/v1/opcua/{server}/browse',
    ]);
    for (const path of paths) {
      for (const operation of Object.values(docs.paths[path] ?? {})) {
        expect(operation.tags).toEqual(['opcua']);
        expect(JSON.stringify(operation.responses ?? {})).not.toContain('"password"');
      }
    }
    expect(Object.keys(docs.paths['/api/v1/opcua/servers/{server}'] ?? {}).sort()).toEqual([
      'delete',
      'get',
      'patch',
    ]);
  });
});
