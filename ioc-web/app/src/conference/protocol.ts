// The conference signalling protocol, as the browser sees it. The source of truth is
// media/src/signalling/protocol.ts; the app is bundled for the browser and cannot import
// @ioc/media (it pulls in mediasoup's Node worker), so the types are mirrored here with
// mediasoup-client's equivalents of mediasoup's RTP types. Keep the two files in step.
import type { types } from 'mediasoup-client';

export const SIGNALLING_NAMESPACE = '/conference';

export type ConferenceRole = 'chair' | 'speaker' | 'participant' | 'viewer';

export interface SignallingError {
  code: string;
  message: string;
}

export type Reply<T> = { ok: true; data: T } | { ok: false; error: SignallingError };

export type MediaSource = 'camera' | 'microphone' | 'screen';

/** What the handshake carries (`io('/conference', { auth })`), plus the session cookie. */
export interface HandshakeAuth {
  conferenceId: string;
  /** A unit's join-link token (`?t=` of the link). */
  token?: string;
  /** A signed-in user who only watches (the wall's active-speaker panel). */
  asViewer?: boolean;
}

export interface PeerProducer {
  producerId: string;
  source: MediaSource;
  kind: types.MediaKind;
  paused: boolean;
}

export interface PeerInfo {
  peerId: string;
  displayName: string;
  unit: string | null;
  role: ConferenceRole;
  handRaised: boolean;
  /** Producers the peer sends now, by source, with whether each is paused (muted). */
  producers: PeerProducer[];
}

export interface ChatMessage {
  id: string;
  peerId: string;
  displayName: string;
  text: string;
  at: string;
}

export interface TransportOptions {
  id: string;
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
}

export interface JoinAnswer {
  self: PeerInfo;
  peers: PeerInfo[];
  chat: ChatMessage[];
  floor: string | null;
  activeSpeaker: string | null;
  conference: { id: string; title: string; endsAt: string };
}

/** The server-side view of one endpoint (core's ConferenceEndpoint), as `getStats` answers. */
export interface EndpointStats {
  connected: boolean;
  sendBitrate: number;
  recvBitrate: number;
  packetLoss: number;
  rttMs: number | null;
  recvLayer: number | null;
  [field: string]: unknown;
}

type Empty = Record<string, never>;

/** Client → server requests: name → [payload, reply data]. */
export interface SignallingRequests {
  getRouterRtpCapabilities: [Empty, types.RtpCapabilities];
  join: [{ displayName?: string; rtpCapabilities: types.RtpCapabilities }, JoinAnswer];
  createTransport: [{ direction: 'send' | 'recv' }, TransportOptions];
  connectTransport: [{ transportId: string; dtlsParameters: types.DtlsParameters }, Empty];
  restartIce: [{ transportId: string }, { iceParameters: types.IceParameters }];
  produce: [
    {
      transportId: string;
      kind: types.MediaKind;
      rtpParameters: types.RtpParameters;
      source: MediaSource;
    },
    { producerId: string },
  ];
  closeProducer: [{ producerId: string }, Empty];
  pauseProducer: [{ producerId: string }, Empty];
  resumeProducer: [{ producerId: string }, Empty];
  resumeConsumer: [{ consumerId: string }, Empty];
  setPreferredLayers: [{ consumerId: string; spatialLayer: number; temporalLayer?: number }, Empty];
  raiseHand: [{ raised: boolean }, Empty];
  chat: [{ text: string }, ChatMessage];
  muteAll: [Empty, { muted: number }];
  muteOne: [{ peerId: string }, Empty];
  giveFloor: [{ peerId: string | null }, Empty];
  getStats: [Empty, EndpointStats];
  leave: [Empty, Empty];
}

export interface NewConsumer {
  consumerId: string;
  producerId: string;
  peerId: string;
  kind: types.MediaKind;
  source: MediaSource;
  rtpParameters: types.RtpParameters;
  type: 'simple' | 'simulcast' | 'svc' | 'pipe';
  producerPaused: boolean;
}

/** Server → client events. */
export interface SignallingEvents {
  'consumer.new': NewConsumer;
  'consumer.closed': { consumerId: string };
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
  'muted.by': { by: string; producerId: string };
  reconnect: { reason: 'worker-died' | 'moved' };
  ended: { reason: 'conference-ended' | 'expired' | 'cancelled' };
}

/** Refusals of the handshake after which trying again cannot help. */
export const FINAL_HANDSHAKE_ERRORS: ReadonlySet<string> = new Set([
  'INVALID_REQUEST',
  'UNAUTHENTICATED',
  'JOIN_TOKEN_INVALID',
  'JOIN_TOKEN_EXPIRED',
  'CONFERENCE_FORBIDDEN',
  'CONFERENCE_NOT_FOUND',
  'CONFERENCE_CANCELLED',
]);
