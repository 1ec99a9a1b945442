// Helpers for this folder's tests: a real influxd on free ports, throw-away dirs, a quiet logger.
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLogger,
  InfluxStore,
  InfluxSupervisor,
  type InfluxSupervisorOptions,
  type Logger,
} from '@ioc/core';

export function testLogger(): Logger {
  return createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
}

export function tempDir(prefix = 'ioc-ingest-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Ports the OS reports free right now (held together so they differ). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    }
    return servers.map((server) => (server.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** A managed influxd that can be stopped and started again on the same ports and data. */
export class TestInflux {
  readonly options: InfluxSupervisorOptions;
  #supervisor: InfluxSupervisor | undefined;

  private constructor(options: InfluxSupervisorOptions) {
    this.options = options;
  }

  static async start(): Promise<TestInflux> {
    const [port = 0, rpcPort = 0] = await freePorts(2);
    const influx = new TestInflux({
      dataDir: await tempDir('ioc-ingest-influx-'),
      host: '127.0.0.1',
      port,
      rpcPort,
      binary: 'influxd',
      logger: testLogger(),
    });
    await influx.resume();
    return influx;
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  connect(database: string): Promise<InfluxStore> {
    return InfluxStore.connect({ url: this.url, database, logger: testLogger() });
  }

  /** Starts influxd again (a supervisor starts once, so this makes a new one). */
  async resume(): Promise<void> {
    this.#supervisor = new InfluxSupervisor(this.options);
    await this.#supervisor.start();
  }

  async stop(): Promise<void> {
    await this.#supervisor?.stop();
  }
}

/** `count(<field>)` of measurement telemetry for one device. */
export async function countPoints(
  store: InfluxStore,
  field: string,
  device: string,
): Promise<number> {
  const [series] = await store.query(
    `SELECT count("${field}") FROM telemetry WHERE "device" = $device`,
    { device },
  );
  return (series?.values[0]?.[1] as number | undefined) ?? 0;
}
