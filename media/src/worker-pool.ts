import { EventEmitter } from 'node:events';
import { ApiError, type ComponentHealth, type Logger } from '@ioc/core';
import type { types } from 'mediasoup';
import { DEFAULT_MEDIA_CODECS } from './codecs.js';
import { MediaWorker, type MediaWorkerEvents } from './media-worker.js';

export interface WorkerPoolOptions {
  /** Number of workers (at least 1). */
  size: number;
  listenIp: string;
  announcedIp?: string;
  /** Port of worker 0; worker i listens on `port + i`. 0 lets each worker pick a free port. */
  port: number;
  logger: Logger;
  restartDelayMs?: { min: number; max: number };
}

/** A router together with the WebRtcServer of the worker hosting it. */
export interface MediaRouter {
  router: types.Router;
  /** Pass to `router.createWebRtcTransport({ webRtcServer })`. */
  webRtcServer: types.WebRtcServer;
  worker: MediaWorker;
}

export interface CreateRouterOptions {
  mediaCodecs?: types.RtpCodecCapability[];
  appData?: types.AppData;
}

/**
 * The SFU's mediasoup workers: starts them, hands out routers across them and reports their
 * health. Re-emits each worker's 'started', 'died' and 'restartfailed'.
 */
export class WorkerPool extends EventEmitter<MediaWorkerEvents> {
  readonly workers: readonly MediaWorker[];
  readonly #routerCounts = new Map<MediaWorker, number>();
  #next = 0;

  private constructor(workers: MediaWorker[]) {
    super();
    this.workers = workers;
    for (const worker of workers) {
      worker.on('started', (event) => this.emit('started', event));
      worker.on('died', (event) => this.emit('died', event));
      worker.on('restartfailed', (event) => this.emit('restartfailed', event));
    }
  }

  /** Starts every worker; if one fails, the others are stopped and the error is rethrown. */
  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const workers = Array.from(
      { length: options.size },
      (_, index) =>
        new MediaWorker({
          index,
          listenIp: options.listenIp,
          announcedIp: options.announcedIp,
          port: options.port === 0 ? undefined : options.port + index,
          logger: options.logger,
          restartDelayMs: options.restartDelayMs,
        }),
    );
    const pool = new WorkerPool(workers);
    const results = await Promise.allSettled(workers.map((worker) => worker.start()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await pool.close();
      throw failed.reason;
    }
    return pool;
  }

  /** Routers currently hosted by a worker (what "least loaded" compares). */
  routerCount(worker: MediaWorker): number {
    return this.#routerCounts.get(worker) ?? 0;
  }

  /**
   * Creates a router on the next running worker (round robin; later by load) with the
   * default codecs unless others are given.
   */
  async createRouter(options: CreateRouterOptions = {}): Promise<MediaRouter> {
    const worker = this.#pickWorker();
    const { worker: mediasoupWorker, webRtcServer } = worker;
    if (!mediasoupWorker || !webRtcServer) throw noWorker();
    const router = await mediasoupWorker.createRouter({
      mediaCodecs: options.mediaCodecs ?? DEFAULT_MEDIA_CODECS,
      appData: options.appData,
    });
    this.#routerCounts.set(worker, this.routerCount(worker) + 1);
    // Also fires when the worker dies or closes: mediasoup closes its routers first.
    router.observer.once('close', () => {
      this.#routerCounts.set(worker, Math.max(0, this.routerCount(worker) - 1));
    });
    return { router, webRtcServer, worker };
  }

  /** Up when every worker runs; otherwise down with each stopped worker's reason. */
  health(): ComponentHealth {
    const down = this.workers.filter((worker) => !worker.alive);
    if (down.length === 0) {
      const pids = this.workers.map((worker) => worker.pid).join(', ');
      return { status: 'up', reason: `${this.workers.length} mediasoup workers (pids ${pids})` };
    }
    const reasons = down.map((worker) => `worker ${worker.index}: ${worker.downReason}`);
    return { status: 'down', reason: reasons.join('; ') };
  }

  /** Stops every worker and waits until their processes have exited. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }

  #pickWorker(): MediaWorker {
    for (let tried = 0; tried < this.workers.length; tried++) {
      const worker = this.workers[this.#next % this.workers.length] as MediaWorker;
      this.#next = (this.#next + 1) % this.workers.length;
      if (worker.alive) return worker;
    }
    throw noWorker();
  }
}

function noWorker(): ApiError {
  return new ApiError(
    503,
    'MEDIA_UNAVAILABLE',
    'no mediasoup worker is running right now (restarting); try again in a few seconds',
  );
}
