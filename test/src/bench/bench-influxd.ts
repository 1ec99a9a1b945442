import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxSupervisor, type Logger } from '@ioc/core';
import { freePort } from '../free-port.js';
import type { Teardown } from './teardown.js';

/** A managed influxd in a temp data dir on free loopback ports, stopped by the teardown. */
export async function startBenchInfluxd(
  name: string,
  {
    logger,
    teardown,
    progress,
  }: { logger: Logger; teardown: Teardown; progress: (line: string) => void },
): Promise<InfluxSupervisor> {
  const dataDir = await mkdtemp(join(tmpdir(), `ioc-bench-${name}-`));
  teardown.defer('remove influxd data', () => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  let rpcPort = await freePort();
  while (rpcPort === port) rpcPort = await freePort();
  const supervisor = new InfluxSupervisor({
    dataDir,
    host: '127.0.0.1',
    port,
    rpcPort,
    binary: 'influxd',
    logger,
  });
  teardown.defer('stop influxd', () => supervisor.stop());
  progress(`${name}: starting influxd on ${supervisor.url}`);
  await supervisor.start();
  return supervisor;
}

/**
 * POSTs pre-serialised line protocol to /write in order, one request at a time: the write
 * ceiling of one writer. Returns the seconds the requests took.
 */
export async function writeRawBatches(
  url: string,
  database: string,
  bodies: readonly string[],
): Promise<number> {
  const target = `${url}/write?db=${encodeURIComponent(database)}&precision=ms`;
  const started = performance.now();
  for (const body of bodies) {
    const res = await fetch(target, { method: 'POST', body });
    const text = await res.text();
    if (res.status !== 204) throw new Error(`raw /write failed: HTTP ${res.status} ${text}`);
  }
  return (performance.now() - started) / 1000;
}
