import type { ConferenceEndpoint } from '@ioc/core';
import type { Conference, ConferenceRole } from '../conferences/conference.js';
import type { ConferencePeer } from './conference-peer.js';
import { linkQuality } from './link-quality.js';

/** What the SFU measured of one peer's media just now. */
export interface PeerMeasurement {
  /** bits/s the SFU receives from the peer (its uplink) and sends to it (its downlink). */
  sendBitrate: number;
  recvBitrate: number;
  packetLoss: number;
  rttMs: number | null;
  recvLayer: number | null;
}

/** RTCP's fraction lost is 0..255 of 256. */
const FRACTION_LOST_SCALE = 256;

/** Reads the peer's transport, producer and consumer stats (closed ones are skipped). */
export async function measurePeer(peer: ConferencePeer): Promise<PeerMeasurement> {
  let sendBitrate = 0;
  let recvBitrate = 0;
  let uplinkLoss = 0;
  let downlinkLoss = 0;
  const rtts: number[] = [];

  for (const { transport } of peer.transports.values()) {
    for (const stat of await statsOf(() => transport.getStats())) {
      sendBitrate += stat.recvBitrate ?? 0;
      recvBitrate += stat.sendBitrate ?? 0;
    }
  }
  for (const { producer } of peer.producers.values()) {
    for (const stat of await statsOf(() => producer.getStats())) {
      uplinkLoss = Math.max(uplinkLoss, (stat.fractionLost ?? 0) / FRACTION_LOST_SCALE);
      if (stat.roundTripTime) rtts.push(stat.roundTripTime);
    }
  }
  let recvLayer: number | null = null;
  for (const { consumer } of peer.consumers.values()) {
    if (consumer.closed) continue;
    for (const stat of await statsOf(() => consumer.getStats())) {
      // Consumer stats hold the consumer's outbound stream and its producer's inbound ones.
      if (stat.type !== 'outbound-rtp') continue;
      downlinkLoss = Math.max(downlinkLoss, (stat.fractionLost ?? 0) / FRACTION_LOST_SCALE);
      if (stat.roundTripTime) rtts.push(stat.roundTripTime);
    }
    const layer =
      consumer.kind === 'video' && !consumer.paused ? consumer.currentLayers : undefined;
    if (layer) recvLayer = Math.max(recvLayer ?? 0, layer.spatialLayer);
  }
  return {
    sendBitrate: Math.round(sendBitrate),
    recvBitrate: Math.round(recvBitrate),
    packetLoss: Math.max(uplinkLoss, downlinkLoss),
    rttMs: rtts.length > 0 ? Math.round(Math.max(...rtts)) : null,
    recvLayer,
  };
}

async function statsOf<T>(read: () => Promise<T[]>): Promise<T[]> {
  try {
    return await read();
  } catch {
    return []; // closed while we asked
  }
}

/** The role an invited unit takes when it joins by its link. */
export function unitRole(conference: Conference, unit: string): ConferenceRole {
  if (unit === conference.chairUnit) return 'chair';
  return conference.speakerUnits.includes(unit) ? 'speaker' : 'participant';
}

export function connectedEndpoint(
  peer: ConferencePeer,
  measurement: PeerMeasurement,
): ConferenceEndpoint {
  const microphone = peer.producerOf('microphone');
  return {
    unit: peer.admission.unit,
    peerId: peer.id,
    displayName: peer.displayName,
    role: peer.role,
    connected: true,
    joinedAt: peer.joinedAt.toISOString(),
    ...measurement,
    quality: linkQuality(measurement.packetLoss, measurement.rttMs),
    handRaised: peer.handRaised,
    audioMuted: !microphone || microphone.producer.paused,
  };
}

export function absentEndpoint(
  conference: Conference,
  unit: string,
  displayName: string,
): ConferenceEndpoint {
  return {
    unit,
    peerId: null,
    displayName,
    role: unitRole(conference, unit),
    connected: false,
    joinedAt: null,
    sendBitrate: 0,
    recvBitrate: 0,
    packetLoss: 0,
    rttMs: null,
    recvLayer: null,
    quality: null,
    handRaised: false,
    audioMuted: false,
  };
}

/**
 * The wall's list: every invited unit in invitation order (its connected peers, or one
 * absent entry), then every connected peer that no invited unit covers. Viewers (walls and
 * speaker screens watching the meeting) are not endpoints and are left out.
 */
export function listEndpoints(
  conference: Conference,
  measured: ReadonlyArray<{ peer: ConferencePeer; measurement: PeerMeasurement }>,
  unitName: (code: string) => string | undefined,
): ConferenceEndpoint[] {
  const endpoints: ConferenceEndpoint[] = [];
  const invited = new Set(conference.invitedUnits);
  for (const unit of conference.invitedUnits) {
    const present = measured.filter(({ peer }) => peer.admission.unit === unit);
    if (present.length === 0) {
      endpoints.push(absentEndpoint(conference, unit, unitName(unit) ?? unit));
    }
    for (const { peer, measurement } of present) {
      endpoints.push(connectedEndpoint(peer, measurement));
    }
  }
  for (const { peer, measurement } of measured) {
    const unit = peer.admission.unit;
    if (peer.admission.role === 'viewer') continue;
    if (unit === null || !invited.has(unit)) endpoints.push(connectedEndpoint(peer, measurement));
  }
  return endpoints;
}
