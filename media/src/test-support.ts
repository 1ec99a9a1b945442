// Helpers for this package's tests (not exported from the entry).
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  type AppConfig,
  assertPortFree,
  createLogger,
  HealthRegistry,
  LiveBus,
  loadConfig,
  type ServiceDeps,
} from '@ioc/core';
import { Registry } from 'prom-client';

/** A config with defaults (no ioc.config.json, no environment) and these media settings. */
export function mediaConfig(media: Partial<AppConfig['media']>): AppConfig {
  // This source folder holds no ioc.config.json, and media writes nothing under dataDir.
  const cwd = fileURLToPath(new URL('.', import.meta.url));
  return loadConfig({ env: {}, cwd, overrides: { media } });
}

export function serviceDeps(): ServiceDeps {
  return {
    logger: createLogger('silent'),
    health: new HealthRegistry(),
    metrics: new Registry(),
    bus: new LiveBus(),
  };
}

/** `count` consecutive ports, free on UDP and TCP at 127.0.0.1 a moment ago. */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await osPickedPort();
    if (first + count - 1 > 65535) continue;
    try {
      for (let i = 0; i < count; i++) {
        const setting = { host: '127.0.0.1', port: first + i, key: 'test', env: 'TEST' };
        await assertPortFree(setting, ['udp', 'tcp']);
      }
      return first;
    } catch {
      // One of them is taken: try another range.
    }
  }
  throw new Error(`found no ${count} consecutive free ports`);
}

function osPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Pids of this process's live mediasoup-worker children (Linux /proc). */
export function workerChildPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid ..."; comm is cut to 15 characters and may contain spaces.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const [state, ppid] = stat.slice(close + 2).split(' ');
    if (comm.startsWith('mediasoup-worke') && Number(ppid) === process.pid && state !== 'Z') {
      pids.push(Number(entry));
    }
  }
  return pids;
}
