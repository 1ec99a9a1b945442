import type { types } from 'mediasoup';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { WorkerPool } from './worker-pool.js';

export const METRIC_NAMES = {
  workers: 'ioc_media_workers',
  routers: 'ioc_media_routers',
  restarts: 'ioc_media_worker_restarts_total',
  cpu: 'ioc_media_worker_cpu_seconds',
  maxRss: 'ioc_media_worker_max_rss_bytes',
  conferenceRooms: 'ioc_media_conference_rooms',
  conferencePeers: 'ioc_media_conference_peers',
} as const;

/**
 * The live conferences' gauges (rooms open, peers seated), read on scrape. Returns a function
 * that removes them (when the signalling closes).
 */
export function registerConferenceMetrics(
  registry: Registry,
  rooms: { readonly size: number; readonly peerCount: number },
): () => void {
  new Gauge({
    name: METRIC_NAMES.conferenceRooms,
    help: 'Conference rooms open on the SFU.',
    registers: [registry],
    collect() {
      this.set(rooms.size);
    },
  });
  new Gauge({
    name: METRIC_NAMES.conferencePeers,
    help: 'Peers seated in conference rooms (endpoints and viewers).',
    registers: [registry],
    collect() {
      this.set(rooms.peerCount);
    },
  });
  return () => {
    registry.removeSingleMetric(METRIC_NAMES.conferenceRooms);
    registry.removeSingleMetric(METRIC_NAMES.conferencePeers);
  };
}

/**
 * Registers the SFU's Prometheus metrics on the process registry. Worker state and resource
 * usage are read from the workers when `/metrics` is scraped. Returns a function that
 * removes them again (on stop), so a new start can register them afresh.
 */
export function registerMediaMetrics(registry: Registry, pool: WorkerPool): () => void {
  const registers = [registry];
  const usage = resourceUsageReader(pool);

  new Gauge({
    name: METRIC_NAMES.workers,
    help: 'mediasoup workers by state (running, or down while being restarted).',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const running = pool.workers.filter((worker) => worker.alive).length;
      this.set({ state: 'running' }, running);
      this.set({ state: 'down' }, pool.workers.length - running);
    },
  });

  new Gauge({
    name: METRIC_NAMES.routers,
    help: 'mediasoup routers hosted by each worker.',
    labelNames: ['worker'] as const,
    registers,
    collect() {
      for (const worker of pool.workers)
        this.set({ worker: worker.index }, pool.routerCount(worker));
    },
  });

  const restarts = new Counter({
    name: METRIC_NAMES.restarts,
    help: 'Times a mediasoup worker was started again after its process died.',
    labelNames: ['worker'] as const,
    registers,
  });
  for (const worker of pool.workers) restarts.inc({ worker: worker.index }, 0);
  const countRestart = ({ index, restart }: { index: number; restart: boolean }) => {
    if (restart) restarts.inc({ worker: index });
  };
  pool.on('started', countRestart);

  new Gauge({
    name: METRIC_NAMES.cpu,
    help: 'CPU time used by each worker process since it (re)started.',
    labelNames: ['worker', 'mode'] as const,
    registers,
    async collect() {
      this.reset();
      for (const { index, ru } of await usage()) {
        this.set({ worker: index, mode: 'user' }, ru.ru_utime / 1000);
        this.set({ worker: index, mode: 'system' }, ru.ru_stime / 1000);
      }
    },
  });

  new Gauge({
    name: METRIC_NAMES.maxRss,
    help: 'Peak resident memory of each worker process since it (re)started.',
    labelNames: ['worker'] as const,
    registers,
    async collect() {
      this.reset();
      // Linux reports ru_maxrss in kilobytes.
      for (const { index, ru } of await usage()) this.set({ worker: index }, ru.ru_maxrss * 1024);
    },
  });

  return () => {
    pool.off('started', countRestart);
    for (const name of Object.values(METRIC_NAMES)) registry.removeSingleMetric(name);
  };
}

interface WorkerUsage {
  index: number;
  ru: types.WorkerResourceUsage;
}

/**
 * Reads the running workers' resource usage once per scrape: the gauges that need it share
 * one answer for a second. A worker that dies mid-scrape is left out.
 */
function resourceUsageReader(pool: WorkerPool): () => Promise<WorkerUsage[]> {
  let last: { at: number; result: Promise<WorkerUsage[]> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > 1000) last = { at: Date.now(), result: read(pool) };
    return last.result;
  };
}

async function read(pool: WorkerPool): Promise<WorkerUsage[]> {
  const results = await Promise.all(
    pool.workers.map(async (worker) => {
      const ru = await worker.worker?.getResourceUsage().catch(() => undefined);
      return ru ? { index: worker.index, ru } : undefined;
    }),
  );
  return results.filter((result) => result !== undefined);
}
