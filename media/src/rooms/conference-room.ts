import { EventEmitter } from 'node:events';
import {
  type AppConfig,
  type ConferenceEndpoint,
  errorMessage,
  type LiveBus,
  type Logger,
} from '@ioc/core';
import type { types } from 'mediasoup';
import type { Admission, Conference, ConferenceAdmission } from '../conferences/conference.js';
import type {
  ChatMessage,
  MediaSource,
  SignallingEvents,
  SignallingRequests,
  TransportOptions,
} from '../signalling/protocol.js';
import type { MediaRouter } from '../worker-pool.js';
import { ChatLog } from './chat-log.js';
import { ConferenceError, forbidden, notFound } from './conference-error.js';
import {
  ConferencePeer,
  type PeerChannel,
  type PeerConsumer,
  type PeerProducer,
} from './conference-peer.js';
import { Deadline } from './deadline.js';
import { EndpointPublisher } from './endpoint-publisher.js';
import { connectedEndpoint, measurePeer } from './endpoint-stats.js';
import { pickLastN } from './last-n.js';
import { RoomConsumers } from './room-consumers.js';
import { RoomRouters } from './room-routers.js';
import { SpeakerHistory } from './speaker-history.js';

/** Why a room closed; also the attendance reason of the peers still in it. */
export type RoomCloseReason =
  | 'empty'
  | 'conference-ended'
  | 'cancelled'
  | 'worker-died'
  | 'server-stopping';

export interface ConferenceRoomEvents {
  close: [RoomCloseReason];
}

export interface ConferenceRoomOptions {
  conference: Conference;
  createRouter: () => Promise<MediaRouter>;
  settings: AppConfig['media']['conference'];
  attendance: Pick<ConferenceAdmission, 'recordAttendance'>;
  bus: LiveBus;
  logger: Logger;
  /** Name of an admin unit, for invited units that are not connected. */
  unitName?: (code: string) => string | undefined;
  /** How long a room stays open with nobody in it (default 60 s). */
  emptyCloseMs?: number;
}

type JoinReply = SignallingRequests['join'][1];
type ProduceRequest = SignallingRequests['produce'][0];

const SOURCE_KIND: Record<MediaSource, types.MediaKind> = {
  camera: 'video',
  microphone: 'audio',
  screen: 'video',
};

/** Chat flood limit per peer. */
const CHAT_MESSAGES_PER_WINDOW = 10;
const CHAT_WINDOW_MS = 10_000;

/**
 * One live conference on the SFU: its peers and their media across the room's routers, the
 * active speaker, last-N video, hands, floor, chat and chair controls, attendance and the
 * endpoint stats the wall shows. Opened on the first join; closed when it stays empty, when
 * the conference ends, or when a worker it spans dies. Emits 'close' once.
 */
export class ConferenceRoom extends EventEmitter<ConferenceRoomEvents> {
  readonly #options: ConferenceRoomOptions;
  readonly #routers: RoomRouters;
  readonly #consumers: RoomConsumers;
  readonly #speakerObserver: types.ActiveSpeakerObserver;
  readonly #speakers: SpeakerHistory;
  readonly #endpoints: EndpointPublisher;
  readonly #end: Deadline;
  readonly #log: Logger;
  readonly #peers = new Map<string, ConferencePeer>();
  readonly #expiries = new Map<string, Deadline>();
  readonly #producerOwners = new Map<string, string>();
  readonly #chat = new ChatLog(200);
  #conference: Conference;
  #floor: string | null = null;
  /** Peer holding (or about to hold) the room's one screen share. */
  #screenOwner: string | null = null;
  #emptyTimer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(
    options: ConferenceRoomOptions,
    routers: RoomRouters,
    observer: types.ActiveSpeakerObserver,
    log: Logger,
  ) {
    super();
    this.#options = options;
    this.#conference = options.conference;
    this.#routers = routers;
    this.#speakerObserver = observer;
    this.#log = log;
    this.#speakers = new SpeakerHistory(options.settings.lastN * 2);
    this.#consumers = new RoomConsumers({
      routers,
      logger: log,
      inLastN: (receiver, ownerId) => this.#lastNFor(receiver).has(ownerId),
      cameraAdmitted: () => this.#applyLastN(),
    });
    this.#endpoints = new EndpointPublisher({
      bus: options.bus,
      logger: log,
      intervalS: options.settings.statsIntervalS,
      unitName: options.unitName,
      state: () => ({
        conference: this.#conference,
        peers: [...this.#peers.values()],
        activeSpeaker: this.#speakers.active,
      }),
    });
    this.#end = new Deadline(
      () => this.#conference.endsAt,
      () => this.close('conference-ended'),
    );
    routers.on('workerclose', ({ router, died }) => {
      log.error(
        { worker: router.worker.index, died },
        died ? 'a worker of this conference died' : 'a worker of this conference closed',
      );
      this.close(died ? 'worker-died' : 'server-stopping');
    });
    observer.on('dominantspeaker', ({ producer }) => this.#onDominantSpeaker(producer.id));
    this.#armEmptyTimer();
  }

  /** Opens a room on a router from `createRouter` (rejects with MEDIA_UNAVAILABLE when none). */
  static async create(options: ConferenceRoomOptions): Promise<ConferenceRoom> {
    const log = options.logger.child({
      component: 'conference',
      conferenceId: options.conference.id,
    });
    const routers = await RoomRouters.create({
      createRouter: options.createRouter,
      consumerBudget: options.settings.routerConsumerBudget,
      logger: log,
    });
    try {
      const observer = await routers.main.router.createActiveSpeakerObserver({ interval: 300 });
      const room = new ConferenceRoom(options, routers, observer, log);
      log.info({ worker: routers.main.worker.index }, 'conference room opened');
      return room;
    } catch (err) {
      routers.close();
      throw err;
    }
  }

  get id(): string {
    return this.#conference.id;
  }

  get conference(): Conference {
    return this.#conference;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get peerCount(): number {
    return this.#peers.size;
  }

  /** Routers the room spans now (more than one once it spread). */
  get routers(): RoomRouters {
    return this.#routers;
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.#routers.main.router.rtpCapabilities;
  }

  /** A later admission may carry a changed conference (more invited units, a new end). */
  updateConference(conference: Conference): void {
    this.#conference = conference;
    this.#end.reset();
  }

  // ---- seats --------------------------------------------------------------------------

  async join(
    admission: Admission,
    request: SignallingRequests['join'][0],
    channel: PeerChannel,
  ): Promise<{ peer: ConferencePeer; reply: JoinReply }> {
    this.#assertOpen();
    const max = this.#options.settings.maxParticipants;
    if (this.#peers.size >= max) {
      throw new ConferenceError(
        'CONFERENCE_FULL',
        `the conference already has ${this.#peers.size} participants, its limit (media.conference.maxParticipants)`,
      );
    }
    const router = await this.#routers.placePeer();
    this.#assertOpen();
    const displayName = displayNameOf(admission, request.displayName);
    const peer = new ConferencePeer(
      admission,
      displayName,
      request.rtpCapabilities,
      router,
      channel,
    );
    this.#peers.set(peer.id, peer);
    clearTimeout(this.#emptyTimer);
    this.#expiries.set(
      peer.id,
      new Deadline(
        () => admission.expiresAt,
        () => {
          const over = Date.now() >= Date.parse(this.#conference.endsAt);
          this.#drop(peer, over ? 'conference-ended' : 'expired');
        },
      ),
    );

    const reply: JoinReply = {
      self: peer.info(),
      peers: this.#others(peer).map((other) => other.info()),
      chat: this.#chat.list(),
      floor: this.#floor,
      activeSpeaker: this.#speakers.active,
      conference: {
        id: this.#conference.id,
        title: this.#conference.title,
        endsAt: this.#conference.endsAt,
      },
    };
    this.#broadcast(peer, 'peer.joined', peer.info());
    this.#log.info(
      { peerId: peer.id, unit: admission.unit, userId: admission.userId, role: peer.role },
      'peer joined',
    );
    this.#recordAttendance(peer, 'joined');
    this.#endpoints.publish();
    return { peer, reply };
  }

  /** Takes the peer out of the room (its media closes); harmless for a peer already gone. */
  leave(peer: ConferencePeer, reason: string): void {
    if (!this.#peers.has(peer.id)) return;
    this.#peers.delete(peer.id);
    this.#expiries.get(peer.id)?.cancel();
    this.#expiries.delete(peer.id);
    if (this.#screenOwner === peer.id) this.#screenOwner = null;
    for (const producerId of peer.producers.keys()) this.#forgetProducer(producerId);
    peer.close();
    const wasSpeaking = this.#speakers.forget(peer.id);
    this.#log.info({ peerId: peer.id, reason }, 'peer left');
    this.#recordAttendance(peer, 'left', reason);
    if (this.#closed) return;
    this.#broadcast(peer, 'peer.left', { peerId: peer.id });
    if (this.#floor === peer.id) this.#setFloor(null);
    if (wasSpeaking) this.#broadcast(null, 'speaker.active', { peerId: null });
    this.#applyLastN();
    this.#endpoints.publish();
    this.#armEmptyTimer();
  }

  // ---- transports ---------------------------------------------------------------------

  async createTransport(
    peer: ConferencePeer,
    direction: 'send' | 'recv',
  ): Promise<TransportOptions> {
    if (direction === 'send' && peer.role === 'viewer') {
      throw forbidden('viewers only watch: they cannot send media');
    }
    if (peer.transportOf(direction)) {
      throw new ConferenceError(
        'TRANSPORT_EXISTS',
        `you already have a ${direction} transport; restart its ICE (restartIce) or leave and join again`,
      );
    }
    const { router, webRtcServer } = peer.router;
    const transport = await router.createWebRtcTransport({
      webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      appData: { peerId: peer.id, direction },
    });
    if (peer.closed) {
      transport.close();
      throw new ConferenceError('NOT_JOINED', 'you left the conference meanwhile');
    }
    peer.transports.set(transport.id, { transport, direction });
    transport.observer.once('close', () => peer.transports.delete(transport.id));
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async connectTransport(
    peer: ConferencePeer,
    transportId: string,
    dtlsParameters: types.DtlsParameters,
  ): Promise<void> {
    await this.#transport(peer, transportId).connect({ dtlsParameters });
  }

  async restartIce(peer: ConferencePeer, transportId: string): Promise<types.IceParameters> {
    return this.#transport(peer, transportId).restartIce();
  }

  /** After the reply to a receive transport: consumers for everything already sent. */
  consumeExisting(peer: ConferencePeer): void {
    for (const owner of this.#others(peer)) {
      for (const entry of owner.producers.values()) this.#consumers.consume(peer, owner, entry);
    }
  }

  // ---- producers ----------------------------------------------------------------------

  async produce(peer: ConferencePeer, request: ProduceRequest): Promise<string> {
    const { transportId, kind, rtpParameters, source } = request;
    if (peer.role === 'viewer') throw forbidden('viewers only watch: they cannot send media');
    const transport = this.#transport(peer, transportId);
    if (peer.transports.get(transportId)?.direction !== 'send') {
      throw new ConferenceError(
        'INVALID_REQUEST',
        `transportId ${transportId} is a receive transport; produce on your send transport`,
      );
    }
    if (SOURCE_KIND[source] !== kind) {
      throw new ConferenceError(
        'INVALID_REQUEST',
        `kind must be ${SOURCE_KIND[source]} for source ${source}`,
      );
    }
    if (peer.producerOf(source)) {
      throw new ConferenceError(
        'PRODUCER_EXISTS',
        `you already send ${source}; close that producer first`,
      );
    }
    if (source === 'screen') this.#reserveScreen(peer);
    let producer: types.Producer;
    try {
      producer = await transport.produce({
        kind,
        rtpParameters,
        appData: { peerId: peer.id, source },
      });
    } catch (err) {
      if (source === 'screen' && this.#screenOwner === peer.id) this.#screenOwner = null;
      throw err;
    }
    if (peer.closed) {
      producer.close();
      throw new ConferenceError('NOT_JOINED', 'you left the conference meanwhile');
    }
    const entry: PeerProducer = { producer, source, mutedBy: null };
    peer.producers.set(producer.id, entry);
    this.#producerOwners.set(producer.id, peer.id);
    producer.observer.once('close', () => this.#producerClosed(peer, entry));
    if (kind === 'audio') this.#observeSpeaker(peer, producer);
    this.#broadcast(null, 'peer.updated', peer.info());
    for (const receiver of this.#others(peer)) this.#consumers.consume(receiver, peer, entry);
    return producer.id;
  }

  closeProducer(peer: ConferencePeer, producerId: string): void {
    this.#producer(peer, producerId).producer.close();
  }

  async pauseProducer(peer: ConferencePeer, producerId: string): Promise<void> {
    await this.#producer(peer, producerId).producer.pause();
    this.#broadcast(null, 'peer.updated', peer.info());
  }

  /** Only a producer's owner resumes it, which also lifts a chair's mute. */
  async resumeProducer(peer: ConferencePeer, producerId: string): Promise<void> {
    const entry = this.#producer(peer, producerId);
    await entry.producer.resume();
    entry.mutedBy = null;
    this.#broadcast(null, 'peer.updated', peer.info());
  }

  // ---- consumers ----------------------------------------------------------------------

  async resumeConsumer(peer: ConferencePeer, consumerId: string): Promise<void> {
    await this.#consumers.resume(peer, this.#consumer(peer, consumerId));
  }

  async setPreferredLayers(
    peer: ConferencePeer,
    consumerId: string,
    spatialLayer: number,
    temporalLayer?: number,
  ): Promise<void> {
    const { consumer } = this.#consumer(peer, consumerId);
    if (consumer.type !== 'simulcast' && consumer.type !== 'svc') {
      throw new ConferenceError(
        'INVALID_REQUEST',
        `consumerId ${consumerId} carries a single layer (${consumer.kind} ${consumer.type}); only simulcast video has layers`,
      );
    }
    await consumer.setPreferredLayers({ spatialLayer, temporalLayer });
  }

  // ---- hands, floor, chat, chair ------------------------------------------------------

  raiseHand(peer: ConferencePeer, raised: boolean): void {
    if (peer.handRaised === raised) return;
    peer.handRaised = raised;
    this.#broadcast(null, 'peer.updated', peer.info());
  }

  /** Keeps and relays a message to the others; the sender gets it in its reply. */
  chat(peer: ConferencePeer, text: string): ChatMessage {
    const clean = text.normalize('NFC').trim();
    if (clean.length < 1 || clean.length > 1000) {
      throw new ConferenceError(
        'INVALID_REQUEST',
        `text must be 1 to 1000 characters (it has ${clean.length} after trimming)`,
      );
    }
    const now = Date.now();
    while ((peer.chatTimes[0] ?? now) <= now - CHAT_WINDOW_MS) peer.chatTimes.shift();
    if (peer.chatTimes.length >= CHAT_MESSAGES_PER_WINDOW) {
      throw new ConferenceError(
        'RATE_LIMITED',
        `at most ${CHAT_MESSAGES_PER_WINDOW} chat messages in ${CHAT_WINDOW_MS / 1000} s; wait a moment`,
      );
    }
    peer.chatTimes.push(now);
    const message = this.#chat.add(peer.id, peer.displayName, clean);
    this.#broadcast(peer, 'chat', message);
    return message;
  }

  /** Chair only: pauses every other peer's microphone; returns how many it muted. */
  async muteAll(chair: ConferencePeer): Promise<number> {
    this.#assertChair(chair, 'mute everyone');
    const muted = await Promise.all(
      this.#others(chair).map((peer) => this.#muteMicrophone(chair, peer)),
    );
    return muted.filter(Boolean).length;
  }

  async muteOne(chair: ConferencePeer, peerId: string): Promise<void> {
    this.#assertChair(chair, 'mute a participant');
    await this.#muteMicrophone(chair, this.#peer(peerId));
  }

  /** Chair only: gives (or with null takes back) the floor; the holder's hand goes down. */
  giveFloor(chair: ConferencePeer, peerId: string | null): void {
    this.#assertChair(chair, 'give the floor');
    if (peerId !== null) this.#peer(peerId);
    this.#setFloor(peerId);
  }

  /** The caller's own endpoint as the wall sees it now. */
  async endpointOf(peer: ConferencePeer): Promise<ConferenceEndpoint> {
    return connectedEndpoint(peer, await measurePeer(peer));
  }

  // ---- closing ------------------------------------------------------------------------

  /** Closes the room: tells each peer why, records them left, and publishes `ended`. */
  close(reason: RoomCloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#emptyTimer);
    this.#end.cancel();
    for (const peer of [...this.#peers.values()]) {
      if (reason === 'conference-ended' || reason === 'cancelled') {
        this.#drop(peer, reason);
        continue;
      }
      if (reason === 'worker-died') peer.send('reconnect', { reason: 'worker-died' });
      if (reason === 'server-stopping') peer.send('reconnect', { reason: 'moved' });
      this.leave(peer, reason);
    }
    this.#routers.close();
    this.#endpoints.publishEnded();
    this.#log.info({ reason }, 'conference room closed');
    this.emit('close', reason);
  }

  // ---- internals ----------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) {
      throw new ConferenceError('MEDIA_UNAVAILABLE', 'the conference room just closed; join again');
    }
  }

  #assertChair(peer: ConferencePeer, what: string): void {
    if (peer.role !== 'chair') throw forbidden(`only the chair may ${what}`);
  }

  #reserveScreen(peer: ConferencePeer): void {
    if (this.#screenOwner !== null && this.#screenOwner !== peer.id) {
      const owner = this.#peers.get(this.#screenOwner)?.displayName ?? 'someone';
      throw new ConferenceError(
        'SCREEN_BUSY',
        `${owner} is sharing a screen; one screen share at a time`,
      );
    }
    this.#screenOwner = peer.id;
  }

  /** Tells the peer the conference is over for it, records it left, and drops its socket. */
  #drop(peer: ConferencePeer, reason: SignallingEvents['ended']['reason']): void {
    peer.send('ended', { reason });
    // Leave before the disconnect, whose handler would record reason `disconnect`.
    this.leave(peer, reason);
    peer.channel.disconnect();
  }

  #others(peer: ConferencePeer): ConferencePeer[] {
    return [...this.#peers.values()].filter((other) => other !== peer);
  }

  #broadcast<K extends keyof SignallingEvents>(
    except: ConferencePeer | null,
    event: K,
    data: SignallingEvents[K],
  ): void {
    for (const peer of this.#peers.values()) {
      if (peer !== except) peer.send(event, data);
    }
  }

  #peer(peerId: string): ConferencePeer {
    const peer = this.#peers.get(peerId);
    if (!peer) throw new ConferenceError('NOT_FOUND', `peerId ${peerId} is not in this conference`);
    return peer;
  }

  #transport(peer: ConferencePeer, transportId: string): types.WebRtcTransport {
    const entry = peer.transports.get(transportId);
    if (!entry) throw notFound('transportId', transportId);
    return entry.transport;
  }

  #producer(peer: ConferencePeer, producerId: string): PeerProducer {
    const entry = peer.producers.get(producerId);
    if (!entry) throw notFound('producerId', producerId);
    return entry;
  }

  #consumer(peer: ConferencePeer, consumerId: string): PeerConsumer {
    const entry = peer.consumers.get(consumerId);
    if (!entry) throw notFound('consumerId', consumerId);
    return entry;
  }

  #producerClosed(peer: ConferencePeer, { producer, source }: PeerProducer): void {
    peer.producers.delete(producer.id);
    this.#forgetProducer(producer.id);
    if (source === 'screen' && this.#screenOwner === peer.id) this.#screenOwner = null;
    if (peer.closed || this.#closed) return;
    this.#broadcast(null, 'peer.updated', peer.info());
    if (source === 'camera') this.#applyLastN();
  }

  #forgetProducer(producerId: string): void {
    this.#producerOwners.delete(producerId);
    this.#routers.forget(producerId);
  }

  async #muteMicrophone(chair: ConferencePeer, peer: ConferencePeer): Promise<boolean> {
    const microphone = peer.producerOf('microphone');
    if (!microphone || microphone.producer.paused) return false;
    await microphone.producer.pause();
    microphone.mutedBy = chair.id;
    peer.send('muted.by', { by: chair.displayName, producerId: microphone.producer.id });
    this.#broadcast(null, 'peer.updated', peer.info());
    return true;
  }

  #setFloor(peerId: string | null): void {
    this.#floor = peerId;
    const holder = peerId ? this.#peers.get(peerId) : undefined;
    if (holder?.handRaised) {
      holder.handRaised = false;
      this.#broadcast(null, 'peer.updated', holder.info());
    }
    this.#broadcast(null, 'floor', { peerId });
    this.#applyLastN();
  }

  #lastNFor(receiver: ConferencePeer): Set<string> {
    const others = this.#others(receiver);
    return pickLastN({
      senders: others.filter((peer) => peer.producerOf('camera')).map((peer) => peer.id),
      floor: this.#floor,
      chairs: others.filter((peer) => peer.role === 'chair').map((peer) => peer.id),
      recentSpeakers: this.#speakers.recent,
      n: this.#options.settings.lastN,
    });
  }

  /** Pauses camera consumers that fell out of each peer's last N and resumes those back in. */
  #applyLastN(): void {
    if (this.#closed) return;
    for (const receiver of this.#peers.values()) {
      this.#consumers.applyLastN(receiver, this.#lastNFor(receiver));
    }
  }

  /** Feeds a microphone to the active speaker observer on the main router. */
  #observeSpeaker(owner: ConferencePeer, producer: types.Producer): void {
    this.#routers
      .bring(producer.id, owner.router, this.#routers.main)
      .then(() => this.#speakerObserver.addProducer({ producerId: producer.id }))
      .catch((err: unknown) => {
        if (producer.closed || this.#closed) return;
        this.#log.warn(
          { err: errorMessage(err), producerId: producer.id },
          'could not observe a microphone',
        );
      });
  }

  #onDominantSpeaker(producerId: string): void {
    const peerId = this.#producerOwners.get(producerId);
    if (!peerId || this.#closed || !this.#speakers.spoke(peerId)) return;
    this.#broadcast(null, 'speaker.active', { peerId });
    this.#applyLastN();
  }

  #armEmptyTimer(): void {
    clearTimeout(this.#emptyTimer);
    if (this.#closed || this.#peers.size > 0) return;
    this.#emptyTimer = setTimeout(() => {
      if (this.#peers.size === 0) this.close('empty');
    }, this.#options.emptyCloseMs ?? 60_000);
    this.#emptyTimer.unref();
  }

  #recordAttendance(peer: ConferencePeer, event: 'joined' | 'left', reason?: string): void {
    this.#options.attendance.recordAttendance(peer.attendance(event, reason)).catch((err) => {
      this.#log.error(
        { err: errorMessage(err), peerId: peer.id, event },
        'could not record attendance',
      );
    });
  }
}

/**
 * The name others see: the admission's (unit name or the user's), with what the person typed
 * in brackets, so that nobody can pass for another unit.
 */
function displayNameOf(admission: Admission, typed: string | undefined): string {
  const extra = typed?.normalize('NFC').trim();
  return extra && extra !== admission.displayName
    ? `${admission.displayName} (${extra})`
    : admission.displayName;
}
