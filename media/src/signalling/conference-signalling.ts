import { ApiError, type AppConfig, type LiveBus, type Logger } from '@ioc/core';
import type { Namespace, Server } from 'socket.io';
import type { ConferenceAdmission } from '../conferences/conference.js';
import { ConferenceError } from '../rooms/conference-error.js';
import { ConferenceRooms } from '../rooms/conference-rooms.js';
import type { MediaRouter } from '../worker-pool.js';
import { admitHandshake, type HandshakeDeps } from './handshake.js';
import { SIGNALLING_NAMESPACE, type SignallingError } from './protocol.js';
import { ConferenceSignallingSession } from './signalling-session.js';

export interface SignallingDeps extends HandshakeDeps {
  admission: ConferenceAdmission;
  bus: LiveBus;
  logger: Logger;
  config: AppConfig;
  /** Routers for the rooms (MediaService.createRouter). */
  createRouter: () => Promise<MediaRouter>;
  /** Name of an admin unit, for the wall's list of invited units; the code when absent. */
  unitName?: (code: string) => string | undefined;
  /** How long a room stays open with nobody in it (default 60 s). */
  emptyRoomCloseMs?: number;
}

export interface ConferenceSignalling {
  /** Ends a conference's room now (it was cancelled or ended early); false when it has none. */
  endConference(conferenceId: string, reason: 'conference-ended' | 'cancelled'): boolean;
  /** The live rooms (tests, diagnostics). */
  readonly rooms: ConferenceRooms;
  /** Refuses new connections, tells connected clients to reconnect and closes every room. */
  close(): Promise<void>;
}

/**
 * Serves the conference signalling protocol (protocol.ts) on `io`'s `/conference` namespace:
 * the handshake admits the caller (join token or signed-in user) and each socket gets a
 * ConferenceSignallingSession speaking for one seat in the conference's room.
 */
export function attachSignalling(io: Server, deps: SignallingDeps): ConferenceSignalling {
  const log = deps.logger.child({ component: 'conference-signalling' });
  const rooms = new ConferenceRooms({
    createRouter: deps.createRouter,
    settings: deps.config.media.conference,
    attendance: deps.admission,
    bus: deps.bus,
    logger: deps.logger,
    unitName: deps.unitName,
    emptyCloseMs: deps.emptyRoomCloseMs,
  });
  const namespace: Namespace = io.of(SIGNALLING_NAMESPACE);
  let closed = false;

  namespace.use((socket, next) => {
    const refuse = (error: SignallingError) => {
      log.info(
        { code: error.code, reason: error.message, address: socket.handshake.address },
        'conference connection refused',
      );
      next(Object.assign(new Error(error.message), { data: error }));
    };
    if (closed) {
      refuse({ code: 'MEDIA_UNAVAILABLE', message: 'conferences are stopping; try again shortly' });
      return;
    }
    admitHandshake(socket.handshake, deps)
      .then((admission) => {
        const room = rooms.get(admission.conference.id);
        const max = deps.config.media.conference.maxParticipants;
        if (room && !room.closed && room.peerCount >= max) {
          throw new ConferenceError(
            'CONFERENCE_FULL',
            `the conference already has ${room.peerCount} participants, its limit`,
          );
        }
        socket.data.admission = admission;
      })
      .then(
        () => next(),
        (err: unknown) => {
          if (err instanceof ConferenceError) return refuse(err.toJSON());
          if (err instanceof ApiError) return refuse({ code: err.code, message: err.message });
          log.error({ err }, 'conference handshake failed');
          refuse({ code: 'INTERNAL_ERROR', message: 'the server could not admit you; try again' });
        },
      );
  });

  namespace.on('connection', (socket) => {
    new ConferenceSignallingSession(
      socket,
      socket.data.admission,
      rooms,
      deps.logger.child({ component: 'conference-signalling' }),
    );
  });

  const signalling: ConferenceSignalling = {
    rooms,
    endConference: (conferenceId, reason) => rooms.end(conferenceId, reason),
    async close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      await rooms.close();
      namespace.disconnectSockets(true);
      namespace.removeAllListeners('connection');
      log.info('conference signalling closed');
    },
  };
  // A Ctrl-C reaches the workers too: close the rooms first, so that attendance says
  // `server-stopping` rather than `worker-died`.
  const unsubscribe = deps.bus.subscribe('process.stopping', () => {
    signalling.close().catch((err: unknown) => log.error({ err }, 'closing conferences failed'));
  });
  return signalling;
}
