import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AppConfig,
  createLogger,
  HealthRegistry,
  LiveBus,
  loadConfig,
  StartupError,
} from '@ioc/core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from './index.js';

let dir: string;

const config = (demo: boolean): AppConfig =>
  loadConfig({ env: {}, cwd: dir, overrides: { demo, dataDir: dir } });

const deps = () => ({
  logger: createLogger('silent'),
  health: new HealthRegistry(),
  metrics: new Registry(),
  bus: new LiveBus(),
});

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const portOf = (server: Server) => (server.address() as { port: number }).port;

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected start() to fail');
    },
    (err: unknown) => err,
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-simulators-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('simulators start()', () => {
  it('does nothing outside demo mode', async () => {
    const d = deps();
    const running = await start(config(false), d);
    expect(running.plc).toBeUndefined();
    expect((await d.health.report()).components).toEqual({});
    await running.stop();
  });

  it('runs the PLC in demo mode, reports its health and releases everything on stop', async () => {
    const d = deps();
    const running = await start(config(true), { ...d, opcua: { port: 0 } });
    const url = running.plc?.endpointUrl ?? '';
    expect(url).toMatch(/^opc\.tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(await d.health.report()).toEqual({
      status: 'up',
      components: { simulators: { status: 'up', reason: `OPC-UA PLC at ${url}, 0 session(s)` } },
    });
    // The certificate lives under the data directory, not in the user's home.
    expect(
      (await stat(join(dir, 'opcua-pki', 'server', 'own', 'certs', 'certificate.pem'))).isFile(),
    ).toBe(true);

    await running.stop();
    expect((await d.health.report()).components).toEqual({});
    const port = Number(url.split(':').at(-1));
    const reuse = await listen(port);
    reuse.close();
  });

  it('fails in one line when the port is taken', async () => {
    const holder = await listen();
    const port = portOf(holder);
    try {
      const failure = await failureOf(start(config(true), { ...deps(), opcua: { port } }));
      expect(failure).toBeInstanceOf(StartupError);
      expect(failure).toMatchObject({
        code: 'PORT_IN_USE',
        message: `port ${port} (simulators.opcua.port) is already in use on 127.0.0.1; stop the other OPC-UA server or set IOC_OPCUA_SIM_PORT to a free port`,
      });
    } finally {
      holder.close();
    }
  });

  it('refuses the demo password on a non-loopback address and invalid settings', async () => {
    const exposed = await failureOf(
      start(config(true), { ...deps(), opcua: { host: '0.0.0.0', port: 0 } }),
    );
    expect(exposed).toBeInstanceOf(StartupError);
    expect(exposed).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('demo OPC-UA password'),
    });

    const invalid = await failureOf(start(config(true), { ...deps(), opcua: { port: 70_000 } }));
    expect(invalid).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('port must be 0-65535'),
    });
  });
});
