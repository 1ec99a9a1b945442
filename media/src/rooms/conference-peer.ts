import { randomUUID } from 'node:crypto';
import type { types } from 'mediasoup';
import type { Admission, AttendanceEntry } from '../conferences/conference.js';
import type { MediaSource, PeerInfo, SignallingEvents } from '../signalling/protocol.js';
import type { RoomRouter } from './room-routers.js';

/** How the room reaches a peer's client (its socket, in the signalling). */
export interface PeerChannel {
  send<K extends keyof SignallingEvents>(event: K, data: SignallingEvents[K]): void;
  /** Ends the connection for good (after `ended`). */
  disconnect(): void;
}

export interface PeerTransport {
  transport: types.WebRtcTransport;
  direction: 'send' | 'recv';
}

export interface PeerProducer {
  producer: types.Producer;
  source: MediaSource;
  /** Peer id of the chair who muted it; cleared when its owner resumes it. */
  mutedBy: string | null;
}

export interface PeerConsumer {
  consumer: types.Consumer;
  /** The peer whose producer it carries. */
  producerPeerId: string;
  source: MediaSource;
  /** The client asked to resume it (consumers start paused until the client is ready). */
  resumedByClient: boolean;
  /** Last-N lets it flow (always true for audio and screen share). */
  inLastN: boolean;
}

/**
 * One seat in a conference room: who it is (the admission), the router its transports live
 * on, and the transports, producers and consumers it owns. Only these ids are its to touch.
 */
export class ConferencePeer {
  readonly id = randomUUID();
  readonly joinedAt = new Date();
  readonly transports = new Map<string, PeerTransport>();
  readonly producers = new Map<string, PeerProducer>();
  readonly consumers = new Map<string, PeerConsumer>();
  /** Producers it consumes or is about to (a producer and a new receive transport can race). */
  readonly consumedProducers = new Set<string>();
  /** When its recent chat messages were sent (the room's flood limit). */
  readonly chatTimes: number[] = [];
  handRaised = false;
  #closed = false;

  constructor(
    readonly admission: Admission,
    readonly displayName: string,
    readonly rtpCapabilities: types.RtpCapabilities,
    readonly router: RoomRouter,
    readonly channel: PeerChannel,
  ) {}

  get role(): Admission['role'] {
    return this.admission.role;
  }

  get closed(): boolean {
    return this.#closed;
  }

  transportOf(direction: 'send' | 'recv'): types.WebRtcTransport | undefined {
    for (const entry of this.transports.values()) {
      if (entry.direction === direction) return entry.transport;
    }
    return undefined;
  }

  producerOf(source: MediaSource): PeerProducer | undefined {
    for (const entry of this.producers.values()) {
      if (entry.source === source) return entry;
    }
    return undefined;
  }

  info(): PeerInfo {
    return {
      peerId: this.id,
      displayName: this.displayName,
      unit: this.admission.unit,
      role: this.role,
      handRaised: this.handRaised,
      producers: [...this.producers.values()].map(({ producer, source }) => ({
        producerId: producer.id,
        source,
        kind: producer.kind,
        paused: producer.paused,
      })),
    };
  }

  send<K extends keyof SignallingEvents>(event: K, data: SignallingEvents[K]): void {
    if (!this.#closed) this.channel.send(event, data);
  }

  attendance(event: AttendanceEntry['event'], reason?: string): AttendanceEntry {
    const { admission } = this;
    return {
      conferenceId: admission.conference.id,
      peerId: this.id,
      unit: admission.unit,
      userId: admission.userId,
      displayName: this.displayName,
      role: this.role,
      event,
      at: new Date().toISOString(),
      ...(reason ? { reason } : {}),
    };
  }

  /** Closes its transports, and with them its producers and consumers. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { transport } of this.transports.values()) transport.close();
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
    this.consumedProducers.clear();
  }
}
