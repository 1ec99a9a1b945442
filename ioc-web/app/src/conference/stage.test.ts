import { describe, expect, it } from 'vitest';
import type { RemoteMedia } from './conference-client';
import type { PeerInfo } from './protocol';
import { buildStage, type StageInputs } from './stage';

const track = { id: 'track' } as MediaStreamTrack;

const peer = (peerId: string, patch: Partial<PeerInfo> = {}): PeerInfo => ({
  peerId,
  displayName: `Xã ${peerId}`,
  unit: null,
  role: 'participant',
  handRaised: false,
  producers: [{ producerId: `${peerId}-mic`, source: 'microphone', kind: 'audio', paused: false }],
  ...patch,
});

const video = (peerId: string, source: 'camera' | 'screen' = 'camera'): RemoteMedia => ({
  consumerId: `${peerId}-${source}`,
  producerId: `p-${peerId}-${source}`,
  peerId,
  kind: 'video',
  source,
  type: source === 'camera' ? 'simulcast' : 'simple',
  track,
  paused: null,
  spatialLayer: null,
});

const inputs = (patch: Partial<StageInputs> = {}): StageInputs => ({
  self: peer('me', { role: 'chair' }),
  peers: [peer('a'), peer('b'), peer('wall', { role: 'viewer' })],
  media: [video('a'), video('b')],
  activeSpeaker: 'b',
  floor: null,
  pinned: null,
  previousFocus: null,
  localCamera: track,
  localCameraOn: true,
  localMicrophoneOn: false,
  ...patch,
});

describe('buildStage', () => {
  it('puts the active speaker large and everyone else, self last, in the strip', () => {
    const stage = buildStage(inputs());
    expect(stage.focus?.peerId).toBe('b');
    expect(stage.focus?.speaking).toBe(true);
    expect(stage.focusCameraPeer).toBe('b');
    expect(stage.thumbnails.map((t) => t.peerId)).toEqual(['a', 'me']);
    const self = stage.thumbnails.at(-1);
    expect(self?.isSelf).toBe(true);
    expect(self?.microphoneMuted).toBe(true);
  });

  it('leaves viewers (the wall panel) out of the pictures', () => {
    const stage = buildStage(
      inputs({ activeSpeaker: null, peers: [peer('wall', { role: 'viewer' })] }),
    );
    expect(stage.focus).toBeNull();
    expect(stage.thumbnails.map((t) => t.peerId)).toEqual(['me']);
  });

  it('shows a shared screen large and keeps the sharer’s camera as a thumbnail', () => {
    const stage = buildStage(inputs({ media: [video('a'), video('b'), video('a', 'screen')] }));
    expect(stage.focus?.isScreen).toBe(true);
    expect(stage.focusPeer).toBe('a');
    expect(stage.focusCameraPeer).toBeNull();
    expect(stage.thumbnails.map((t) => t.peerId)).toEqual(['a', 'b', 'me']);
  });

  it('shows initials instead of a paused video, and no self picture with the camera off', () => {
    const paused = { ...video('b'), paused: 'producer' as const };
    const stage = buildStage(inputs({ media: [video('a'), paused], localCameraOn: false }));
    expect(stage.focus?.videoPaused).toBe('producer');
    expect(stage.thumbnails.find((t) => t.isSelf)?.track).toBeNull();
  });
});
