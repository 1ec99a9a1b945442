// One seat in a conference: the signalling socket, a mediasoup-client Device with a send and
// a receive transport, the local producers and the consumers of everyone else's media. The
// page renders `snapshot` (a new object on every change); actions are methods.
//
// Connection life: socket.io reconnects the socket by itself; every (re)connect takes the
// seat again from scratch (capabilities, join, transports, producers from the same local
// tracks). A `reconnect` event (the room's worker died) forces that. Network changes
// (`online`, Network Information `change`) and a failed ICE connection restart ICE.
import { Device, type types } from 'mediasoup-client';
import { io, type Socket } from 'socket.io-client';
import { Emitter } from './emitter';
import { preferredLayers } from './layout';
import { openDevice } from './local-media';
import {
  type ChatMessage,
  FINAL_HANDSHAKE_ERRORS,
  type HandshakeAuth,
  type JoinAnswer,
  type MediaSource,
  type NewConsumer,
  type PeerInfo,
  SIGNALLING_NAMESPACE,
  type SignallingError,
} from './protocol';
import { removePeer, upsertPeer } from './roster';
import { SignallingChannel, SignallingRequestError } from './signalling';
import {
  CAMERA_CODEC_OPTIONS,
  CAMERA_ENCODINGS,
  MICROPHONE_CODEC_OPTIONS,
  SCREEN_ENCODINGS,
} from './simulcast';

/** Refusals that may pass (too early, room full, SFU restarting): ask again, backing off to the max. */
const RETRY_REFUSED_MS = { first: 2_000, max: 15_000 };
/** A `disconnected` ICE state often heals by itself; restart ICE if it has not by then. */
const ICE_DISCONNECTED_GRACE_MS = 3_000;

export type ConferencePhase =
  /** Opening the socket and taking the seat. */
  | 'connecting'
  | 'joined'
  /** Lost the server or the room moved: taking the seat again by itself. */
  | 'reconnecting'
  /** Refused for now (not open yet, full, SFU unavailable): asking again shortly. */
  | 'waiting'
  /** Refused for good (bad or expired link, no access, no such conference). */
  | 'refused'
  | 'ended'
  | 'left';

export type MediaConnection = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed';

export interface RemoteMedia {
  consumerId: string;
  producerId: string;
  peerId: string;
  kind: types.MediaKind;
  source: MediaSource;
  type: NewConsumer['type'];
  track: MediaStreamTrack;
  /** Paused by its owner (muted) or left out of the last N videos. */
  paused: 'producer' | 'last-n' | null;
  /** The simulcast layer the SFU forwards now (null: none or not simulcast). */
  spatialLayer: number | null;
}

export interface LocalMediaState {
  hasCamera: boolean;
  hasMicrophone: boolean;
  cameraOn: boolean;
  microphoneOn: boolean;
  screenOn: boolean;
  /** The chair muted the microphone; the notice stays until the user unmutes. */
  mutedBy: string | null;
  /** The devices the local tracks come from (null: no track, or the browser does not say). */
  cameraDeviceId: string | null;
  microphoneDeviceId: string | null;
  /** The last device switch that failed (the old device stays in use). */
  deviceError: { kind: LocalDeviceKind; error: string } | null;
}

export type LocalDeviceKind = 'camera' | 'microphone';

/**
 * What `switchDevice` did. `error` is the DOMException's name from getUserMedia (e.g.
 * NotReadableError, OverconstrainedError), `NoLocalTrack` (nothing of that kind to switch) or
 * `Closed` (the seat is over).
 */
export type DeviceSwitchResult = { ok: true; deviceId: string } | { ok: false; error: string };

export interface ConferenceSnapshot {
  phase: ConferencePhase;
  /** Why the server refused the seat or a request failed last (shown, not thrown). */
  refusal: SignallingError | null;
  lastError: SignallingError | null;
  endedReason: string | null;
  conference: JoinAnswer['conference'] | null;
  self: PeerInfo | null;
  /** The others, in join order. */
  peers: PeerInfo[];
  chat: ChatMessage[];
  floor: string | null;
  activeSpeaker: string | null;
  media: RemoteMedia[];
  local: LocalMediaState;
  /** The local camera and microphone in use now (they change when a device is switched). */
  tracks: { camera: MediaStreamTrack | null; microphone: MediaStreamTrack | null };
  connection: MediaConnection;
}

export interface LocalTracks {
  camera?: MediaStreamTrack;
  microphone?: MediaStreamTrack;
  cameraOn: boolean;
  microphoneOn: boolean;
}

export interface ConferenceClientOptions {
  conferenceId: string;
  /** The join link's token (`?t=`); without it the session cookie must admit the user. */
  token?: string;
  /** Watch only: no send transport, no producers (the wall's active-speaker panel). */
  asViewer?: boolean;
  displayName?: string;
  local?: LocalTracks;
  /** socket.io path on this origin. */
  path?: string;
}

export interface InboundStats {
  consumerId: string;
  peerId: string;
  kind: types.MediaKind;
  source: MediaSource;
  packetsReceived: number;
  bytesReceived: number;
  framesDecoded: number;
  frameWidth: number;
  frameHeight: number;
  totalSamplesReceived: number;
  spatialLayer: number | null;
}

/** The network path a transport uses now (its selected ICE candidate pair). */
export interface PathStats {
  direction: 'send' | 'recv';
  remoteAddress: string | null;
  remotePort: number | null;
  protocol: string | null;
  roundTripTimeMs: number | null;
}

export interface OutboundStats {
  source: MediaSource;
  kind: types.MediaKind;
  rid: string | null;
  packetsSent: number;
  bytesSent: number;
  frameWidth: number;
}

interface ConferenceClientEvents extends Record<string, unknown> {
  change: ConferenceSnapshot;
}

interface Seat {
  epoch: number;
  device: Device;
  recv: types.Transport;
  send: types.Transport | null;
}

export class ConferenceClient extends Emitter<ConferenceClientEvents> {
  readonly #options: ConferenceClientOptions;
  readonly #socket: Socket;
  readonly #channel: SignallingChannel;
  #snapshot: ConferenceSnapshot;
  /** Bumped on every (re)join and disconnect: work of an older seat stops where it notices. */
  #epoch = 0;
  #seat: Seat | null = null;
  #seatReady: Promise<Seat | null> = Promise.resolve(null);
  readonly #producers = new Map<MediaSource, types.Producer>();
  readonly #consumers = new Map<string, types.Consumer>();
  readonly #askedLayer = new Map<string, number>();
  /** Pause changes for consumers still being set up (a producer paused right after producing). */
  readonly #pendingPause = new Map<string, RemoteMedia['paused']>();
  #focus: string | null = null;
  #screenTrack: MediaStreamTrack | null = null;
  /** The local camera and microphone, produced again from the same tracks on every seat. */
  readonly #tracks: Partial<Record<LocalDeviceKind, MediaStreamTrack>>;
  /** Tracks this client opened itself (device switches): it stops them when the seat ends. */
  readonly #ownTracks = new Set<MediaStreamTrack>();
  #switching: Promise<unknown> = Promise.resolve();
  #retryTimer?: ReturnType<typeof setTimeout>;
  #refusedRetryMs = RETRY_REFUSED_MS.first;
  #iceTimer?: ReturnType<typeof setTimeout>;
  #closed = false;
  readonly #cleanup: Array<() => void> = [];

  constructor(options: ConferenceClientOptions) {
    super();
    this.#options = options;
    const local = options.local;
    this.#tracks = { camera: local?.camera, microphone: local?.microphone };
    this.#snapshot = {
      phase: 'connecting',
      refusal: null,
      lastError: null,
      endedReason: null,
      conference: null,
      self: null,
      peers: [],
      chat: [],
      floor: null,
      activeSpeaker: null,
      media: [],
      local: {
        hasCamera: Boolean(local?.camera),
        hasMicrophone: Boolean(local?.microphone),
        cameraOn: Boolean(local?.camera && local.cameraOn),
        microphoneOn: Boolean(local?.microphone && local.microphoneOn),
        screenOn: false,
        mutedBy: null,
        cameraDeviceId: deviceIdOf(local?.camera),
        microphoneDeviceId: deviceIdOf(local?.microphone),
        deviceError: null,
      },
      tracks: { camera: local?.camera ?? null, microphone: local?.microphone ?? null },
      connection: 'new',
    };
    const auth: HandshakeAuth = { conferenceId: options.conferenceId };
    if (options.token) auth.token = options.token;
    if (options.asViewer) auth.asViewer = true;
    this.#socket = io(SIGNALLING_NAMESPACE, {
      path: options.path ?? '/socket.io',
      // Its own connection: a wall page's live feed and this seat reconnect independently.
      forceNew: true,
      withCredentials: true,
      autoConnect: false,
      auth: { ...auth },
      reconnectionDelay: 1_000,
      reconnectionDelayMax: 10_000,
    });
    this.#channel = new SignallingChannel(this.#socket);
    this.#listen();
  }

  get snapshot(): ConferenceSnapshot {
    return this.#snapshot;
  }

  /** For useSyncExternalStore. */
  subscribe = (listener: () => void): (() => void) => this.on('change', listener);
  getSnapshot = (): ConferenceSnapshot => this.#snapshot;

  start(): void {
    this.#socket.connect();
    const restart = () => void this.restartIce();
    window.addEventListener('online', restart);
    this.#cleanup.push(() => window.removeEventListener('online', restart));
    const connection = (navigator as Navigator & { connection?: EventTarget }).connection;
    if (connection) {
      connection.addEventListener('change', restart);
      this.#cleanup.push(() => connection.removeEventListener('change', restart));
    }
  }

  /** Leaves the meeting (tells the server, best effort) and releases everything but the local tracks. */
  async leave(): Promise<void> {
    if (this.#closed) return;
    if (this.#socket.connected && this.#seat) {
      await this.#channel.request('leave', {}, { timeoutMs: 2_000 }).catch(() => undefined);
    }
    this.#close({ phase: 'left' });
  }

  // ---- actions ------------------------------------------------------------------------------

  async setMicrophone(on: boolean): Promise<void> {
    await this.#setProducerPaused('microphone', !on);
    this.#update({ local: { ...this.#snapshot.local, microphoneOn: on, mutedBy: null } });
  }

  async setCamera(on: boolean): Promise<void> {
    await this.#setProducerPaused('camera', !on);
    this.#update({ local: { ...this.#snapshot.local, cameraOn: on } });
  }

  /**
   * Takes the camera or microphone from another device, mid-meeting: the producer keeps its id
   * and its paused state (`replaceTrack`), the old track is stopped. If the new device cannot
   * be opened the old one stays in use and `local.deviceError` says why. Switches run in turn.
   */
  switchDevice(kind: LocalDeviceKind, deviceId: string): Promise<DeviceSwitchResult> {
    const result = this.#switching.then(() => this.#switchDevice(kind, deviceId));
    this.#switching = result.catch(() => undefined);
    return result;
  }

  clearDeviceError(): void {
    if (this.#snapshot.local.deviceError === null) return;
    this.#update({ local: { ...this.#snapshot.local, deviceError: null } });
  }

  async startScreenShare(): Promise<void> {
    const seat = this.#seat;
    if (!seat?.send || this.#producers.has('screen')) return;
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const [track] = stream.getVideoTracks();
    if (!track) return;
    track.contentHint = 'detail';
    this.#screenTrack = track;
    track.addEventListener('ended', () => void this.stopScreenShare());
    try {
      await this.#produce(seat, 'screen', track);
      this.#update({ local: { ...this.#snapshot.local, screenOn: true } });
    } catch (error) {
      track.stop();
      this.#screenTrack = null;
      this.#reportError(error);
    }
  }

  async stopScreenShare(): Promise<void> {
    const producer = this.#producers.get('screen');
    this.#producers.delete('screen');
    this.#screenTrack?.stop();
    this.#screenTrack = null;
    if (producer) {
      producer.close();
      await this.#try(() => this.#channel.request('closeProducer', { producerId: producer.id }));
    }
    this.#update({ local: { ...this.#snapshot.local, screenOn: false } });
  }

  async raiseHand(raised: boolean): Promise<void> {
    await this.#try(() => this.#channel.request('raiseHand', { raised }));
  }

  async sendChat(text: string): Promise<boolean> {
    const trimmed = text.trim();
    if (trimmed === '') return false;
    const sent = await this.#try(() => this.#channel.request('chat', { text: trimmed }));
    if (sent) this.#addChat(sent);
    return sent !== undefined;
  }

  async muteAll(): Promise<number | undefined> {
    return (await this.#try(() => this.#channel.request('muteAll', {})))?.muted;
  }

  async muteOne(peerId: string): Promise<void> {
    await this.#try(() => this.#channel.request('muteOne', { peerId }));
  }

  async giveFloor(peerId: string | null): Promise<void> {
    await this.#try(() => this.#channel.request('giveFloor', { peerId }));
  }

  /** Which remote peer fills the focus tile: its camera asks for the top layer, others for the lowest. */
  setFocus(peerId: string | null): void {
    this.#focus = peerId;
    this.#applyLayers();
  }

  clearError(): void {
    this.#update({ lastError: null });
  }

  /** New ICE parameters from the server for both transports (after a network change). */
  async restartIce(): Promise<void> {
    const seat = this.#seat;
    if (!seat || !this.#socket.connected) return;
    for (const transport of [seat.recv, seat.send]) {
      if (!transport || transport.closed) continue;
      try {
        const { iceParameters } = await this.#channel.request('restartIce', {
          transportId: transport.id,
        });
        if (seat.epoch === this.#epoch) await transport.restartIce({ iceParameters });
      } catch (error) {
        this.#reportError(error);
      }
    }
  }

  /** The browser's own RTP statistics, per consumer and per producer layer (tests, diagnostics). */
  async stats(): Promise<{
    inbound: InboundStats[];
    outbound: OutboundStats[];
    paths: PathStats[];
  }> {
    const inbound: InboundStats[] = [];
    for (const item of this.#snapshot.media) {
      const consumer = this.#consumers.get(item.consumerId);
      if (!consumer || consumer.closed) continue;
      const report = await consumer.getStats();
      for (const entry of report.values()) {
        if (entry.type !== 'inbound-rtp') continue;
        inbound.push({
          consumerId: item.consumerId,
          peerId: item.peerId,
          kind: item.kind,
          source: item.source,
          packetsReceived: entry.packetsReceived ?? 0,
          bytesReceived: entry.bytesReceived ?? 0,
          framesDecoded: entry.framesDecoded ?? 0,
          frameWidth: entry.frameWidth ?? 0,
          frameHeight: entry.frameHeight ?? 0,
          totalSamplesReceived: entry.totalSamplesReceived ?? 0,
          spatialLayer: item.spatialLayer,
        });
      }
    }
    const outbound: OutboundStats[] = [];
    for (const [source, producer] of this.#producers) {
      if (producer.closed) continue;
      const report = await producer.getStats();
      for (const entry of report.values()) {
        if (entry.type !== 'outbound-rtp') continue;
        outbound.push({
          source,
          kind: producer.kind,
          rid: entry.rid ?? null,
          packetsSent: entry.packetsSent ?? 0,
          bytesSent: entry.bytesSent ?? 0,
          frameWidth: entry.frameWidth ?? 0,
        });
      }
    }
    const paths: PathStats[] = [];
    for (const transport of [this.#seat?.recv, this.#seat?.send]) {
      if (!transport || transport.closed) continue;
      paths.push(pathOf(transport.direction, await transport.getStats()));
    }
    return { inbound, outbound, paths };
  }

  /** The server's view of this endpoint (bitrates, loss, RTT, layer). */
  async serverStats(): Promise<unknown> {
    return this.#channel.request('getStats', {});
  }

  // ---- connection ---------------------------------------------------------------------------

  #listen(): void {
    const socket = this.#socket;
    socket.on('connect', () => void this.#join());
    socket.on('disconnect', (reason: string) => {
      this.#dropSeat();
      if (this.#closed) return;
      this.#update({ phase: 'reconnecting', connection: 'new' });
      // A server that closes the socket itself (restart) is not retried by socket.io.
      if (reason === 'io server disconnect') this.#retryIn(1_000);
    });
    socket.on('connect_error', (error: Error & { data?: unknown }) => {
      if (this.#closed) return;
      const refusal = refusalOf(error);
      if (!refusal) {
        // No answer at all: socket.io keeps trying with back-off.
        this.#update({ phase: this.#snapshot.self ? 'reconnecting' : 'connecting' });
        return;
      }
      if (FINAL_HANDSHAKE_ERRORS.has(refusal.code)) {
        this.#close({ phase: 'refused', refusal });
        return;
      }
      // A refusing middleware stops socket.io's own retries: ask again later.
      this.#update({ phase: 'waiting', refusal });
      this.#retryRefused();
    });

    const channel = this.#channel;
    channel.on('consumer.new', (event) => void this.#consume(event));
    channel.on('consumer.closed', ({ consumerId }) => this.#removeConsumer(consumerId));
    channel.on('consumer.paused', ({ consumerId, reason }) =>
      this.#setConsumerPaused(consumerId, reason),
    );
    channel.on('consumer.resumed', ({ consumerId }) => this.#setConsumerPaused(consumerId, null));
    channel.on('consumer.layers', ({ consumerId, spatialLayer }) =>
      this.#patchMedia(consumerId, { spatialLayer }),
    );
    channel.on('peer.joined', (peer) => this.#putPeer(peer));
    channel.on('peer.updated', (peer) => this.#putPeer(peer));
    channel.on('peer.left', ({ peerId }) =>
      this.#update({ peers: removePeer(this.#snapshot.peers, peerId) }),
    );
    channel.on('speaker.active', ({ peerId }) => this.#update({ activeSpeaker: peerId }));
    channel.on('floor', ({ peerId }) => this.#update({ floor: peerId }));
    channel.on('chat', (message) => this.#addChat(message));
    channel.on('muted.by', ({ by, producerId }) => {
      const microphone = this.#producers.get('microphone');
      if (!microphone || microphone.id !== producerId) return;
      // Already paused on the server: only stop sending locally.
      microphone.pause();
      const chair = this.#snapshot.peers.find((p) => p.peerId === by)?.displayName ?? by;
      this.#update({ local: { ...this.#snapshot.local, microphoneOn: false, mutedBy: chair } });
    });
    channel.on('reconnect', () => {
      // The room was re-created elsewhere: a fresh handshake takes the new seat.
      this.#dropSeat();
      this.#update({ phase: 'reconnecting' });
      socket.disconnect();
      this.#retryIn(0);
    });
    channel.on('ended', ({ reason }) => this.#close({ phase: 'ended', endedReason: reason }));
  }

  #retryRefused(): void {
    this.#retryIn(this.#refusedRetryMs);
    this.#refusedRetryMs = Math.min(RETRY_REFUSED_MS.max, this.#refusedRetryMs * 2);
  }

  #retryIn(ms: number): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (!this.#closed && !this.#socket.connected) this.#socket.connect();
    }, ms);
  }

  async #join(): Promise<void> {
    const epoch = ++this.#epoch;
    let resolveSeat: (seat: Seat | null) => void = () => undefined;
    this.#seatReady = new Promise((resolve) => {
      resolveSeat = resolve;
    });
    try {
      const seat = await this.#takeSeat(epoch);
      resolveSeat(seat);
    } catch (error) {
      resolveSeat(null);
      if (epoch !== this.#epoch || this.#closed) return;
      const refusal = asSignallingError(error);
      if (FINAL_HANDSHAKE_ERRORS.has(refusal.code) || refusal.code === 'FORBIDDEN') {
        this.#close({ phase: 'refused', refusal });
        return;
      }
      // Try the whole seat again with a fresh connection.
      this.#socket.disconnect();
      this.#update({ phase: 'waiting', refusal });
      this.#retryRefused();
    }
  }

  async #takeSeat(epoch: number): Promise<Seat | null> {
    const channel = this.#channel;
    const routerRtpCapabilities = await channel.request('getRouterRtpCapabilities', {});
    const device = new Device();
    await device.load({ routerRtpCapabilities });
    if (epoch !== this.#epoch) return null;

    const answer = await channel.request('join', {
      rtpCapabilities: device.rtpCapabilities,
      ...(this.#options.displayName ? { displayName: this.#options.displayName } : {}),
    });
    if (epoch !== this.#epoch) return null;
    // The room as of the join; events that follow (while the transports are made) apply on top.
    this.#update({
      refusal: null,
      conference: answer.conference,
      self: answer.self,
      peers: answer.peers.filter((p) => p.peerId !== answer.self.peerId),
      chat: answer.chat,
      floor: answer.floor,
      activeSpeaker: answer.activeSpeaker,
    });

    const recv = device.createRecvTransport(
      await channel.request('createTransport', { direction: 'recv' }),
    );
    this.#wireTransport(recv, epoch);
    let send: types.Transport | null = null;
    if (!this.#options.asViewer && answer.self.role !== 'viewer') {
      send = device.createSendTransport(
        await channel.request('createTransport', { direction: 'send' }),
      );
      this.#wireTransport(send, epoch);
      const transport = send;
      send.on('produce', ({ kind, rtpParameters, appData }, done, fail) => {
        channel
          .request('produce', {
            transportId: transport.id,
            kind,
            rtpParameters,
            source: appData.source as MediaSource,
          })
          .then(({ producerId }) => done({ id: producerId }), fail);
      });
    }
    if (epoch !== this.#epoch) {
      recv.close();
      send?.close();
      return null;
    }
    const seat: Seat = { epoch, device, recv, send };
    this.#seat = seat;
    this.#refusedRetryMs = RETRY_REFUSED_MS.first;
    this.#update({ phase: 'joined', connection: 'connecting' });
    await this.#produceLocal(seat);
    return seat;
  }

  #wireTransport(transport: types.Transport, epoch: number): void {
    transport.on('connect', ({ dtlsParameters }, done, fail) => {
      this.#channel
        .request('connectTransport', { transportId: transport.id, dtlsParameters })
        .then(() => done(), fail);
    });
    transport.on('connectionstatechange', (state) => {
      if (epoch !== this.#epoch) return;
      this.#updateConnection();
      clearTimeout(this.#iceTimer);
      if (state === 'failed') void this.restartIce();
      else if (state === 'disconnected') {
        this.#iceTimer = setTimeout(() => void this.restartIce(), ICE_DISCONNECTED_GRACE_MS);
      }
    });
  }

  /** The worse of the two transports' states. */
  #updateConnection(): void {
    const seat = this.#seat;
    if (!seat) return;
    const order: MediaConnection[] = ['failed', 'disconnected', 'connecting', 'new', 'connected'];
    const states = [seat.recv, seat.send]
      .filter((t): t is types.Transport => t !== null)
      .map(
        (t) => (t.connectionState === 'closed' ? 'failed' : t.connectionState) as MediaConnection,
      );
    // A send transport that has produced nothing yet stays 'new': ignore it then.
    const relevant = states.filter((s, i) => !(i === 1 && s === 'new'));
    const worst = order.find((s) => relevant.includes(s)) ?? 'new';
    if (worst !== this.#snapshot.connection) this.#update({ connection: worst });
  }

  async #produceLocal(seat: Seat): Promise<void> {
    if (!seat.send) return;
    const local = this.#tracks;
    const state = this.#snapshot.local;
    if (local.microphone) {
      await this.#produce(seat, 'microphone', local.microphone, !state.microphoneOn);
    }
    if (local.camera) await this.#produce(seat, 'camera', local.camera, !state.cameraOn);
    if (this.#screenTrack && this.#screenTrack.readyState === 'live') {
      await this.#produce(seat, 'screen', this.#screenTrack);
    } else if (state.screenOn) {
      this.#update({ local: { ...this.#snapshot.local, screenOn: false } });
    }
  }

  async #produce(
    seat: Seat,
    source: MediaSource,
    track: MediaStreamTrack,
    paused = false,
  ): Promise<void> {
    if (!seat.send) return;
    const options: types.ProducerOptions = {
      track,
      // The same tracks are produced again after every reconnect.
      stopTracks: false,
      appData: { source },
    };
    if (source === 'camera') {
      options.encodings = CAMERA_ENCODINGS;
      options.codecOptions = CAMERA_CODEC_OPTIONS;
    } else if (source === 'screen') {
      options.encodings = SCREEN_ENCODINGS;
    } else {
      options.codecOptions = MICROPHONE_CODEC_OPTIONS;
    }
    const producer = await seat.send.produce(options);
    if (seat.epoch !== this.#epoch) {
      producer.close();
      return;
    }
    this.#producers.set(source, producer);
    if (paused) {
      producer.pause();
      await this.#try(() => this.#channel.request('pauseProducer', { producerId: producer.id }));
    }
  }

  async #switchDevice(kind: LocalDeviceKind, deviceId: string): Promise<DeviceSwitchResult> {
    const old = this.#tracks[kind];
    if (this.#closed) return { ok: false, error: 'Closed' };
    if (!old) return this.#switchFailed(kind, 'NoLocalTrack');
    if (old.readyState === 'live' && deviceIdOf(old) === deviceId) return { ok: true, deviceId };
    const track = await openDevice(kind, deviceId);
    if (typeof track === 'string') return this.#switchFailed(kind, track);
    if (this.#closed) {
      track.stop();
      return { ok: false, error: 'Closed' };
    }
    const producer = this.#producers.get(kind);
    if (producer && !producer.closed) {
      try {
        // Keeps the producer (its id, what the others consume) and its paused state.
        await producer.replaceTrack({ track });
      } catch (error) {
        // A producer closed meanwhile (the seat was lost): the next seat produces the new track.
        if (!producer.closed) {
          track.stop();
          return this.#switchFailed(kind, asSignallingError(error).code);
        }
      }
    }
    this.#tracks[kind] = track;
    this.#ownTracks.add(track);
    old.stop();
    this.#ownTracks.delete(old);
    const local = { ...this.#snapshot.local, deviceError: null };
    if (kind === 'camera') local.cameraDeviceId = deviceIdOf(track);
    else local.microphoneDeviceId = deviceIdOf(track);
    this.#update({ local, tracks: { ...this.#snapshot.tracks, [kind]: track } });
    // A seat taken while the device was opening produced the old track: move it over as well.
    const current = this.#producers.get(kind);
    if (current && current !== producer && !current.closed && current.track !== track) {
      await current.replaceTrack({ track }).catch((error) => this.#reportError(error));
    }
    return { ok: true, deviceId: deviceIdOf(track) ?? deviceId };
  }

  #switchFailed(kind: LocalDeviceKind, error: string): DeviceSwitchResult {
    this.#update({ local: { ...this.#snapshot.local, deviceError: { kind, error } } });
    return { ok: false, error };
  }

  async #setProducerPaused(source: MediaSource, paused: boolean): Promise<void> {
    const producer = this.#producers.get(source);
    if (!producer || producer.closed) return;
    if (paused) producer.pause();
    else producer.resume();
    await this.#try(() =>
      this.#channel.request(paused ? 'pauseProducer' : 'resumeProducer', {
        producerId: producer.id,
      }),
    );
  }

  async #consume(event: NewConsumer): Promise<void> {
    // consumer.new can arrive while the receive transport is still being made.
    const seat = await this.#seatReady;
    if (!seat || seat.epoch !== this.#epoch) return;
    try {
      const consumer = await seat.recv.consume({
        id: event.consumerId,
        producerId: event.producerId,
        kind: event.kind,
        rtpParameters: event.rtpParameters,
        appData: { peerId: event.peerId, source: event.source },
      });
      if (seat.epoch !== this.#epoch) {
        consumer.close();
        return;
      }
      this.#consumers.set(consumer.id, consumer);
      // A pause or resume that came while consuming is newer than consumer.new's state.
      const early = this.#pendingPause.get(consumer.id);
      this.#pendingPause.delete(consumer.id);
      const media: RemoteMedia = {
        consumerId: consumer.id,
        producerId: event.producerId,
        peerId: event.peerId,
        kind: event.kind,
        source: event.source,
        type: event.type,
        track: consumer.track,
        paused: early !== undefined ? early : event.producerPaused ? 'producer' : null,
        spatialLayer: null,
      };
      this.#update({ media: [...this.#snapshot.media, media] });
      await this.#channel.request('resumeConsumer', { consumerId: consumer.id });
      this.#applyLayers();
    } catch (error) {
      this.#reportError(error);
    }
  }

  #setConsumerPaused(consumerId: string, paused: RemoteMedia['paused']): void {
    if (this.#snapshot.media.some((m) => m.consumerId === consumerId)) {
      this.#patchMedia(consumerId, { paused });
    } else {
      this.#pendingPause.set(consumerId, paused);
    }
  }

  #removeConsumer(consumerId: string): void {
    this.#pendingPause.delete(consumerId);
    this.#consumers.get(consumerId)?.close();
    this.#consumers.delete(consumerId);
    this.#askedLayer.delete(consumerId);
    this.#update({ media: this.#snapshot.media.filter((m) => m.consumerId !== consumerId) });
  }

  #applyLayers(): void {
    if (!this.#seat) return;
    for (const [consumerId, spatialLayer] of preferredLayers(this.#snapshot.media, this.#focus)) {
      if (this.#askedLayer.get(consumerId) === spatialLayer) continue;
      this.#askedLayer.set(consumerId, spatialLayer);
      void this.#try(() =>
        this.#channel.request('setPreferredLayers', { consumerId, spatialLayer }),
      );
    }
  }

  /** Forgets the current seat (its transports die with the socket or the room). */
  #dropSeat(): void {
    this.#epoch += 1;
    clearTimeout(this.#iceTimer);
    for (const consumer of this.#consumers.values()) consumer.close();
    this.#consumers.clear();
    this.#askedLayer.clear();
    this.#pendingPause.clear();
    for (const producer of this.#producers.values()) producer.close();
    this.#producers.clear();
    this.#seat?.recv.close();
    this.#seat?.send?.close();
    this.#seat = null;
    this.#seatReady = Promise.resolve(null);
    if (this.#snapshot.media.length > 0) this.#update({ media: [] });
  }

  #close(patch: Partial<ConferenceSnapshot>): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    for (const undo of this.#cleanup.splice(0)) undo();
    this.#dropSeat();
    this.#screenTrack?.stop();
    this.#screenTrack = null;
    for (const track of this.#ownTracks) track.stop();
    this.#ownTracks.clear();
    this.#socket.disconnect();
    this.#update({ ...patch, connection: 'new', activeSpeaker: null });
  }

  // ---- state --------------------------------------------------------------------------------

  #putPeer(peer: PeerInfo): void {
    if (peer.peerId === this.#snapshot.self?.peerId) {
      this.#update({ self: peer });
      return;
    }
    this.#update({ peers: upsertPeer(this.#snapshot.peers, peer) });
  }

  #addChat(message: ChatMessage): void {
    if (this.#snapshot.chat.some((m) => m.id === message.id)) return;
    this.#update({ chat: [...this.#snapshot.chat, message] });
  }

  #patchMedia(consumerId: string, patch: Partial<RemoteMedia>): void {
    const media = this.#snapshot.media.map((m) =>
      m.consumerId === consumerId ? { ...m, ...patch } : m,
    );
    this.#update({ media });
  }

  async #try<T>(action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (error) {
      this.#reportError(error);
      return undefined;
    }
  }

  #reportError(error: unknown): void {
    if (this.#closed) return;
    this.#update({ lastError: asSignallingError(error) });
  }

  #update(patch: Partial<ConferenceSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...patch };
    this.emit('change', this.#snapshot);
  }
}

function pathOf(direction: 'send' | 'recv', report: RTCStatsReport): PathStats {
  const path: PathStats = {
    direction,
    remoteAddress: null,
    remotePort: null,
    protocol: null,
    roundTripTimeMs: null,
  };
  let transportPair: string | undefined;
  for (const entry of report.values()) {
    if (entry.type === 'transport') transportPair = entry.selectedCandidatePairId;
  }
  const pair = transportPair ? report.get(transportPair) : undefined;
  if (!pair) return path;
  const remote = report.get(pair.remoteCandidateId);
  path.remoteAddress = remote?.address ?? null;
  path.remotePort = remote?.port ?? null;
  path.protocol = remote?.protocol ?? null;
  path.roundTripTimeMs =
    typeof pair.currentRoundTripTime === 'number' ? pair.currentRoundTripTime * 1000 : null;
  return path;
}

function deviceIdOf(track: MediaStreamTrack | undefined): string | null {
  return track?.getSettings().deviceId || null;
}

/** The SignallingError a refusing server attached to `connect_error`, if any. */
export function refusalOf(error: { data?: unknown }): SignallingError | null {
  const data = error.data as Partial<SignallingError> | undefined;
  if (typeof data?.code !== 'string') return null;
  return { code: data.code, message: typeof data.message === 'string' ? data.message : data.code };
}

export function asSignallingError(error: unknown): SignallingError {
  if (error instanceof SignallingRequestError) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: error.name || 'ERROR', message: error.message };
  return { code: 'ERROR', message: String(error) };
}
