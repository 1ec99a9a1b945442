import { describe, expect, it } from 'vitest';
import { chooseFocus, type LayeredMedia, preferredLayers } from './layout';

const base = {
  peerIds: ['a', 'b', 'c'],
  selfId: 'me',
  pinned: null,
  screenSharer: null,
  floor: null,
  activeSpeaker: null,
  previous: null,
};

describe('chooseFocus', () => {
  it('prefers a pin, then a screen, then the active speaker, then the floor, then the last focus', () => {
    expect(chooseFocus({ ...base, pinned: 'c', screenSharer: 'b', activeSpeaker: 'a' })).toBe('c');
    expect(chooseFocus({ ...base, screenSharer: 'b', activeSpeaker: 'a' })).toBe('b');
    expect(chooseFocus({ ...base, activeSpeaker: 'a', floor: 'c' })).toBe('a');
    expect(chooseFocus({ ...base, floor: 'c', previous: 'b' })).toBe('c');
    expect(chooseFocus({ ...base, previous: 'b' })).toBe('b');
    expect(chooseFocus(base)).toBe('a');
  });

  it('never focuses on the local peer or on someone who left', () => {
    expect(chooseFocus({ ...base, activeSpeaker: 'me', previous: 'b' })).toBe('b');
    expect(chooseFocus({ ...base, pinned: 'gone', activeSpeaker: 'c' })).toBe('c');
    expect(chooseFocus({ ...base, peerIds: [] })).toBeNull();
    expect(chooseFocus({ ...base, peerIds: ['me'] })).toBeNull();
  });
});

describe('preferredLayers', () => {
  const media: LayeredMedia[] = [
    { consumerId: 'a-cam', peerId: 'a', kind: 'video', source: 'camera', type: 'simulcast' },
    { consumerId: 'a-mic', peerId: 'a', kind: 'audio', source: 'microphone', type: 'simple' },
    { consumerId: 'b-cam', peerId: 'b', kind: 'video', source: 'camera', type: 'simulcast' },
    { consumerId: 'b-screen', peerId: 'b', kind: 'video', source: 'screen', type: 'simple' },
    { consumerId: 'c-cam', peerId: 'c', kind: 'video', source: 'camera', type: 'simple' },
  ];

  it('asks the top layer for the focus camera and the lowest for thumbnails', () => {
    expect(Object.fromEntries(preferredLayers(media, 'b'))).toEqual({ 'a-cam': 0, 'b-cam': 2 });
  });

  it('asks every camera for the lowest layer when a screen has the focus', () => {
    expect(Object.fromEntries(preferredLayers(media, null))).toEqual({ 'a-cam': 0, 'b-cam': 0 });
  });
});
