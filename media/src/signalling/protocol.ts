// The conference signalling protocol on socket.io namespace `/conference`. The app's
// conference page (ioc-web/app/src/conference) speaks it; keep both sides in step and
// document changes in media/README.md ("Signalling").
//
// Handshake: `io('/conference', { auth: { conferenceId, token? , asViewer? } })`, plus the
// session cookie for signed-in users. A refused handshake fails with `connect_error` whose
// `data` is a SignallingError (UNAUTHENTICATED, JOIN_TOKEN_INVALID, JOIN_TOKEN_EXPIRED,
// CONFERENCE_FORBIDDEN, CONFERENCE_NOT_FOUND, CONFERENCE_CANCELLED, CONFERENCE_NOT_OPEN,
// CONFERENCE_FULL, MEDIA_UNAVAILABLE).
//
// Requests: `socket.emit(name, payload, ack)`; every ack is a Reply. Payloads are validated;
// an invalid one answers `INVALID_REQUEST` naming the field. Ids that are not the caller's
// own (another peer's transport/producer/consumer, another room's) answer `NOT_FOUND`, the
// same as unknown ids. Role checks answer `FORBIDDEN`. Other codes: `NOT_JOINED` (a request
// before `join`, or after the seat was lost), `ALREADY_JOINED`, `TRANSPORT_EXISTS` (one send
// and one receive transport per seat), `PRODUCER_EXISTS` (one producer per source),
// `SCREEN_BUSY`, `RATE_LIMITED` (chat: 10 messages in 10 s), `CONFERENCE_FULL`,
// `JOIN_TOKEN_EXPIRED` (join after the admission ran out), `INVALID_STATE` (e.g. connecting a
// transport twice), `UNKNOWN_REQUEST`, `MEDIA_UNAVAILABLE`, `INTERNAL_ERROR` (logged).
// A request without an ack callback is ignored (and logged).
import type { ConferenceEndpoint } from '@ioc/core';
import type {
  DtlsParameters,
  IceCandidate,
  IceParameters,
  MediaKind,
  RtpCapabilities,
  RtpParameters,
} from 'mediasoup/node/lib/types.js';
import type { ConferenceRole } from '../conferences/conference.js';

export const SIGNALLING_NAMESPACE = '/conference';

export interface SignallingError {
  code: string;
  message: string;
}

export type Reply<T> = { ok: true; data: T } | { ok: false; error: SignallingError };

export type MediaSource = 'camera' | 'microphone' | 'screen';

export interface PeerInfo {
  peerId: string;
  displayName: string;
  unit: string | null;
  role: ConferenceRole;
  handRaised: boolean;
  /** Producers the peer sends now, by source, with whether each is paused (muted). */
  producers: Array<{ producerId: string; source: MediaSource; kind: MediaKind; paused: boolean }>;
}

export interface ChatMessage {
  id: string;
  peerId: string;
  displayName: string;
  /** 1..1000 characters, trimmed. */
  text: string;
  at: string;
}

export interface TransportOptions {
  id: string;
  iceParameters: IceParameters;
  iceCandidates: IceCandidate[];
  dtlsParameters: DtlsParameters;
}

/** Client → server requests: name → [payload, reply data]. */
export interface SignallingRequests {
  /** First call: what the client's mediasoup-client Device loads. */
  getRouterRtpCapabilities: [Record<string, never>, RtpCapabilities];
  /**
   * Takes a seat. Consumers for the others' media follow as `consumer.new` events once a
   * receive transport exists (after the reply to `createTransport` `recv`). `displayName`
   * does not replace the admission's name (a unit's name or the user's): it is shown after
   * it in brackets, e.g. "UBND xã Hòa Vang (Anh Ba)".
   */
  join: [
    { displayName?: string; rtpCapabilities: RtpCapabilities },
    {
      self: PeerInfo;
      peers: PeerInfo[];
      chat: ChatMessage[];
      floor: string | null;
      activeSpeaker: string | null;
      conference: { id: string; title: string; endsAt: string };
    },
  ];
  createTransport: [{ direction: 'send' | 'recv' }, TransportOptions];
  connectTransport: [
    { transportId: string; dtlsParameters: DtlsParameters },
    Record<string, never>,
  ];
  /** After a network change: new ICE parameters for the client's transport.restartIce(). */
  restartIce: [{ transportId: string }, { iceParameters: IceParameters }];
  /** Viewers may not produce; screen share is one per room at a time (SCREEN_BUSY). */
  produce: [
    { transportId: string; kind: MediaKind; rtpParameters: RtpParameters; source: MediaSource },
    { producerId: string },
  ];
  closeProducer: [{ producerId: string }, Record<string, never>];
  /** Self mute / unmute (a chair's mute pauses the producer; only its owner resumes it). */
  pauseProducer: [{ producerId: string }, Record<string, never>];
  resumeProducer: [{ producerId: string }, Record<string, never>];
  /**
   * Consumers start paused; the client resumes each once its local consumer exists. A camera
   * consumer outside the last N stays paused: the reply is ok and a `consumer.paused`
   * `last-n` event follows; it flows with `consumer.resumed` when it enters the last N.
   */
  resumeConsumer: [{ consumerId: string }, Record<string, never>];
  /** Thumbnails ask for layer 0, the focused tile for 2 (capped by what the link carries). */
  setPreferredLayers: [
    { consumerId: string; spatialLayer: number; temporalLayer?: number },
    Record<string, never>,
  ];
  raiseHand: [{ raised: boolean }, Record<string, never>];
  /** The sender gets its message in the reply; the others get a `chat` event. */
  chat: [{ text: string }, ChatMessage];
  /** Chair only. Pauses every microphone but the chair's. */
  muteAll: [Record<string, never>, { muted: number }];
  /** Chair only. */
  muteOne: [{ peerId: string }, Record<string, never>];
  /** Chair only: gives (or with null takes back) the floor; the peer's hand goes down. */
  giveFloor: [{ peerId: string | null }, Record<string, never>];
  /** The server-side stats of the caller's own transports (tests and the device check). */
  getStats: [Record<string, never>, ConferenceEndpoint];
  leave: [Record<string, never>, Record<string, never>];
}

export interface NewConsumer {
  consumerId: string;
  producerId: string;
  peerId: string;
  kind: MediaKind;
  source: MediaSource;
  rtpParameters: RtpParameters;
  /** `simulcast` for camera video: the client may then ask for layers. */
  type: 'simple' | 'simulcast' | 'svc' | 'pipe';
  producerPaused: boolean;
}

/** Server → client events. */
export interface SignallingEvents {
  'consumer.new': NewConsumer;
  'consumer.closed': { consumerId: string };
  /**
   * `producer` when its owner (or the chair) paused it, `last-n` when it is outside the
   * receiver's last N (also sent right after `consumer.new` for such a consumer).
   */
  'consumer.paused': { consumerId: string; reason: 'producer' | 'last-n' };
  'consumer.resumed': { consumerId: string };
  'consumer.layers': {
    consumerId: string;
    spatialLayer: number | null;
    temporalLayer: number | null;
  };
  'peer.joined': PeerInfo;
  'peer.left': { peerId: string };
  'peer.updated': PeerInfo;
  'speaker.active': { peerId: string | null };
  chat: ChatMessage;
  floor: { peerId: string | null };
  /**
   * The chair muted the caller's microphone (its producer is paused server-side; only the
   * caller's own `resumeProducer` resumes it). `by` is the chair's display name.
   */
  'muted.by': { by: string; producerId: string };
  /**
   * The seat is gone: `worker-died` (the room's mediasoup worker died) or `moved` (the server
   * is stopping). Join again, on this socket or a new one; the room is re-created on a live
   * worker. Every transport, producer and consumer of the old seat is closed.
   */
  reconnect: { reason: 'worker-died' | 'moved' };
  /** The conference is over for the caller; the server disconnects the socket right after. */
  ended: { reason: 'conference-ended' | 'expired' | 'cancelled' };
}
