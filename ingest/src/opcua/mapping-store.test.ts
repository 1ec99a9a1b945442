import { type SqlStore, sqlTestBackends } from '@ioc/core';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { OpcuaMapping, OpcuaServerMapping } from './mapping.js';
import { isUniqueViolation, OpcuaMappingStore, type ServerFields } from './mapping-store.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

// The SQL of OPC-UA servers and mappings, on both stores the IOC supports.
const { backends, cleanup } = sqlTestBackends('opcua-store', inject('postgresUrl'));
afterAll(cleanup);

const NODE = (tag: string) => `nsu=urn:ioc:simulators:da-nang-plc;s=DaNang.${tag}`;

function apiServer(id: string, extra: Partial<ServerFields> = {}): ServerFields {
  return {
    id,
    endpointUrl: 'opc.tcp://127.0.0.1:4840',
    securityMode: 'None',
    securityPolicy: 'None',
    username: 'ioc',
    password: 'mật-khẩu',
    publishingIntervalMs: 1000,
    enabled: true,
    source: 'api',
    ...extra,
  };
}

function fileServer(id: string, nodes: OpcuaServerMapping['nodes']): OpcuaServerMapping {
  return { id, endpointUrl: 'opc.tcp://10.0.0.5:4840', securityMode: 'Sign', nodes };
}

describe.each(backends)('OPC-UA mapping store on $kind', (backend) => {
  let sql: SqlStore;
  let store: OpcuaMappingStore;
  beforeAll(async () => {
    sql = await backend.open();
    store = new OpcuaMappingStore(sql);
  });
  afterAll(async () => {
    await sql?.close();
    await backend.drop();
  });
  beforeEach(async () => {
    await sql.query('DELETE FROM opcua_servers');
  });

  it('stores servers and node mappings and reads them back in the bridge shape', async () => {
    const server = await store.insertServer(apiServer('plc'));
    expect(server).toMatchObject({ id: 'plc', password: 'mật-khẩu', nodeCount: 0, source: 'api' });
    expect(server.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const node = await store.insertNode({
      serverId: 'plc',
      nodeId: NODE('PumpStations.HoaXuan.InletLevel'),
      deviceId: 'ps-hoa-xuan',
      metric: 'inlet_level_cm',
      samplingIntervalMs: 250,
      publishingIntervalMs: null,
      deadband: { type: 'absolute', value: 0.5 },
    });
    expect(node.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await store.getServer('plc'))?.nodeCount).toBe(1);
    expect(await store.serverMapping('plc')).toEqual({
      id: 'plc',
      endpointUrl: 'opc.tcp://127.0.0.1:4840',
      securityMode: 'None',
      securityPolicy: 'None',
      username: 'ioc',
      password: 'mật-khẩu',
      publishingIntervalMs: 1000,
      enabled: true,
      nodes: [
        {
          nodeId: NODE('PumpStations.HoaXuan.InletLevel'),
          deviceId: 'ps-hoa-xuan',
          metric: 'inlet_level_cm',
          samplingIntervalMs: 250,
          deadband: { type: 'absolute', value: 0.5 },
        },
      ],
    });
    expect(await store.getNode('plc', 'not-a-uuid')).toBeUndefined();
    expect(await store.deleteNode('plc', node.id)).toBe(true);
    expect(await store.deleteNode('plc', node.id)).toBe(false);
  });

  it('refuses a taken server id and a device metric mapped twice, on any server', async () => {
    await store.insertServer(apiServer('a'));
    await store.insertServer(apiServer('b'));
    const err = await store.insertServer(apiServer('a')).catch((e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(true);
    const node = {
      nodeId: NODE('X'),
      deviceId: 'ps-1',
      metric: 'flow_m3s',
      samplingIntervalMs: 1000,
      publishingIntervalMs: null,
      deadband: null,
    };
    await store.insertNode({ ...node, serverId: 'a' });
    const twice = await store
      .insertNode({ ...node, serverId: 'b', nodeId: NODE('Y') })
      .catch((e: unknown) => e);
    expect(isUniqueViolation(twice)).toBe(true);
    expect((await store.nodeFeeding('ps-1', 'flow_m3s'))?.serverId).toBe('a');
  });

  it('keeps the constraints of the table: credentials in pairs, security mode with policy', async () => {
    await expect(store.insertServer(apiServer('x', { password: null }))).rejects.toMatchObject({
      code: '23514',
    });
    await expect(
      store.insertServer(apiServer('y', { securityMode: 'Sign', securityPolicy: 'None' })),
    ).rejects.toMatchObject({ code: '23514' });
    await expect(store.insertServer(apiServer('bad id'))).rejects.toMatchObject({ code: '23514' });
  });

  it('deletes the node mappings with their server', async () => {
    await store.insertServer(apiServer('gone'));
    await store.insertNode({
      serverId: 'gone',
      nodeId: NODE('Z'),
      deviceId: 'ps-2',
      metric: 'running',
      samplingIntervalMs: 1000,
      publishingIntervalMs: null,
      deadband: null,
    });
    expect(await store.deleteServer('gone')).toBe(true);
    expect(await store.deleteServer('gone')).toBe(false);
    expect(await store.nodeFeeding('ps-2', 'running')).toBeUndefined();
  });

  it('writes a mapping file over its servers, takes over their device metrics, and drops servers the file no longer lists', async () => {
    await store.insertServer(apiServer('api-plc'));
    await store.insertNode({
      serverId: 'api-plc',
      nodeId: NODE('Api.Flow'),
      deviceId: 'ps-1',
      metric: 'flow_m3s',
      samplingIntervalMs: 1000,
      publishingIntervalMs: null,
      deadband: null,
    });
    await store.insertNode({
      serverId: 'api-plc',
      nodeId: NODE('Api.Level'),
      deviceId: 'ps-1',
      metric: 'inlet_level_cm',
      samplingIntervalMs: 1000,
      publishingIntervalMs: null,
      deadband: null,
    });
    const first: OpcuaMapping = {
      servers: [
        fileServer('file-a', [{ nodeId: NODE('A.Flow'), deviceId: 'ps-1', metric: 'flow_m3s' }]),
        fileServer('file-b', [{ nodeId: NODE('B.Run'), deviceId: 'ps-2', metric: 'running' }]),
      ],
    };
    const applied = await store.replaceServers(first, 'file');
    expect(applied.touched.sort()).toEqual(['api-plc', 'file-a', 'file-b']);
    expect(applied.displaced.map((n) => `${n.serverId} ${n.nodeId}`)).toEqual([
      `api-plc ${NODE('Api.Flow')}`,
    ]);
    expect((await store.getServer('file-a'))?.securityPolicy).toBe('Basic256Sha256');
    expect((await store.getServer('file-a'))?.source).toBe('file');
    expect((await store.listNodes('api-plc')).map((n) => n.metric)).toEqual(['inlet_level_cm']);

    // The next start: file-b left the file, file-a changed; API servers stay.
    const second: OpcuaMapping = {
      servers: [
        fileServer('file-a', [
          { nodeId: NODE('A.Level'), deviceId: 'ps-3', metric: 'inlet_level_cm' },
        ]),
      ],
    };
    const again = await store.replaceServers(second, 'file');
    expect(again.touched.sort()).toEqual(['file-a', 'file-b']);
    expect((await store.listServers()).map((s) => s.id)).toEqual(['api-plc', 'file-a']);
    const mapping = await store.loadMapping();
    expect(mapping.servers.map((s) => [s.id, s.nodes.map((n) => n.deviceId)])).toEqual([
      ['api-plc', ['ps-1']],
      ['file-a', ['ps-3']],
    ]);

    // The demo PLC's seed never removes file servers.
    await store.replaceServers({ servers: [fileServer('demo', [])] }, 'demo');
    expect((await store.listServers()).map((s) => `${s.id}:${s.source}`)).toEqual([
      'api-plc:api',
      'demo:demo',
      'file-a:file',
    ]);
  });
});
