import { EventEmitter } from 'node:events';
import { errorMessage, type Logger } from '@ioc/core';
import { createWorker, type types } from 'mediasoup';
import { waitForProcessExit } from './process-exit.js';

export interface MediaWorkerOptions {
  /** Position in the pool; also the offset of this worker's WebRTC port. */
  index: number;
  listenIp: string;
  /** Address put in ICE candidates when browsers must reach a different (public/NAT) one. */
  announcedIp?: string;
  /** UDP and TCP port of the WebRtcServer; undefined lets the worker pick a free one. */
  port?: number;
  logger: Logger;
  /** First and largest delay between restarts of a worker that keeps dying (doubling). */
  restartDelayMs?: { min: number; max: number };
}

export interface WorkerStarted {
  index: number;
  pid: number;
  /** False for the first start, true after a restart. */
  restart: boolean;
}

export interface WorkerDied {
  index: number;
  pid: number;
  error: Error;
}

export interface WorkerRestartFailed {
  index: number;
  error: Error;
  /** When the next attempt runs. */
  delayMs: number;
}

export interface MediaWorkerEvents {
  started: [WorkerStarted];
  died: [WorkerDied];
  restartfailed: [WorkerRestartFailed];
}

/** A run this long resets the restart backoff. */
const STABLE_RUN_MS = 30_000;

/**
 * One supervised mediasoup worker process with its WebRtcServer (all of the worker's WebRTC
 * traffic on one UDP and one TCP port). When the process dies it is started again with
 * backoff; routers it hosted are gone with it, so owners listen for 'died'.
 * Emits 'started', 'died' and 'restartfailed'.
 */
export class MediaWorker extends EventEmitter<MediaWorkerEvents> {
  readonly index: number;
  readonly #options: MediaWorkerOptions & { restartDelayMs: { min: number; max: number } };
  readonly #log: Logger;
  #worker: types.Worker | undefined;
  #webRtcServer: types.WebRtcServer | undefined;
  #launching: Promise<void> | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #attempt = 0;
  #restarts = 0;
  #downReason: string | undefined = 'not started';
  #closed = false;

  constructor(options: MediaWorkerOptions) {
    super();
    this.index = options.index;
    // Not a spread over the default: the pool passes `restartDelayMs: undefined` when unset.
    this.#options = {
      ...options,
      restartDelayMs: options.restartDelayMs ?? { min: 100, max: 10_000 },
    };
    this.#log = options.logger.child({ component: 'media', worker: options.index });
  }

  /** The running mediasoup worker, or undefined while it is down. */
  get worker(): types.Worker | undefined {
    return this.#worker;
  }

  get webRtcServer(): types.WebRtcServer | undefined {
    return this.#webRtcServer;
  }

  get pid(): number | undefined {
    return this.#worker?.pid;
  }

  get alive(): boolean {
    return this.#worker !== undefined && !this.#worker.closed && !this.#worker.died;
  }

  /** Why the worker is not alive (undefined while it is). */
  get downReason(): string | undefined {
    return this.alive ? undefined : this.#downReason;
  }

  /** How many times the worker was started again after dying. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Starts the worker process and its WebRtcServer; rejects if either fails. */
  async start(): Promise<void> {
    if (this.#closed) throw new Error(`media worker ${this.index} is closed`);
    await this.#launch(false);
  }

  /** Stops the worker (no restart) and resolves once its process has exited. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    await this.#launching?.catch(() => {});
    const worker = this.#worker;
    this.#worker = undefined;
    this.#webRtcServer = undefined;
    this.#downReason = 'stopped';
    if (!worker) return;
    worker.close();
    await waitForProcessExit(worker.pid);
  }

  #launch(restart: boolean): Promise<void> {
    const launching = this.#spawn(restart).finally(() => {
      this.#launching = undefined;
    });
    this.#launching = launching;
    return launching;
  }

  async #spawn(restart: boolean): Promise<void> {
    const { index, listenIp, announcedIp, port } = this.#options;
    const worker = await createWorker({ logLevel: 'warn', appData: { index } });
    try {
      const listen = (protocol: types.TransportProtocol) => ({
        protocol,
        ip: listenIp,
        ...(announcedIp ? { announcedIp } : {}),
        ...(port ? { port } : {}),
      });
      const webRtcServer = await worker.createWebRtcServer({
        listenInfos: [listen('udp'), listen('tcp')],
      });
      if (this.#closed) throw new Error('closed while starting');
      worker.on('died', (error) => this.#onDied(worker, error));
      this.#worker = worker;
      this.#webRtcServer = webRtcServer;
      this.#startedAt = Date.now();
      this.#downReason = undefined;
      if (restart) this.#restarts++;
      this.emit('started', { index, pid: worker.pid, restart });
    } catch (err) {
      worker.close();
      await waitForProcessExit(worker.pid);
      throw err;
    }
  }

  /**
   * The process is shutting down: a worker exiting now (a terminal's Ctrl-C reaches the
   * workers too) is expected, not restarted. close() still waits for it.
   */
  prepareToClose(): void {
    this.#closed = true;
    clearTimeout(this.#restartTimer);
  }

  #onDied(worker: types.Worker, error: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    this.#webRtcServer = undefined;
    if (this.#closed) {
      this.#downReason = 'stopped';
      this.#log.info({ pid: worker.pid }, 'mediasoup worker exited during shutdown');
      return;
    }
    this.#downReason = `worker process ${worker.pid} died (${error.message}); restarting`;
    this.#log.error({ pid: worker.pid, err: error }, 'mediasoup worker died; restarting it');
    this.emit('died', { index: this.index, pid: worker.pid, error });
    if (Date.now() - this.#startedAt >= STABLE_RUN_MS) this.#attempt = 0;
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    if (this.#closed) return;
    const { min, max } = this.#options.restartDelayMs;
    const delayMs = Math.min(max, min * 2 ** this.#attempt);
    this.#attempt++;
    this.#restartTimer = setTimeout(() => {
      this.#launch(true).catch((err: unknown) => {
        if (this.#closed) return;
        const error = err instanceof Error ? err : new Error(errorMessage(err));
        this.#downReason = `restart failed: ${error.message}; retrying`;
        const next = Math.min(max, min * 2 ** this.#attempt);
        this.#log.error({ err: error, retryInMs: next }, 'mediasoup worker restart failed');
        this.emit('restartfailed', { index: this.index, error, delayMs: next });
        this.#scheduleRestart();
      });
    }, delayMs);
  }
}
