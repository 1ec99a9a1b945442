import { describe, expect, it } from 'vitest';
import type { PeerInfo } from './protocol';
import {
  initialsOf,
  isMicrophoneMuted,
  raisedHands,
  removePeer,
  rosterOrder,
  upsertPeer,
} from './roster';

const peer = (peerId: string, patch: Partial<PeerInfo> = {}): PeerInfo => ({
  peerId,
  displayName: `UBND ${peerId}`,
  unit: null,
  role: 'participant',
  handRaised: false,
  producers: [],
  ...patch,
});

describe('roster', () => {
  it('replaces a known peer in place and appends a new one', () => {
    const peers = [peer('a'), peer('b')];
    expect(upsertPeer(peers, peer('a', { handRaised: true })).map((p) => p.handRaised)).toEqual([
      true,
      false,
    ]);
    expect(upsertPeer(peers, peer('c')).map((p) => p.peerId)).toEqual(['a', 'b', 'c']);
    expect(peers).toHaveLength(2); // never mutated
    expect(removePeer(peers, 'a').map((p) => p.peerId)).toEqual(['b']);
    expect(removePeer(peers, 'zzz')).toHaveLength(2);
  });

  it('counts a paused or missing microphone as muted', () => {
    const microphone = (paused: boolean) => ({
      producerId: 'p',
      source: 'microphone' as const,
      kind: 'audio' as const,
      paused,
    });
    expect(isMicrophoneMuted(peer('a'))).toBe(true);
    expect(isMicrophoneMuted(peer('a', { producers: [microphone(true)] }))).toBe(true);
    expect(isMicrophoneMuted(peer('a', { producers: [microphone(false)] }))).toBe(false);
  });

  it('lists the chair first, then raised hands in join order, then the rest', () => {
    const peers = [
      peer('a'),
      peer('b', { handRaised: true }),
      peer('c', { role: 'chair' }),
      peer('d', { handRaised: true }),
    ];
    expect(rosterOrder(peers).map((p) => p.peerId)).toEqual(['c', 'b', 'd', 'a']);
    expect(raisedHands(peers).map((p) => p.peerId)).toEqual(['b', 'd']);
  });

  it('makes initials from the last two words, with Vietnamese capitals', () => {
    expect(initialsOf('UBND xã Hòa Vang')).toBe('HV');
    expect(initialsOf('  đặng  ')).toBe('Đ');
    expect(initialsOf('Tỉnh ủy')).toBe('TỦ');
    expect(initialsOf('')).toBe('');
  });
});
