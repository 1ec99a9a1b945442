import { ApiError, type ConferenceEndpoint, errorMessage, type Logger } from '@ioc/core';
import { types } from 'mediasoup';
import type { Socket } from 'socket.io';
import type { Admission } from '../conferences/conference.js';
import { ConferenceError } from '../rooms/conference-error.js';
import type { ConferencePeer, PeerChannel } from '../rooms/conference-peer.js';
import type { ConferenceRoom } from '../rooms/conference-room.js';
import type { ConferenceRooms } from '../rooms/conference-rooms.js';
import type { Reply, SignallingError, SignallingRequests } from './protocol.js';
import {
  isRequestName,
  parseRequest,
  REQUEST_SCHEMAS,
  type RequestName,
} from './request-schemas.js';

type Handlers = {
  [K in RequestName]: (payload: SignallingRequests[K][0]) => Promise<SignallingRequests[K][1]>;
};

const EMPTY: Record<string, never> = {};

/**
 * One admitted socket on `/conference`: answers its requests (validated, each with a Reply)
 * against its seat in the conference room. A request that fails is answered and logged;
 * nothing a client sends can throw out of here.
 */
export class ConferenceSignallingSession {
  readonly #socket: Socket;
  readonly #admission: Admission;
  readonly #rooms: ConferenceRooms;
  readonly #log: Logger;
  #room: ConferenceRoom | undefined;
  #peer: ConferencePeer | undefined;
  #joining = false;
  #stats: { peer: ConferencePeer; endpoint: Promise<ConferenceEndpoint> } | undefined;

  constructor(socket: Socket, admission: Admission, rooms: ConferenceRooms, logger: Logger) {
    this.#socket = socket;
    this.#admission = admission;
    this.#rooms = rooms;
    this.#log = logger.child({
      conferenceId: admission.conference.id,
      socketId: socket.id,
      unit: admission.unit,
      userId: admission.userId,
    });
    for (const name of Object.keys(REQUEST_SCHEMAS) as RequestName[]) {
      socket.on(name, (...args: unknown[]) => {
        this.#onRequest(name, args).catch((err: unknown) => {
          this.#log.error({ err, request: name }, 'conference request handling failed');
        });
      });
    }
    socket.onAny((name: unknown, ...args: unknown[]) => {
      if (typeof name === 'string' && isRequestName(name)) return;
      const error = new ConferenceError(
        'UNKNOWN_REQUEST',
        `${String(name).slice(0, 64)} is not a conference request`,
      );
      this.#refuse(String(name).slice(0, 64), error);
      const ack = args.at(-1);
      if (typeof ack === 'function') ack({ ok: false, error: error.toJSON() });
    });
    socket.on('disconnect', (reason) => this.#leave(`disconnect`, reason));
  }

  /** The peer this socket holds now, while it is in a room. */
  get peer(): ConferencePeer | undefined {
    return this.#peer && !this.#peer.closed ? this.#peer : undefined;
  }

  readonly #handlers: Handlers = {
    getRouterRtpCapabilities: async () => (await this.#openRoom()).rtpCapabilities,
    join: async (request) => {
      if (this.peer || this.#joining) {
        throw new ConferenceError(
          'ALREADY_JOINED',
          'this connection already has a seat; leave first',
        );
      }
      this.#joining = true;
      try {
        return await this.#join(request);
      } finally {
        this.#joining = false;
      }
    },
    createTransport: async ({ direction }) => {
      const { room, peer } = this.#seat();
      return room.createTransport(peer, direction);
    },
    connectTransport: async ({ transportId, dtlsParameters }) => {
      const { room, peer } = this.#seat();
      await room.connectTransport(peer, transportId, dtlsParameters);
      return EMPTY;
    },
    restartIce: async ({ transportId }) => {
      const { room, peer } = this.#seat();
      return { iceParameters: await room.restartIce(peer, transportId) };
    },
    produce: async (request) => {
      const { room, peer } = this.#seat();
      return { producerId: await room.produce(peer, request) };
    },
    closeProducer: async ({ producerId }) => {
      const { room, peer } = this.#seat();
      room.closeProducer(peer, producerId);
      return EMPTY;
    },
    pauseProducer: async ({ producerId }) => {
      const { room, peer } = this.#seat();
      await room.pauseProducer(peer, producerId);
      return EMPTY;
    },
    resumeProducer: async ({ producerId }) => {
      const { room, peer } = this.#seat();
      await room.resumeProducer(peer, producerId);
      return EMPTY;
    },
    resumeConsumer: async ({ consumerId }) => {
      const { room, peer } = this.#seat();
      await room.resumeConsumer(peer, consumerId);
      return EMPTY;
    },
    setPreferredLayers: async ({ consumerId, spatialLayer, temporalLayer }) => {
      const { room, peer } = this.#seat();
      await room.setPreferredLayers(peer, consumerId, spatialLayer, temporalLayer);
      return EMPTY;
    },
    raiseHand: async ({ raised }) => {
      const { room, peer } = this.#seat();
      room.raiseHand(peer, raised);
      return EMPTY;
    },
    chat: async ({ text }) => {
      const { room, peer } = this.#seat();
      return room.chat(peer, text);
    },
    muteAll: async () => {
      const { room, peer } = this.#seat();
      return { muted: await room.muteAll(peer) };
    },
    muteOne: async ({ peerId }) => {
      const { room, peer } = this.#seat();
      await room.muteOne(peer, peerId);
      return EMPTY;
    },
    giveFloor: async ({ peerId }) => {
      const { room, peer } = this.#seat();
      room.giveFloor(peer, peerId);
      return EMPTY;
    },
    getStats: async () => {
      const { room, peer } = this.#seat();
      // Measuring walks every stream of the peer: one measurement at a time per connection.
      if (!this.#stats || this.#stats.peer !== peer) {
        const endpoint = room.endpointOf(peer).finally(() => {
          if (this.#stats?.endpoint === endpoint) this.#stats = undefined;
        });
        this.#stats = { peer, endpoint };
      }
      return this.#stats.endpoint;
    },
    leave: async () => {
      this.#leave('leave');
      return EMPTY;
    },
  };

  readonly #channel: PeerChannel = {
    send: (event, data) => {
      this.#socket.emit(event, data);
    },
    disconnect: () => {
      this.#socket.disconnect(true);
    },
  };

  async #onRequest(name: RequestName, args: unknown[]): Promise<void> {
    const ack =
      typeof args.at(-1) === 'function'
        ? (args.at(-1) as (reply: Reply<unknown>) => void)
        : undefined;
    if (!ack) {
      this.#refuse(
        name,
        new ConferenceError('INVALID_REQUEST', 'a request needs an acknowledgement callback'),
      );
      return;
    }
    let request: unknown;
    let reply: Reply<unknown>;
    try {
      request = parseRequest(name, args.length > 1 ? args[0] : undefined);
      const handler = this.#handlers[name] as (payload: unknown) => Promise<unknown>;
      reply = { ok: true, data: await handler(request) };
    } catch (err) {
      const error = toSignallingError(err);
      const peerId = this.peer?.id;
      if (error.code === 'INTERNAL_ERROR') {
        this.#log.error({ err, request: name, peerId }, 'conference request failed');
      } else if (!(err instanceof ConferenceError)) {
        // mediasoup's own refusal (or a bug of ours that looks like one): keep the stack.
        this.#log.warn(
          { err, request: name, peerId, code: error.code },
          'conference request refused',
        );
      } else {
        this.#refuse(name, error);
      }
      reply = { ok: false, error };
    }
    ack(reply);
    // A receive transport's consumers follow its reply, so the client knows the transport.
    if (reply.ok && name === 'createTransport') {
      const { room, peer } = this.#seatIfAny();
      const { direction } = request as SignallingRequests['createTransport'][0];
      if (room && peer && direction === 'recv') room.consumeExisting(peer);
    }
  }

  async #join(request: SignallingRequests['join'][0]): Promise<SignallingRequests['join'][1]> {
    if (Date.parse(this.#admission.expiresAt) <= Date.now()) {
      throw new ConferenceError(
        'JOIN_TOKEN_EXPIRED',
        'your right to join has expired; ask for a new join link',
      );
    }
    const room = await this.#openRoom();
    const { peer, reply } = await room.join(this.#admission, request, this.#channel);
    if (this.#socket.disconnected) {
      // Gone while the seat was being made: nobody would ever free it.
      room.leave(peer, 'disconnect');
      throw new ConferenceError('NOT_JOINED', 'the connection closed while joining');
    }
    this.#room = room;
    this.#peer = peer;
    return reply;
  }

  #refuse(request: string, error: SignallingError): void {
    this.#log.info(
      { request, code: error.code, reason: error.message, peerId: this.peer?.id },
      'conference request refused',
    );
  }

  async #openRoom(): Promise<ConferenceRoom> {
    try {
      return await this.#rooms.open(this.#admission.conference);
    } catch (err) {
      if (err instanceof ApiError) throw new ConferenceError(err.code, err.message);
      throw err;
    }
  }

  #seatIfAny(): { room?: ConferenceRoom; peer?: ConferencePeer } {
    const peer = this.peer;
    return peer && this.#room && !this.#room.closed ? { room: this.#room, peer } : {};
  }

  #seat(): { room: ConferenceRoom; peer: ConferencePeer } {
    const { room, peer } = this.#seatIfAny();
    if (!room || !peer) {
      throw new ConferenceError(
        'NOT_JOINED',
        'join the conference first (after getRouterRtpCapabilities)',
      );
    }
    return { room, peer };
  }

  #leave(reason: string, detail?: string): void {
    const { room, peer } = this.#seatIfAny();
    if (room && peer) {
      if (detail) this.#log.debug({ detail }, 'conference socket disconnected');
      room.leave(peer, reason);
    }
    this.#peer = undefined;
    this.#room = undefined;
  }
}

/** What the client is told: our own refusals as they are, mediasoup's input checks as INVALID_REQUEST. */
function toSignallingError(err: unknown): SignallingError {
  if (err instanceof ConferenceError) return err.toJSON();
  if (err instanceof ApiError) return { code: err.code, message: err.message };
  if (err instanceof TypeError || err instanceof types.UnsupportedError) {
    return { code: 'INVALID_REQUEST', message: `mediasoup refused it: ${errorMessage(err)}` };
  }
  if (err instanceof types.InvalidStateError) {
    return { code: 'INVALID_STATE', message: `not now: ${errorMessage(err)}` };
  }
  return {
    code: 'INTERNAL_ERROR',
    message: 'the server could not do that; try again, or leave and join again',
  };
}
