// The peers of a meeting as the signalling reports them: pure functions over PeerInfo lists,
// kept apart from the client so they can be tested without a browser.
import type { MediaSource, PeerInfo } from './protocol';

/** Replaces the peer with the same id, or appends a new one (join order is kept). */
export function upsertPeer(peers: readonly PeerInfo[], peer: PeerInfo): PeerInfo[] {
  const index = peers.findIndex((p) => p.peerId === peer.peerId);
  if (index === -1) return [...peers, peer];
  const next = [...peers];
  next[index] = peer;
  return next;
}

export function removePeer(peers: readonly PeerInfo[], peerId: string): PeerInfo[] {
  return peers.filter((p) => p.peerId !== peerId);
}

/** Whether the peer sends this source now, unpaused. */
export function isSending(peer: PeerInfo, source: MediaSource): boolean {
  return peer.producers.some((p) => p.source === source && !p.paused);
}

/** A microphone that is absent or paused counts as muted. */
export function isMicrophoneMuted(peer: PeerInfo): boolean {
  return !isSending(peer, 'microphone');
}

/** The roster order shown to everyone: chair first, then raised hands (in join order), then the rest. */
export function rosterOrder(peers: readonly PeerInfo[]): PeerInfo[] {
  const rank = (p: PeerInfo) => (p.role === 'chair' ? 0 : p.handRaised ? 1 : 2);
  return peers
    .map((peer, index) => ({ peer, index }))
    .sort((a, b) => rank(a.peer) - rank(b.peer) || a.index - b.index)
    .map(({ peer }) => peer);
}

/** Whose hands are up, in join order. */
export function raisedHands(peers: readonly PeerInfo[]): PeerInfo[] {
  return peers.filter((p) => p.handRaised);
}

/** Initials for a tile without video: "UBND xã Hòa Vang" → "HV" (the last two words). */
export function initialsOf(name: string): string {
  const words = name.normalize('NFC').trim().split(/\s+/).filter(Boolean);
  const picked = words.length > 2 ? words.slice(-2) : words;
  return picked
    .map((w) => w[0] ?? '')
    .join('')
    .toLocaleUpperCase('vi');
}
