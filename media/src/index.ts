// The SFU: supervised mediasoup workers, each with a WebRtcServer on one UDP+TCP port, and
// routers placed across them. Rooms, signalling and scheduling build on `createRouter()`.
import { availableParallelism } from 'node:os';
import type { AppConfig, RunningService, ServiceDeps } from '@ioc/core';
import type { Server as SocketIoServer } from 'socket.io';
import { registerConferenceMetrics, registerMediaMetrics } from './metrics.js';
import { assertMediaCanListen } from './preflight.js';
import {
  attachSignalling,
  type ConferenceSignalling,
  type SignallingDeps,
} from './signalling/conference-signalling.js';
import { assertWorkerBinary } from './worker-binary.js';
import { type CreateRouterOptions, type MediaRouter, WorkerPool } from './worker-pool.js';

export { DEFAULT_MEDIA_CODECS } from './codecs.js';
export type {
  Admission,
  AttendanceEntry,
  Conference,
  ConferenceAdmission,
  ConferenceRole,
  ConferenceStatus,
  JoinRequest,
} from './conferences/conference.js';
export {
  type AttendanceRecord,
  type ConferenceInput,
  type ConferenceListFilter,
  ConferenceStore,
  type ConferenceStoreOptions,
  type JoinLink,
} from './conferences/conference-store.js';
export { JoinTokens } from './conferences/join-tokens.js';
export { JOIN_OPENS_MINUTES_BEFORE, type RoomScopeLike } from './conferences/seating.js';
export type {
  MediaWorker,
  MediaWorkerEvents,
  WorkerDied,
  WorkerRestartFailed,
  WorkerStarted,
} from './media-worker.js';
export { ConferenceError } from './rooms/conference-error.js';
export { ConferencePeer } from './rooms/conference-peer.js';
export { ConferenceRoom, type RoomCloseReason } from './rooms/conference-room.js';
export { ConferenceRooms } from './rooms/conference-rooms.js';
export { LINK_QUALITY_THRESHOLDS, linkQuality } from './rooms/link-quality.js';
export {
  attachSignalling,
  type ConferenceSignalling,
  type SignallingDeps,
} from './signalling/conference-signalling.js';
export type { Handshake } from './signalling/handshake.js';
export * from './signalling/protocol.js';
export { REQUEST_SCHEMAS } from './signalling/request-schemas.js';
export type { CreateRouterOptions, MediaRouter, WorkerPool } from './worker-pool.js';

/** What the host gives `MediaService.attachSignalling`; the rest comes from `start`. */
export type MediaSignallingDeps = Pick<
  SignallingDeps,
  'admission' | 'authenticate' | 'unitName' | 'emptyRoomCloseMs'
>;

/** How many mediasoup workers `start` runs: `media.workers`, or one per CPU core when 0. */
export function workerCount(config: AppConfig): number {
  return config.media.workers || availableParallelism();
}

/**
 * Everything `start` checks before spawning a worker (the binary, the listen address, every
 * worker's port), for a host process that wants to fail before starting anything else.
 */
export async function preflight(config: AppConfig): Promise<void> {
  assertWorkerBinary();
  await assertMediaCanListen(config.media, workerCount(config));
}

export interface MediaService extends RunningService {
  /** The supervised workers; listen on it for 'started', 'died' and 'restartfailed'. */
  readonly pool: WorkerPool;
  readonly workers: WorkerPool['workers'];
  /** A router (default codecs: Opus, VP8, H.264) on the next running worker. */
  createRouter(options?: CreateRouterOptions): Promise<MediaRouter>;
  /**
   * Serves conference signalling on `io`'s `/conference` namespace (rooms on these workers).
   * `stop()` closes it too, before the workers.
   */
  attachSignalling(io: SocketIoServer, deps: MediaSignallingDeps): ConferenceSignalling;
}

export interface MediaStartOptions {
  /** First and largest delay between restarts of a worker that keeps dying. */
  restartDelayMs?: { min: number; max: number };
}

/**
 * Starts `media.workers` mediasoup workers (0: one per CPU core), worker i serving WebRTC on
 * `media.listenIp`:`media.port + i` (UDP and TCP), registers the `media` health check and
 * metrics, and restarts workers that die. Throws a StartupError when the worker binary is
 * missing or a port is taken.
 */
export async function start(
  config: AppConfig,
  deps: ServiceDeps & MediaStartOptions,
): Promise<MediaService> {
  const { listenIp, announcedAddress, port } = config.media;
  const size = workerCount(config);
  const log = deps.logger.child({ component: 'media' });

  await preflight(config);
  if ((listenIp === '0.0.0.0' || listenIp === '::') && !announcedAddress) {
    log.warn(
      { listenIp },
      'ICE candidates will carry an unspecified address; set media.announcedAddress (IOC_MEDIA_ANNOUNCED_ADDRESS) to the address browsers reach',
    );
  }

  const pool = await WorkerPool.start({
    size,
    listenIp,
    announcedIp: announcedAddress,
    port,
    logger: deps.logger,
    restartDelayMs: deps.restartDelayMs,
  });
  log.info(
    { workers: pool.workers.map((w) => ({ index: w.index, pid: w.pid })), listenIp, port },
    'mediasoup workers started',
  );

  pool.on('died', ({ index, pid, error }) => {
    deps.bus.publish('service.status', {
      service: 'media',
      status: 'down',
      reason: `worker ${index} (pid ${pid}) died: ${error.message}`,
    });
  });
  pool.on('started', ({ index, pid, restart }) => {
    if (!restart) return;
    log.info({ worker: index, pid }, 'mediasoup worker restarted');
    if (pool.workers.every((worker) => worker.alive)) {
      deps.bus.publish('service.status', { service: 'media', status: 'up' });
    }
  });

  const unsubscribe = deps.bus.subscribe('process.stopping', () => {
    for (const worker of pool.workers) worker.prepareToClose();
  });
  deps.health.register('media', () => pool.health());
  const unregisterMetrics = registerMediaMetrics(deps.metrics, pool);
  const signallings = new Set<ConferenceSignalling>();

  return {
    pool,
    workers: pool.workers,
    createRouter: (options) => pool.createRouter(options),
    attachSignalling(io, signallingDeps) {
      const signalling = attachSignalling(io, {
        ...signallingDeps,
        bus: deps.bus,
        logger: deps.logger,
        config,
        createRouter: () => pool.createRouter(),
      });
      signallings.add(signalling);
      const unregisterConferenceMetrics = registerConferenceMetrics(deps.metrics, signalling.rooms);
      return {
        rooms: signalling.rooms,
        endConference: (conferenceId, reason) => signalling.endConference(conferenceId, reason),
        async close() {
          signallings.delete(signalling);
          unregisterConferenceMetrics();
          await signalling.close();
        },
      };
    },
    async stop() {
      // Rooms first, so that clients hear "reconnect" rather than see their worker vanish.
      await Promise.all([...signallings].map((signalling) => signalling.close()));
      signallings.clear();
      unsubscribe();
      deps.health.unregister('media');
      unregisterMetrics();
      await pool.close();
      log.info('mediasoup workers stopped');
    },
  };
}
