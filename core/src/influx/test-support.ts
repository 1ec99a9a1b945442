// Helpers for this folder's tests: free ports, throw-away data dirs, a quiet logger.
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../logger.js';
import type { InfluxSupervisorOptions } from './supervisor.js';

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

export function tempDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'ioc-influx-test-'));
}

/** Silent unless TEST_LOG_LEVEL is set (e.g. `debug` to see influxd's own log). */
export function testLogger(): Logger {
  return createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
}

/** Supervisor options on fresh ports in a fresh data dir. */
export async function supervisorOptions(
  extra: Partial<InfluxSupervisorOptions> = {},
): Promise<InfluxSupervisorOptions> {
  const [port = 0, rpcPort = 0] = await freePorts(2);
  return {
    dataDir: await tempDataDir(),
    host: '127.0.0.1',
    port,
    rpcPort,
    binary: 'influxd',
    logger: testLogger(),
    ...extra,
  };
}

/** Pids of every influxd on the machine, whoever started it. */
export async function influxdPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      if (argv[0]?.split('/').pop() === 'influxd') pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}
