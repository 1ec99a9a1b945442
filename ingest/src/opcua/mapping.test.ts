import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPlcMapping } from './demo-mapping.js';
import { loadOpcuaMapping, OpcuaMappingError, parseOpcuaMapping } from './mapping.js';

const NODE = 'nsu=urn:ioc:simulators:da-nang-plc;s=DaNang.PumpStations.HoaXuan.InletLevel';

function server(nodes: unknown[], extra: Record<string, unknown> = {}) {
  return { id: 'plc', endpointUrl: 'opc.tcp://127.0.0.1:4840', nodes, ...extra };
}

function problemsOf(input: unknown): string[] {
  try {
    parseOpcuaMapping(input, 'test');
  } catch (err) {
    expect(err).toBeInstanceOf(OpcuaMappingError);
    expect((err as OpcuaMappingError).code).toBe('OPCUA_MAPPING_INVALID');
    return (err as OpcuaMappingError).problems;
  }
  throw new Error('the mapping was accepted');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-opcua-mapping-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseOpcuaMapping', () => {
  it('accepts a full mapping and keeps its settings', () => {
    const mapping = parseOpcuaMapping({
      servers: [
        server(
          [
            {
              nodeId: NODE,
              deviceId: 'ps-hoa-xuan',
              metric: 'inlet_level_cm',
              samplingIntervalMs: 250,
              deadband: { type: 'absolute', value: 0.5 },
              publishingIntervalMs: 500,
            },
            { nodeId: 'ns=2;i=1001', deviceId: 'ps-hoa-xuan', metric: 'flow_m3s' },
          ],
          { username: 'ioc', password: 'x', securityMode: 'SignAndEncrypt' },
        ),
      ],
    });
    expect(mapping.servers[0]?.nodes[0]?.deadband).toEqual({ type: 'absolute', value: 0.5 });
  });

  it('names the entry that maps the same device metric twice', () => {
    const problems = problemsOf({
      servers: [
        server([
          { nodeId: NODE, deviceId: 'ps-1', metric: 'inlet_level_cm' },
          { nodeId: 'ns=1;s=Other', deviceId: 'ps-1', metric: 'inlet_level_cm' },
        ]),
      ],
    });
    expect(problems).toEqual([
      'servers[0] (plc).nodes[1]: ps-1 inlet_level_cm is already mapped by servers[0] (plc).nodes[0]',
    ]);
  });

  it('reports every bad node id, device id and metric at once', () => {
    const problems = problemsOf({
      servers: [
        server([
          { nodeId: 'DaNang.InletLevel', deviceId: 'ps-1', metric: 'a' },
          { nodeId: 'ns=x;s=A', deviceId: 'bad id', metric: 'b' },
          { nodeId: 'ns=1;i=abc', deviceId: 'ps-2', metric: 'bad-metric' },
        ]),
      ],
    });
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/nodes\[0\]: nodeId "DaNang.InletLevel" is not an OPC-UA node id/);
    expect(problems.join('\n')).toMatch(/nodes\[1\]: deviceId "bad id"/);
    expect(problems.join('\n')).toMatch(/nodes\[2\]: metric "bad-metric"/);
  });

  it('refuses schema violations with their path', () => {
    expect(problemsOf({ servers: [server([{ nodeId: NODE, deviceId: 'a' }])] })[0]).toMatch(
      /^\/servers\/0\/nodes\/0\/metric: /,
    );
    expect(
      problemsOf({
        servers: [
          server([
            { nodeId: NODE, deviceId: 'a', metric: 'm', deadband: { type: 'rel', value: 1 } },
          ]),
        ],
      })[0],
    ).toMatch(/deadband\/type/);
    expect(problemsOf({ servers: [server([], { endpointUrl: 'http://x' })] })[0]).toMatch(
      /endpointUrl must look like opc.tcp:\/\/host:port/,
    );
    expect(problemsOf({ servers: [server([]), server([])] })[0]).toMatch(/used twice/);
    expect(problemsOf({ servers: [server([], { username: 'u' })] })[0]).toMatch(
      /both username and password/,
    );
  });
});

describe('loadOpcuaMapping', () => {
  it('loads a file and names the file in errors', async () => {
    const good = join(dir, 'good.json');
    await writeFile(
      good,
      JSON.stringify({ servers: [server([{ nodeId: NODE, deviceId: 'a', metric: 'm' }])] }),
    );
    expect((await loadOpcuaMapping(good)).servers[0]?.id).toBe('plc');

    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ "servers": [');
    await expect(loadOpcuaMapping(broken)).rejects.toThrow(/broken\.json\): not valid JSON/);
    await expect(loadOpcuaMapping(join(dir, 'missing.json'))).rejects.toThrow(/cannot read it/);
  });
});

describe('demoPlcMapping', () => {
  it('maps every station and gate of the Đà Nẵng plant to catalogue metrics', () => {
    const { mapping, devices } = demoPlcMapping({
      endpointUrl: 'opc.tcp://127.0.0.1:4840',
      username: 'ioc',
      password: 'p',
      units: { locate: (_lon, lat) => (lat > 16.05 ? ({ code: '20194' } as never) : null) },
    });
    expect(parseOpcuaMapping(mapping)).toBe(mapping);
    expect(devices.map((d) => d.id)).toEqual([
      'ps-hoa-xuan',
      'ps-an-hai',
      'ps-hoa-quy',
      'sg-khue-trung',
      'sg-co-co',
    ]);
    expect(devices[1]).toMatchObject({
      type: 'pump-station',
      unit: '20194',
      name: 'Trạm bơm tiêu An Hải',
    });
    expect(devices[0]?.unit).toBe('48');
    const nodes = mapping.servers[0]?.nodes ?? [];
    expect(nodes).toHaveLength(3 * 4 + 2 * 3);
    expect(nodes.filter((n) => n.deviceId === 'sg-co-co').map((n) => n.metric)).toEqual([
      'opening_pct',
      'upstream_level_cm',
      'downstream_level_cm',
    ]);
    expect(nodes[0]?.nodeId).toBe(
      'nsu=urn:ioc:simulators:da-nang-plc;s=DaNang.PumpStations.HoaXuan.Running',
    );
  });
});
